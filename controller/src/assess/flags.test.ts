import { describe, expect, it } from 'vitest';
import { parseAssessTarget, parseOsFlag, parseWindowsArch, parseBuildFlag, parseWindowsType } from './flags';
import { thrownPfError } from './test-fixtures';

const message = (fn: () => unknown) => {
  const err = thrownPfError(fn);
  expect(err.code).toBe('PF_ERR_VALIDATION');
  return err.message;
};

describe('assess flags', () => {
  it('--os: ubuntu-YY.MM or windows', () => {
    expect(parseOsFlag('ubuntu-24.04')).toEqual({ kind: 'ubuntu', release: '24.04' });
    expect(parseOsFlag('Ubuntu-22.04')).toEqual({ kind: 'ubuntu', release: '22.04' });
    expect(parseOsFlag('ubuntu-25.10')).toEqual({ kind: 'ubuntu', release: '25.10' });
    expect(parseOsFlag('windows')).toEqual({ kind: 'windows' });
    expect(parseOsFlag(' Windows ')).toEqual({ kind: 'windows' });
    for (const bad of ['ubuntu', 'ubuntu24.04', 'ubuntu-24.4', 'ubuntu-24.05', 'debian-12', 'win11', '']) {
      expect(message(() => parseOsFlag(bad))).toBe(`--os ${JSON.stringify(bad)}: expected ubuntu-YY.MM (e.g. ubuntu-24.04) or windows`);
    }
  });

  it('--build: four parts, the last being the UBR', () => {
    expect(parseBuildFlag('10.0.26100.4946')).toEqual({ build: '10.0.26100', ubr: 4946 });
    expect(parseBuildFlag('10.0.20348.4405')).toEqual({ build: '10.0.20348', ubr: 4405 });
    expect(parseBuildFlag('6.3.9600.22620')).toEqual({ build: '6.3.9600', ubr: 22620 });
    expect(parseBuildFlag(' 10.0.26100.0 ')).toEqual({ build: '10.0.26100', ubr: 0 });
    expect(message(() => parseBuildFlag('10.0.26100'))).toBe(
      '--build "10.0.26100": expected the update build revision too: major.minor.build.revision, e.g. 10.0.26100.4946 (`cmd /c ver` prints it)',
    );
    for (const bad of ['26100.4946', '10.0.26100.4946.1', 'Microsoft Windows [Version 10.0.26100.4946]', '10.0.x.1', '10.0.26100.99999999999', '']) {
      expect(message(() => parseBuildFlag(bad))).toMatch(/^--build ".*": expected .*major\.minor\.build\.revision/);
    }
  });

  it('--type: client, server or server-core, as the registry spells them', () => {
    expect(['client', 'server', 'server-core', 'Server-Core'].map(parseWindowsType)).toEqual(['Client', 'Server', 'Server Core', 'Server Core']);
    expect(message(() => parseWindowsType('workstation'))).toBe('--type "workstation": expected client, server or server-core');
    expect(message(() => parseWindowsType('server core'))).toMatch(/expected client, server or server-core/);
  });

  it('--arch: x64, arm64 or x86, and the names tools print for them', () => {
    expect(['x64', 'ARM64', 'x86', 'amd64', 'x86_64', 'aarch64', 'i686'].map(parseWindowsArch)).toEqual(['x64', 'arm64', 'x86', 'x64', 'x64', 'arm64', 'x86']);
    expect(message(() => parseWindowsArch('ia64'))).toBe('--arch "ia64": expected x64, arm64 or x86');
  });
});

describe('parseAssessTarget', () => {
  it('describes an Ubuntu host', () => {
    expect(parseAssessTarget({ os: 'ubuntu-24.04', dpkg: 'pkgs.tsv' })).toEqual({ kind: 'ubuntu', release: '24.04', dpkgFile: 'pkgs.tsv' });
  });

  it('describes a Windows host', () => {
    expect(parseAssessTarget({ os: 'windows', build: '10.0.26100.4946', type: 'server-core', arch: 'x64', hotfix: 'hf.json' })).toEqual({
      kind: 'windows',
      build: '10.0.26100',
      ubr: 4946,
      installationType: 'Server Core',
      arch: 'x64',
      hotfixFile: 'hf.json',
    });
  });

  it('says what is missing or does not belong', () => {
    expect(message(() => parseAssessTarget({ dpkg: 'x' }))).toBe('--os is required: ubuntu-YY.MM (e.g. ubuntu-24.04) or windows');
    expect(message(() => parseAssessTarget({ os: 'ubuntu-24.04' }))).toBe('--os ubuntu-24.04 needs --dpkg FILE, the output of dpkg-query (see --help)');
    expect(message(() => parseAssessTarget({ os: 'ubuntu-24.04', dpkg: 'x', hotfix: 'y', build: '10.0.1.1' }))).toBe('--build, --hotfix go with --os windows, not --os ubuntu-24.04');
    expect(message(() => parseAssessTarget({ os: 'windows', hotfix: 'y' }))).toBe('--os windows needs --build, --type, --arch');
    expect(message(() => parseAssessTarget({ os: 'windows', dpkg: 'x' }))).toBe('--dpkg goes with --os ubuntu-YY.MM, not --os windows');
    expect(message(() => parseAssessTarget({ os: 'windows', build: '10.0.26100.1', type: 'client', arch: 'sparc', hotfix: 'y' }))).toBe('--arch "sparc": expected x64, arm64 or x86');
  });
});
