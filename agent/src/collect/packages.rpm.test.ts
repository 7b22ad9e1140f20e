import { describe, it, expect } from 'vitest';
import type { Package } from '@patchfleet/shared/protocol';
import { isPfError } from '@patchfleet/shared/errors';
import { parseRpmQuery, parseSourceRpm, RPM_QUERY_FORMAT } from './packages.rpm';

const row = (...f: string[]) => f.join('\t');

// Rows as `rpm -qa --qf RPM_QUERY_FORMAT` prints them on RHEL 9.
const FIXTURE = [
  row('bash', '0:5.1.8-9.el9', 'bash-5.1.8-9.el9.src.rpm', 'x86_64'),
  row('openssl-libs', '1:3.0.7-27.el9', 'openssl-3.0.7-27.el9.src.rpm', 'x86_64'),
  '',
  row('python3-dnf-plugins-core', '0:4.3.0-13.el9', 'dnf-plugins-core-4.3.0-13.el9.src.rpm', 'noarch'),
  row('gpg-pubkey', '0:fd431d51-4ae0493b', '(none)', '(none)'),
  row('vim-minimal', '2:8.2.2637-20.el9_1', 'vim-8.2.2637-20.el9_1.src.rpm', 'x86_64'),
  row('tzdata', '0:2024a-1.el9', 'tzdata-2024a-1.el9.src.rpm', 'noarch'),
  row('glibc', '0:2.34-100.el9_4.2', 'glibc-2.34-100.el9_4.2.src.rpm', 'i686'),
  row('kernel-core', '0:5.14.0~rc7-427.el9', 'kernel-5.14.0~rc7-427.el9.src.rpm', 'x86_64'),
  '',
].join('\n');

describe('parseSourceRpm', () => {
  it('splits name from version-release at the last two dashes', () => {
    expect(parseSourceRpm('foo-1.2-3.el9.src.rpm')).toEqual({ name: 'foo', version: '1.2-3.el9' });
    expect(parseSourceRpm('dnf-plugins-core-4.3.0-13.el9.src.rpm')).toEqual({ name: 'dnf-plugins-core', version: '4.3.0-13.el9' });
    expect(parseSourceRpm('nvidia-driver-550.54-1.nosrc.rpm')).toEqual({ name: 'nvidia-driver', version: '550.54-1' });
  });

  it('returns undefined for (none) and for names of another shape', () => {
    expect(parseSourceRpm('(none)')).toBeUndefined();
    expect(parseSourceRpm('')).toBeUndefined();
    expect(parseSourceRpm('foo-1.2.src.rpm')).toBeUndefined();
    expect(parseSourceRpm('foo-1.2-3.el9.x86_64.rpm')).toBeUndefined();
  });
});

describe('parseRpmQuery', () => {
  // Parsed in each test, so that a parser fault fails the tests rather than the file.
  const parsed = (): Package[] => parseRpmQuery(FIXTURE);

  it('reads every row and skips blank lines', () => {
    expect(parsed().map((p) => p.name)).toEqual([
      'bash', 'openssl-libs', 'python3-dnf-plugins-core', 'gpg-pubkey', 'vim-minimal', 'tzdata', 'glibc', 'kernel-core',
    ]);
    expect(parsed().every((p) => p.manager === 'rpm')).toBe(true);
  });

  it('drops a 0 epoch and keeps others', () => {
    expect(parsed()[0]).toEqual({ name: 'bash', version: '5.1.8-9.el9', sourceName: 'bash', sourceVersion: '5.1.8-9.el9', arch: 'x86_64', manager: 'rpm' });
    expect(parsed()[1]).toMatchObject({ version: '1:3.0.7-27.el9', sourceName: 'openssl', sourceVersion: '3.0.7-27.el9' });
    expect(parsed().find((p) => p.name === 'vim-minimal')).toMatchObject({ version: '2:8.2.2637-20.el9_1', sourceName: 'vim' });
  });

  it('derives the source from the source rpm, and uses the package itself when there is none', () => {
    expect(parsed().find((p) => p.name === 'python3-dnf-plugins-core')).toMatchObject({ sourceName: 'dnf-plugins-core', sourceVersion: '4.3.0-13.el9', arch: 'noarch' });
    expect(parsed().find((p) => p.name === 'gpg-pubkey')).toEqual({
      name: 'gpg-pubkey', version: 'fd431d51-4ae0493b', sourceName: 'gpg-pubkey', sourceVersion: 'fd431d51-4ae0493b', arch: '', manager: 'rpm',
    });
    expect(parsed().find((p) => p.name === 'kernel-core')).toMatchObject({ version: '5.14.0~rc7-427.el9', sourceName: 'kernel', sourceVersion: '5.14.0~rc7-427.el9' });
  });

  it('rejects malformed lines, naming the line number', () => {
    let caught: unknown;
    try {
      parseRpmQuery(`${FIXTURE.split('\n')[0]}\nbash 5.1.8`);
    } catch (err) {
      caught = err;
    }
    expect(isPfError(caught)).toBe(true);
    expect((caught as Error & { code: string }).code).toBe('PF_ERR_BAD_INPUT');
    expect((caught as Error).message).toMatch(/line 2: expected 4 tab-separated fields, got 1/);
    expect(() => parseRpmQuery(row('bash', '5.1.8-9.el9', 'bash-5.1.8-9.el9.src.rpm', 'x86_64'))).toThrow(/line 1: version "5.1.8-9.el9" is not EPOCH:VERSION-RELEASE/);
    expect(() => parseRpmQuery(row('', '0:1-1', '(none)', 'x86_64'))).toThrow(/line 1: empty package name/);
  });

  it('asks rpm for four tab-separated fields', () => {
    expect(RPM_QUERY_FORMAT.split('\\t')).toHaveLength(4);
    expect(RPM_QUERY_FORMAT).toContain('%{EPOCHNUM}:%{VERSION}-%{RELEASE}');
  });
});

describe('parseRpmQuery with install-only packages', () => {
  it('keeps one version per name and arch: the last one rpm lists', () => {
    const text = [
      'kernel\t0:5.14.0-427.el9\tkernel-5.14.0-427.el9.src.rpm\tx86_64',
      'bash\t0:5.1.8-9.el9\tbash-5.1.8-9.el9.src.rpm\tx86_64',
      'kernel\t0:5.14.0-503.el9\tkernel-5.14.0-503.el9.src.rpm\tx86_64',
      'gpg-pubkey\t0:fd431d51-4ae0493b\t(none)\t(none)',
      'gpg-pubkey\t0:5a6340b3-6229229e\t(none)\t(none)',
    ].join('\n');
    const pkgs = parseRpmQuery(text);
    expect(pkgs.map((p) => `${p.name}=${p.version}`)).toEqual(['bash=5.1.8-9.el9', 'kernel=5.14.0-503.el9', 'gpg-pubkey=5a6340b3-6229229e']);
  });
});
