import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureCvrfDocuments } from './fixture-catalog';
import { msrcArchitecture, productKey, windowsProductNames } from './windows-product';

/** Every product name of the real CVRF documents. */
let msrcNames: Set<string>;

beforeAll(async () => {
  msrcNames = new Set((await fixtureCvrfDocuments()).flatMap((d) => d.products.map((p) => p.name)));
});

const names = (build: string, installationType: string | null, arch = 'AMD64'): string[] => windowsProductNames({ build, installationType, arch });

describe('windowsProductNames', () => {
  it('names client releases by build, with the architecture', () => {
    expect(names('10.0.26100', 'Client')).toEqual(['Windows 11 Version 24H2 for x64-based Systems']);
    expect(names('10.0.26200', 'Client', 'ARM64')).toEqual(['Windows 11 Version 25H2 for ARM64-based Systems']);
    expect(names('10.0.22631', 'Client')).toEqual(['Windows 11 Version 23H2 for x64-based Systems']);
    expect(names('10.0.22621', 'Client', 'ARM64')).toEqual(['Windows 11 Version 22H2 for ARM64-based Systems']);
    expect(names('10.0.19045', 'Client', 'x86')).toEqual(['Windows 10 Version 22H2 for 32-bit Systems']);
    expect(names('10.0.19044', 'Client')).toEqual(['Windows 10 Version 21H2 for x64-based Systems']);
    expect(names('10.0.17763', 'Client')).toEqual(['Windows 10 Version 1809 for x64-based Systems']);
    expect(names('10.0.14393', 'Client')).toEqual(['Windows 10 Version 1607 for x64-based Systems']);
    expect(names('10.0.10240', 'Client')).toEqual(['Windows 10 for x64-based Systems']);
  });

  it('names server releases by build; Server Core has its own product', () => {
    expect(names('10.0.26100', 'Server')).toEqual(['Windows Server 2025']);
    expect(names('10.0.26100', 'Server Core')).toEqual(['Windows Server 2025 (Server Core installation)']);
    expect(names('10.0.20348', 'Server')).toEqual(['Windows Server 2022']);
    expect(names('10.0.25398', 'Server Core')).toEqual(['Windows Server 2022, 23H2 Edition (Server Core installation)']);
    expect(names('10.0.17763', 'Server Core')).toEqual(['Windows Server 2019 (Server Core installation)']);
    expect(names('10.0.14393', 'Server')).toEqual(['Windows Server 2016']);
    expect(names('6.3.9600', 'Server')).toEqual(['Windows Server 2012 R2']);
    expect(names('6.2.9200', 'Server Core')).toEqual(['Windows Server 2012 (Server Core installation)']);
    expect(names('6.1.7601', 'Server')).toEqual(['Windows Server 2008 R2 for x64-based Systems Service Pack 1']);
    expect(names('6.0.6003', 'Server Core', 'x86')).toEqual(['Windows Server 2008 for 32-bit Systems Service Pack 2 (Server Core installation)']);
  });

  it('spells every name as the real CVRF product tree does', () => {
    const cases: [string, string, string][] = [];
    for (const build of ['10.0.10240', '10.0.14393', '10.0.17763', '10.0.19044', '10.0.19045', '10.0.22621', '10.0.22631', '10.0.26100', '10.0.26200']) {
      for (const arch of ['AMD64', 'ARM64', 'x86']) cases.push([build, 'Client', arch]);
    }
    for (const build of ['6.0.6003', '6.1.7601', '6.2.9200', '6.3.9600', '10.0.14393', '10.0.17763', '10.0.20348', '10.0.25398', '10.0.26100']) {
      for (const type of ['Server', 'Server Core']) cases.push([build, type, 'AMD64']);
    }
    // MSRC no longer lists 32-bit or Arm64 builds of some releases: those names need not exist.
    const optional = /ARM64-based Systems$|32-bit Systems$/;
    for (const [build, type, arch] of cases) {
      const got = names(build, type, arch);
      expect(got.length, `${build} ${type} ${arch}`).toBeGreaterThan(0);
      for (const name of got) if (!optional.test(name) || msrcNames.has(name)) expect(msrcNames, `${build} ${type} ${arch}`).toContain(name);
    }
    expect(names('10.0.19045', 'Client', 'ARM64').every((n) => msrcNames.has(n))).toBe(true);
  });

  it('returns every candidate when the installation type or architecture is unknown', () => {
    expect(names('10.0.26100', null)).toEqual(['Windows 11 Version 24H2 for x64-based Systems', 'Windows Server 2025', 'Windows Server 2025 (Server Core installation)']);
    expect(windowsProductNames({ build: '26100', installationType: 'Client', arch: 'unknown' })).toHaveLength(3);
    expect(names('10.0.99999', 'Client')).toEqual([]);
    expect(names('not a build', 'Client')).toEqual([]);
  });

  it('reads the architecture names agents report', () => {
    expect(['AMD64', 'x64', 'x86_64'].map(msrcArchitecture)).toEqual(['x64-based', 'x64-based', 'x64-based']);
    expect(['ARM64', 'aarch64'].map(msrcArchitecture)).toEqual(['ARM64-based', 'ARM64-based']);
    expect(msrcArchitecture('x86')).toBe('32-bit');
    expect(msrcArchitecture('mips')).toBeNull();
  });

  it('compares names by case-folded key, since MSRC has capitalized "version" both ways', () => {
    expect(productKey('Windows 11 version 21H2 for x64-based Systems')).toBe(productKey(names('10.0.22000', 'Client')[0]!));
  });
});
