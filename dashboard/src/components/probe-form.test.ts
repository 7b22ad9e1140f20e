import { describe, expect, it } from 'vitest';
import { BLANK_PROBE, formOf, probeBody, probeChange, probeTarget } from './probe-form';

describe('probe form', () => {
  it('sends only the fields of the chosen kind', () => {
    const f = { ...BLANK_PROBE, name: ' web ', url: 'https://web/health', host: 'ignored', port: '80', argv: 'ignored' };
    expect(probeBody(f)).toEqual({ name: 'web', kind: 'http', enabled: true, timeoutMs: 5000, url: 'https://web/health', expectStatus: 200 });
    expect(probeBody({ ...f, kind: 'tcp', host: 'db1', port: '5432' })).toEqual({ name: 'web', kind: 'tcp', enabled: true, timeoutMs: 5000, host: 'db1', port: 5432 });
    expect(probeBody({ ...f, kind: 'command', argv: 'systemctl\n is-active \n\nnginx', expectExit: '' })).toEqual({ name: 'web', kind: 'command', enabled: true, timeoutMs: 5000, argv: ['systemctl', 'is-active', 'nginx'] });
  });

  it('says what is missing or malformed', () => {
    expect(probeBody(BLANK_PROBE)).toMatch(/name/);
    expect(probeBody({ ...BLANK_PROBE, name: 'x' })).toMatch(/needs a URL/);
    expect(probeBody({ ...BLANK_PROBE, name: 'x', kind: 'tcp', host: 'db1' })).toMatch(/host and a port/);
    expect(probeBody({ ...BLANK_PROBE, name: 'x', kind: 'tcp', host: 'db1', port: '54a' })).toMatch(/Port must be a whole number/);
    expect(probeBody({ ...BLANK_PROBE, name: 'x', kind: 'command' })).toMatch(/needs a command/);
    expect(probeBody({ ...BLANK_PROBE, name: 'x', url: 'http://a', timeoutMs: '1.5' })).toMatch(/Timeout/);
  });

  it('round-trips a stored probe through the edit form, keeping its kind out of the change', () => {
    const stored = { id: 'pr_1', name: 'db', kind: 'tcp', timeoutMs: 2000, host: 'db1', port: 5432, scope: {}, enabled: false, createdBy: 'user:ada', createdAt: '', updatedAt: '' };
    const form = formOf(stored);
    expect(form).toMatchObject({ name: 'db', kind: 'tcp', timeoutMs: '2000', host: 'db1', port: '5432', enabled: false });
    expect(probeChange(form)).toEqual({ name: 'db', enabled: false, timeoutMs: 2000, host: 'db1', port: 5432 });
    expect(probeTarget(stored)).toBe('connect db1:5432');
    expect(probeTarget({ kind: 'command', argv: ['true'] })).toBe('runs true expects exit 0');
    expect(probeTarget({ kind: 'http', url: 'https://x/' })).toBe('GET https://x/ expects 200');
  });
});
