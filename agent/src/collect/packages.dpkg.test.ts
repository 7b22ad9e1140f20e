import { describe, it, expect } from 'vitest';
import type { Package } from '@patchfleet/shared/protocol';
import { isPfError } from '@patchfleet/shared/errors';
import { DPKG_QUERY_FORMAT, parseDpkgQuery } from './packages.dpkg';

const row = (...f: string[]) => f.join('\t');

// Rows as dpkg-query -W -f=DPKG_QUERY_FORMAT prints them (checked against dpkg 1.21 on Debian 12).
const FIXTURE = [
  row('adduser', 'adduser', '3.134', 'adduser', '3.134', 'all', 'installed'),
  // Epoch in the binary version; source:Version carries none (dpkg takes it from "Source: util-linux (2.38.1-5+deb12u3)").
  row('bsdutils', 'bsdutils', '1:2.38.1-5+deb12u3', 'util-linux', '2.38.1-5+deb12u3', 'amd64', 'installed'),
  // binNMU: the binary version has +b8, the source's does not.
  row('bash', 'bash', '5.2.15-2+b8', 'bash', '5.2.15-2', 'amd64', 'installed'),
  // Tilde versions.
  row('ca-certificates', 'ca-certificates', '20230311+deb12u1', 'ca-certificates', '20230311+deb12u1', 'all', 'installed'),
  row('tzdata', 'tzdata', '2024a-0+deb12u1~bpo1', 'tzdata', '2024a-0+deb12u1~bpo1', 'all', 'installed'),
  '',
  // Multi-arch: ${binary:Package} is qualified, ${Package} is not.
  row('libc6:amd64', 'libc6', '2.36-9+deb12u7', 'glibc', '2.36-9+deb12u7', 'amd64', 'installed'),
  row('libc6:i386', 'libc6', '2.36-9+deb12u7', 'glibc', '2.36-9+deb12u7', 'i386', 'installed'),
  // Not installed: these must be dropped.
  row('oldpkg', 'oldpkg', '1.0-1', 'oldpkg', '1.0-1', 'amd64', 'config-files'),
  row('brokenpkg', 'brokenpkg', '2.0-1', 'brokenpkg', '2.0-1', 'amd64', 'half-installed'),
  row('unpackedpkg', 'unpackedpkg', '2.0-1', 'unpackedpkg', '2.0-1', 'amd64', 'unpacked'),
  row('halfconf', 'halfconf', '2.0-1', 'halfconf', '2.0-1', 'amd64', 'half-configured'),
  row('trigpkg', 'trigpkg', '2.0-1', 'trigpkg', '2.0-1', 'amd64', 'triggers-pending'),
  row('gone', 'gone', '', '', '', '', 'not-installed'),
  '   ',
  // An older dpkg leaving the source fields empty: fall back to the binary's.
  row('nosource', 'nosource', '0.9-2', '', '', 'amd64', 'installed'),
  '',
].join('\n');

describe('parseDpkgQuery', () => {
  // Parsed in each test, so that a parser fault fails the tests rather than the file.
  const parsed = (): Package[] => parseDpkgQuery(FIXTURE);

  it('keeps exactly the installed rows, in order', () => {
    expect(parsed().map((p) => `${p.name}:${p.arch}`)).toEqual([
      'adduser:all', 'bsdutils:amd64', 'bash:amd64', 'ca-certificates:all', 'tzdata:all', 'libc6:amd64', 'libc6:i386', 'nosource:amd64',
    ]);
  });

  it('keeps epochs and tildes verbatim and takes source fields as printed', () => {
    expect(parsed().find((p) => p.name === 'bsdutils')).toEqual({
      name: 'bsdutils', version: '1:2.38.1-5+deb12u3', sourceName: 'util-linux', sourceVersion: '2.38.1-5+deb12u3', arch: 'amd64', manager: 'dpkg',
    });
    expect(parsed().find((p) => p.name === 'bash')).toMatchObject({ version: '5.2.15-2+b8', sourceVersion: '5.2.15-2' });
    expect(parsed().find((p) => p.name === 'tzdata')?.version).toBe('2024a-0+deb12u1~bpo1');
  });

  it('names multi-arch packages without the :arch qualifier', () => {
    expect(parsed().filter((p) => p.name === 'libc6').map((p) => p.arch)).toEqual(['amd64', 'i386']);
    expect(parsed().some((p) => p.name.includes(':'))).toBe(false);
  });

  it('falls back to the binary name and version when the source fields are empty', () => {
    expect(parsed().find((p) => p.name === 'nosource')).toMatchObject({ sourceName: 'nosource', sourceVersion: '0.9-2' });
  });

  it('accepts CRLF line ends and empty input', () => {
    expect(parseDpkgQuery(FIXTURE.replace(/\n/g, '\r\n'))).toEqual(parsed());
    expect(parseDpkgQuery('')).toEqual([]);
  });

  it('rejects a malformed line, naming its line number', () => {
    const text = [FIXTURE.split('\n')[0], 'garbage without tabs', ''].join('\n');
    let caught: unknown;
    try {
      parseDpkgQuery(text);
    } catch (err) {
      caught = err;
    }
    expect(isPfError(caught)).toBe(true);
    expect((caught as Error & { code: string }).code).toBe('PF_ERR_BAD_INPUT');
    expect((caught as Error).message).toMatch(/line 2: expected 7 tab-separated fields, got 1/);
  });

  it('rejects an installed row without a version and one with too many fields', () => {
    expect(() => parseDpkgQuery(row('x', 'x', '', 'x', '', 'amd64', 'installed'))).toThrow(/line 1: installed package x has no version/);
    expect(() => parseDpkgQuery(`\n\n${row('x', 'x', '1', 'x', '1', 'amd64', 'installed', 'extra')}`)).toThrow(/line 3: expected 7 .* got 8/);
    expect(() => parseDpkgQuery(row('x', 'x', '1', 'x', '1', 'amd64', ''))).toThrow(/line 1: empty status/);
  });

  it('asks dpkg-query for seven tab-separated fields ending in a newline', () => {
    expect(DPKG_QUERY_FORMAT.split('\\t')).toHaveLength(7);
    expect(DPKG_QUERY_FORMAT.endsWith('${db:Status-Status}\\n')).toBe(true);
  });
});
