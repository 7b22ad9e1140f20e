/** RFC 5424 messages and RFC 6587 octet-counting frames of audit entries, byte for byte. */
import { describe, expect, it } from 'vitest';
import { FACILITIES, formatSyslog, headerField, octetFrame, sdValue, severityOf, type SyslogEntry } from './format';
import { parseSyslogUrl } from './target';

const ENTRY: SyslogEntry = {
  id: 42,
  at: '2026-11-23T12:00:00.123Z',
  actor: 'token:at_1',
  action: 'block.lift',
  targetType: 'block',
  targetId: 'bk_1',
  details: { reason: 'vendor fixed it "for real"', hosts: ['a', 'b'] },
  requestId: 'req1',
};
const OPTS = { facility: FACILITIES.local0, hostname: 'ctl-1', procId: 'ctl_ab12', format: 'json' as const };

describe('formatSyslog', () => {
  it('writes PRI, version, timestamp, hostname, app-name, procid, msgid, structured data and a BOM-led JSON message', () => {
    expect(formatSyslog(ENTRY, OPTS)).toBe(
      '<134>1 2026-11-23T12:00:00.123Z ctl-1 patchfleet ctl_ab12 block.lift [patchfleet@32473 auditId="42" actor="token:at_1" targetType="block" targetId="bk_1" requestId="req1"] \uFEFF' +
        '{"id":42,"at":"2026-11-23T12:00:00.123Z","actor":"token:at_1","action":"block.lift","targetType":"block","targetId":"bk_1","requestId":"req1","details":{"reason":"vendor fixed it \\"for real\\"","hosts":["a","b"]}}',
    );
  });

  it('writes key=value pairs, quoting what needs it, and leaves requestId out of the structured data when there is none', () => {
    const msg = formatSyslog({ ...ENTRY, requestId: null, action: 'rollout.halted', actor: 'system' }, { ...OPTS, facility: FACILITIES.audit, format: 'kv' });
    expect(msg).toBe(
      '<108>1 2026-11-23T12:00:00.123Z ctl-1 patchfleet ctl_ab12 rollout.halted [patchfleet@32473 auditId="42" actor="system" targetType="block" targetId="bk_1"] \uFEFF' +
        'id=42 at=2026-11-23T12:00:00.123Z actor=system action=rollout.halted targetType=block targetId=bk_1 requestId="" details.reason="vendor fixed it \\"for real\\"" details.hosts="[\\"a\\",\\"b\\"]"',
    );
  });

  it('maps actions to severities: warning for harm and stops, notice for access, informational otherwise', () => {
    expect(severityOf('rollout.halted')).toBe(4);
    expect(severityOf('safety.gate_tripped')).toBe(4);
    expect(severityOf('block.create')).toBe(4);
    expect(severityOf('connection.refused')).toBe(5);
    expect(severityOf('api-token.create')).toBe(5);
    expect(severityOf('rollout.start')).toBe(6);
  });

  it('escapes structured-data values and keeps header fields printable ASCII and bounded', () => {
    expect(sdValue('a"b\\c]d')).toBe('a\\"b\\\\c\\]d');
    expect(headerField('a b\tc', 32)).toBe('abc');
    expect(headerField('', 32)).toBe('-');
    expect(headerField('x'.repeat(40), 32)).toBe('x'.repeat(32));
    const msg = formatSyslog({ ...ENTRY, targetId: 'x"]y', action: 'catalog.import.known-issues.and-more-than-32' }, OPTS);
    expect(msg).toContain(' catalog.import.known-issues.and- [');
    expect(msg).toContain('targetId="x\\"\\]y"');
  });
});

describe('octetFrame', () => {
  it('prefixes the length in bytes (UTF-8), not characters', () => {
    const msg = '<134>1 - - patchfleet - - - \uFEFFé';
    const frame = octetFrame(msg);
    const length = Buffer.byteLength(msg, 'utf8');
    expect(length).toBe(msg.length + 2 + 1);
    expect(frame.toString('utf8')).toBe(`${length} ${msg}`);
  });
});

describe('parseSyslogUrl', () => {
  it('reads tcp and tls URLs with their default ports, and refuses others', () => {
    expect(parseSyslogUrl('tcp://siem.example:1514')).toEqual({ transport: 'tcp', host: 'siem.example', port: 1514 });
    expect(parseSyslogUrl('tls://siem.example')).toEqual({ transport: 'tls', host: 'siem.example', port: 6514 });
    expect(parseSyslogUrl('tcp://[::1]:601')).toEqual({ transport: 'tcp', host: '::1', port: 601 });
    expect(() => parseSyslogUrl('udp://siem.example:514')).toThrow(/PF_ERR_CONFIG|not tcp or tls/);
    expect(() => parseSyslogUrl('siem.example:514')).toThrow();
  });
});
