import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { parseOsRelease, readOsRelease } from './os-release';

describe('parseOsRelease', () => {
  it('reads Ubuntu', () => {
    const text = [
      'PRETTY_NAME="Ubuntu 24.04.1 LTS"', 'NAME="Ubuntu"', 'VERSION_ID="24.04"', 'VERSION="24.04.1 LTS (Noble Numbat)"',
      'VERSION_CODENAME=noble', 'ID=ubuntu', 'ID_LIKE=debian', 'UBUNTU_CODENAME=noble',
    ].join('\n');
    expect(parseOsRelease(text)).toEqual({ id: 'ubuntu', idLike: ['debian'], name: 'Ubuntu 24.04.1 LTS', version: '24.04', codename: 'noble' });
  });

  it('reads RHEL, which has no codename', () => {
    const text = 'NAME="Red Hat Enterprise Linux"\nVERSION="9.4 (Plow)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n';
    const r = parseOsRelease(text);
    expect(r).toEqual({ id: 'rhel', idLike: ['fedora'], name: 'Red Hat Enterprise Linux 9.4 (Plow)', version: '9.4' });
    expect('codename' in r).toBe(false);
  });

  it('handles comments, single quotes, escapes, blank and junk lines', () => {
    const text = "# comment\n\nID='opensuse-leap'\nID_LIKE=\"suse opensuse\"\nNAME=\"A \\\"quoted\\\" \\$name\"\nnot a field\nVERSION_ID=15.6\n";
    expect(parseOsRelease(text)).toEqual({ id: 'opensuse-leap', idLike: ['suse', 'opensuse'], name: 'A "quoted" $name', version: '15.6' });
  });

  it('uses the defaults os-release(5) gives for missing fields', () => {
    expect(parseOsRelease('')).toEqual({ id: 'linux', idLike: [], name: 'Linux', version: '' });
    expect(parseOsRelease('NAME=Arch Linux\nID=arch\nVERSION_CODENAME=')).toEqual({ id: 'arch', idLike: [], name: 'Arch Linux', version: '' });
  });
});

describe('readOsRelease', () => {
  it('takes the first file that exists', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pf-osrel-'));
    await writeFile(join(dir, 'b'), 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
    expect(await readOsRelease([join(dir, 'a'), join(dir, 'b')])).toMatchObject({ id: 'debian', version: '12', codename: 'bookworm' });
    expect(await readOsRelease([join(dir, 'a')])).toMatchObject({ id: 'linux', name: 'Linux' });
  });
});
