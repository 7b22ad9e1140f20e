import { describe, expect, it } from 'vitest';
import { parseDebVersion } from '@patchfleet/shared/debversion';
import { DPKG_LIST_COMMAND, parseDpkgListFile, UNKNOWN_ARCH } from './dpkg-list';
import { agentWindowsFixture, assessFixture, thrownPfError } from './test-fixtures';

const row = (...f: string[]) => f.join('\t');
const badFile = (text: string | Buffer, name = 'host.tsv') => thrownPfError(() => parseDpkgListFile(text, name));

describe('parseDpkgListFile: real dpkg-query output', () => {
  // dpkg-list.debian12.tsv is DPKG_LIST_COMMAND run on a Debian 12 machine (dpkg 1.21.22).
  const packages = parseDpkgListFile(assessFixture('dpkg-list.debian12.tsv'), 'dpkg-list.debian12.tsv');

  it('reads every row, and every version parses', () => {
    expect(packages).toHaveLength(759);
    for (const p of packages) {
      expect(() => parseDebVersion(p.version)).not.toThrow();
      expect(() => parseDebVersion(p.sourceVersion)).not.toThrow();
      expect(p.manager).toBe('dpkg');
    }
  });

  it('keeps binNMU versions, epochs and source names as dpkg prints them', () => {
    expect(packages.find((p) => p.name === 'bash')).toEqual({ name: 'bash', version: '5.2.15-2+b8', sourceName: 'bash', sourceVersion: '5.2.15-2', arch: UNKNOWN_ARCH, manager: 'dpkg' });
    expect(packages.find((p) => p.name === 'bsdutils')).toMatchObject({ version: '1:2.38.1-5+deb12u3', sourceName: 'util-linux', sourceVersion: '2.38.1-5+deb12u3' });
  });

  it('strips the :arch qualifier of multi-arch packages into arch', () => {
    expect(packages.find((p) => p.name === 'binutils-common')).toMatchObject({ arch: 'amd64', sourceName: 'binutils' });
    expect(packages.some((p) => p.name.includes(':'))).toBe(false);
  });

  it('takes CRLF line ends and a UTF-8 BOM', () => {
    const crlf = parseDpkgListFile(assessFixture('dpkg-list.crlf.tsv'), 'dpkg-list.crlf.tsv');
    expect(crlf).toEqual(packages.slice(0, 40));
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), assessFixture('dpkg-list.crlf.tsv')]);
    expect(parseDpkgListFile(bom, 'bom.tsv')).toEqual(crlf);
  });
});

describe('parseDpkgListFile: rows', () => {
  it('skips blank lines, and rows of packages dpkg knows but has not installed (no version)', () => {
    const text = ['', row('libc6:i386', '2.36-9', 'glibc', '2.36-9'), '  ', row('gone', '', 'gone', ''), row('libc6:amd64', '2.36-9', 'glibc', '2.36-9'), ''].join('\n');
    expect(parseDpkgListFile(text, 'x.tsv').map((p) => `${p.name}:${p.arch}`)).toEqual(['libc6:i386', 'libc6:amd64']);
  });

  it('falls back to the binary name and version when the source fields are empty', () => {
    expect(parseDpkgListFile(row('foo', '1.0-1', '', ''), 'x.tsv')).toEqual([{ name: 'foo', version: '1.0-1', sourceName: 'foo', sourceVersion: '1.0-1', arch: UNKNOWN_ARCH, manager: 'dpkg' }]);
  });

  it('names the line of a row with the wrong number of fields', () => {
    const err = badFile(assessFixture('wrong-fields.tsv'), 'wrong-fields.tsv');
    expect(err.code).toBe('PF_ERR_BAD_INPUT_FILE');
    expect(err.message).toBe('wrong-fields.tsv line 4: expected 4 tab-separated fields (package, version, source, source version), got 3: "libc6:amd64\\t2.36-9+deb12u10\\tglibc"');
    expect(err.details).toEqual({ file: 'wrong-fields.tsv', line: 4 });
  });

  it('names the line of an invalid Debian version and says why', () => {
    const err = badFile(assessFixture('bad-version.tsv'), 'bad-version.tsv');
    expect(err.message).toBe(
      'bad-version.tsv line 4: version "7.88.1_10+deb12u12" is not a valid Debian version (invalid character in version number): "curl\\t7.88.1_10+deb12u12\\tcurl\\t7.88.1-10+deb12u12"',
    );
    expect(badFile(row('foo', '1.0', 'foo', '1.0-'), 'x.tsv').message).toMatch(/^x\.tsv line 1: source version "1\.0-" is not a valid Debian version \(revision number is empty\)/);
    expect(badFile(row('foo', ':1.0', 'foo', '1.0'), 'x.tsv').message).toMatch(/epoch in version is empty/);
  });

  it('truncates a long line in the message', () => {
    const long = row('foo', `1.0${'a'.repeat(300)}!`, 'foo', '1.0');
    const { message } = badFile(long);
    expect(message.length).toBeLessThan(250);
    expect(message).toMatch(/\.\.\."$/);
  });

  it('refuses bad package names and architectures', () => {
    expect(badFile(row('-foo', '1.0', 'foo', '1.0')).message).toMatch(/^host\.tsv line 1: "-foo" is not a package name/);
    expect(badFile(row('foo:AMD 64', '1.0', 'foo', '1.0')).message).toMatch(/"AMD 64" is not an architecture/);
    expect(badFile(row('foo', '1.0', 'src pkg', '1.0')).message).toMatch(/source "src pkg" is not a package name/);
  });

  it('refuses a package listed twice, naming both lines', () => {
    const text = [row('foo', '1.0', 'foo', '1.0'), row('bar', '1.0', 'bar', '1.0'), row('foo', '2.0', 'foo', '2.0')].join('\n');
    expect(badFile(text).message).toBe('host.tsv line 3: foo is listed twice (first on line 1): "foo\\t2.0\\tfoo\\t2.0"');
  });

  it('refuses a file with no packages', () => {
    expect(badFile('\n\n').message).toBe(`host.tsv: no installed packages in it; expected the output of ${DPKG_LIST_COMMAND}`);
    expect(badFile('').code).toBe('PF_ERR_BAD_INPUT_FILE');
  });
});

describe('parseDpkgListFile: other files', () => {
  const run = `run instead: ${DPKG_LIST_COMMAND} > f`;

  it('says which command to run for `dpkg -l` output', () => {
    expect(badFile(assessFixture('dpkg-l.debian12.txt'), 'f').message).toBe(
      `f line 1: this is \`dpkg -l\` output, which has no source packages and cuts names to the terminal width; ${run}: "Desired=Unknown/Install/Remove/Purge/Hold"`,
    );
    // Only the package rows, without the header.
    const rows = assessFixture('dpkg-l.debian12.txt').toString('utf8').split('\n').slice(5).join('\n');
    expect(badFile(rows, 'f').message).toMatch(/^f line 1: this is `dpkg -l` output/);
  });

  it('says which command to run for `apt list --installed` output', () => {
    expect(badFile(assessFixture('apt-list-installed.debian12.txt'), 'f').message).toMatch(/^f line 1: this is `apt list --installed` output, which has no source packages; run instead: dpkg-query/);
  });

  it('recognises JSON (a hotfix dump given as --dpkg)', () => {
    expect(badFile(agentWindowsFixture('hotfix.ps51.en-US.select.json'), 'f').message).toMatch(/^f line 1: this is JSON, not a dpkg package list \(Get-HotFix output goes with --os windows --hotfix\); run instead: /);
  });

  it("recognises the agent's 7-field format", () => {
    expect(badFile(assessFixture('dpkg-query.agent-format.tsv'), 'f').message).toMatch(/^f line 1: this has 7 tab-separated fields \(the agent's own dpkg-query format\?\); --dpkg takes 4/);
  });

  it('points at spaces where tabs belong', () => {
    expect(badFile(assessFixture('dpkg-list.spaces.txt'), 'f').message).toBe(
      'f line 1: expected 4 tab-separated fields (package, version, source, source version), got 1: the fields look separated by spaces, not tabs: "adduser 3.134 adduser 3.134"',
    );
  });

  it('refuses UTF-16 and binary files', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(row('foo', '1.0', 'foo', '1.0'), 'utf16le')]);
    expect(badFile(utf16, 'f').message).toMatch(/^f: not a text file \(NUL byte on line 1; UTF-16 or binary\?\)/);
  });
});
