import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyAptFailure, parseDpkgQuery, parseMadison, truncateOutput } from './apt-output';

// Output captured from apt 2.6.1 (Debian 12) runs against a local test repository.
const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('classifyAptFailure', () => {
  it('names the missing version', () => {
    const f = classifyAptFailure(fixture('apt-version-not-found.txt'), 100);
    expect(f.def.code).toBe('PF_ERR_PACKAGE_VERSION_UNAVAILABLE');
    expect(f.message).toContain('pf-test-hello=3.0');
  });

  it('names an unknown package', () => {
    const f = classifyAptFailure(fixture('apt-unknown-package.txt'), 100);
    expect(f.def.code).toBe('PF_ERR_PACKAGE_VERSION_UNAVAILABLE');
    expect(f.message).toContain('pf-test-nope (unknown package)');
  });

  it('recognises a held lock, with and without a lock timeout', () => {
    for (const name of ['apt-lock-timeout.txt', 'apt-lock-held.txt']) {
      const f = classifyAptFailure(fixture(name), 100);
      expect(f.def.code).toBe('PF_ERR_APT_LOCKED');
      expect(f.def.retryable).toBe(true);
      expect(f.message).toContain('lock-frontend');
    }
  });

  it('recognises an interrupted dpkg', () => {
    expect(classifyAptFailure(fixture('apt-dpkg-interrupted.txt'), 100).def.code).toBe('PF_ERR_DPKG_INTERRUPTED');
  });

  it('falls back to the first E: line', () => {
    const f = classifyAptFailure('Reading package lists...\nE: Sub-process /usr/bin/dpkg returned an error code (1)\n', 100);
    expect(f.def.code).toBe('PF_ERR_APT_FAILED');
    expect(f.message).toBe('apt-get failed: Sub-process /usr/bin/dpkg returned an error code (1)');
    expect(classifyAptFailure('', null).message).toBe('apt-get failed: exit code signal');
  });
});

describe('parsers', () => {
  it('parseMadison lists offered versions per package', () => {
    const out = parseMadison('pf-test-hello |        2.0 | file:/tmp/pfrepo.Kfnx/repo ./ Packages\npf-test-hello |        1.0 | file:/tmp/pfrepo.Kfnx/repo ./ Packages\n');
    expect([...(out.get('pf-test-hello') ?? [])]).toEqual(['2.0', '1.0']);
    expect(parseMadison('').size).toBe(0);
  });

  it('parseDpkgQuery keeps installed packages only', () => {
    const out = parseDpkgQuery('bash\tii \t5.2.15-2+b8\nold\trc \t1.0\ngone\tun \t\nhalf\tiU \t2.0\n');
    expect(Object.fromEntries(out)).toEqual({ bash: '5.2.15-2+b8', half: '2.0' });
  });

  it('truncateOutput keeps head and tail', () => {
    const long = `${'a'.repeat(500)}${'z'.repeat(500)}`;
    const cut = truncateOutput(long, 200);
    expect(cut.length).toBeLessThanOrEqual(240);
    expect(cut.startsWith('aaa')).toBe(true);
    expect(cut.endsWith('zzz')).toBe(true);
    expect(truncateOutput('short', 200)).toBe('short');
  });
});
