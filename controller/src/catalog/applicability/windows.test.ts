import { beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, WindowsKb } from '../model';
import { fixtureCatalog } from './fixture-catalog';
import { type WindowsHost, assessWindows } from './windows';
import { prepareWindowsIndex } from './windows-index';
import { windowsProductNames } from './windows-product';

let catalog: Catalog;

beforeAll(async () => {
  catalog = await fixtureCatalog();
});

function kb(id: string): WindowsKb {
  const found = catalog.kbs.find((k) => k.id === id);
  if (found === undefined) throw new Error(`${id} is not in the catalog`);
  return found;
}

/** The issue's host: Windows 11 24H2 client at 26100.4946 (August 2025's cumulative update, KB5063878). */
const client24H2: WindowsHost = {
  build: '10.0.26100',
  ubr: 4946,
  installationType: 'Client',
  arch: 'AMD64',
  hotfixes: ['KB5063878'],
  hotpatchEnrolled: false,
};

const ids = (host: WindowsHost): string[] => assessWindows(host, catalog).missing.map((f) => f.id);

describe('assessWindows on the 2025 MSRC documents', () => {
  it('reads the chain the issue names from the data', () => {
    expect(kb('KB5072033').supersedes).toContain('KB5068861');
    expect(kb('KB5068861').supersedes).toContain('KB5066835');
    expect(kb('KB5066835').supersedes).toContain('KB5065426');
    expect(kb('KB5065426').supersedes).toContain('KB5063878');
  });

  it('gives a 24H2 client at 26100.4946 one cumulative update to install: KB5072033, with the CVEs of what it supersedes', () => {
    const result = assessWindows(client24H2, catalog);
    expect(result.products).toEqual(['Windows 11 Version 24H2 for x64-based Systems']);
    expect(result.missing.map((f) => f.id)).toEqual(['KB5072033']);
    const [update] = result.missing;
    expect(update).toMatchObject({ id: 'KB5072033', month: '2025-12', hotpatch: false, fixedBuild: '10.0.26100.7462', product: 'Windows 11 Version 24H2 for x64-based Systems' });
    expect(update!.covers).toEqual(expect.arrayContaining(['KB5065426', 'KB5066835', 'KB5068861']));
    for (const older of ['KB5072033', 'KB5068861', 'KB5066835', 'KB5065426']) expect(update!.cves).toEqual(expect.arrayContaining(kb(older).cves));
    expect(update!.cves.length).toBeGreaterThan(kb('KB5072033').cves.length);
    // The June updates sit below the host's build: installed.
    expect(result.installed).toEqual(expect.arrayContaining(['KB5058411', 'KB5060842']));
  });

  it("lists as installed a hotfix the catalog knows only as superseded (August's KB5063878; its document is not imported)", () => {
    expect(catalog.kbs.some((k) => k.id === 'KB5063878')).toBe(false);
    expect(assessWindows(client24H2, catalog).installed).toContain('KB5063878');
    // Not listed when the host does not hold it, nor for a KB no applicable KB supersedes.
    expect(assessWindows({ ...client24H2, hotfixes: [] }, catalog).installed).not.toContain('KB5063878');
    expect(assessWindows({ ...client24H2, hotfixes: ['KB5063878', 'KB1234567'] }, catalog).installed).not.toContain('KB1234567');
  });

  it('lists no hotpatch for a host not enrolled in hotpatching, whether it says no or cannot tell', () => {
    for (const hotpatchEnrolled of [false, null]) {
      const result = assessWindows({ ...client24H2, hotpatchEnrolled }, catalog);
      expect(result.missing.filter((f) => f.hotpatch)).toEqual([]);
      expect(result.missing.map((f) => f.id)).toEqual(['KB5072033']);
      expect(result.missing[0]!.covers.filter((id) => kb(id).hotpatch)).toEqual([]);
      expect(result.installed.filter((id) => catalog.kbs.find((k) => k.id === id)?.hotpatch === true)).toEqual([]);
    }
  });

  it('folds a standalone update below the cumulative build into it (KB5074204 at 26100.7392, under KB5072033 at .7462)', () => {
    expect(kb('KB5074204').supersedes).toEqual([]);
    const [update] = assessWindows(client24H2, catalog).missing;
    expect(update!.covers).toContain('KB5074204');
    expect(update!.cves).toContain('CVE-2025-54100');
  });

  it('gives an enrolled host below the hotpatch baseline the cumulative update, which covers the hotpatches it cannot take', () => {
    // December's hotpatch KB5072014 builds on the October 2025 baseline (26100.6899, KB5066835):
    // its chain starts at KB5068966, which supersedes nothing. 26100.4946 is below that.
    expect(kb('KB5072014').hotpatch).toBe(true);
    expect(kb('KB5072014').supersedes).toEqual(['KB5068966']);
    expect(kb('KB5068966').supersedes).toEqual([]);
    const result = assessWindows({ ...client24H2, hotpatchEnrolled: true }, catalog);
    expect(result.missing.map((f) => f.id)).toEqual(['KB5072033']);
    expect(result.missing[0]!.covers).toEqual(expect.arrayContaining(['KB5068966', 'KB5072014']));
    expect(result.missing[0]!.cves).toEqual(expect.arrayContaining(kb('KB5072014').cves));
  });

  it('offers an enrolled host on the baseline the newest hotpatch beside the cumulative update', () => {
    // October baseline plus November's hotpatch: 26100.7092.
    const host = { ...client24H2, ubr: 7092, hotfixes: ['KB5066835', 'KB5068966'], hotpatchEnrolled: true };
    const result = assessWindows(host, catalog);
    expect(result.missing.map((f) => [f.id, f.hotpatch])).toEqual([
      ['KB5072033', false],
      ['KB5072014', true],
    ]);
    expect(result.missing[1]!.fixedBuild).toBe('10.0.26100.7392');
    expect(result.installed).toEqual(expect.arrayContaining(['KB5066835', 'KB5068966']));
    // The same host not enrolled never sees it.
    expect(ids({ ...host, hotpatchEnrolled: false })).toEqual(['KB5072033']);
  });

  it('treats a KB as installed when the build revision reaches its FixedBuild, even if the hotfix list lacks it', () => {
    expect(kb('KB5068861').products.find((p) => p.name === 'Windows 11 Version 24H2 for x64-based Systems')?.fixedBuild).toBe('10.0.26100.7171');
    const result = assessWindows({ ...client24H2, ubr: 7171, hotfixes: [] }, catalog);
    expect(result.installed).toEqual(expect.arrayContaining(['KB5068861', 'KB5066835', 'KB5065426']));
    expect(result.missing.map((f) => f.id)).toEqual(['KB5072033']);
    expect(result.missing[0]!.covers).not.toContain('KB5068861');
    // Its CVEs are no longer the host's to close, except those KB5072033 itself fixes.
    const onlyOlder = kb('KB5068861').cves.filter((c) => !kb('KB5072033').cves.includes(c) && !kb('KB5074204').cves.includes(c));
    expect(onlyOlder.length).toBeGreaterThan(0);
    for (const cve of onlyOlder) expect(result.missing[0]!.cves).not.toContain(cve);
    // One revision below: not installed.
    expect(assessWindows({ ...client24H2, ubr: 7170, hotfixes: [] }, catalog).installed).not.toContain('KB5068861');
  });

  it('treats a KB in the hotfix list as installed whatever the build says', () => {
    const result = assessWindows({ ...client24H2, hotfixes: ['KB5072033'] }, catalog);
    expect(result.missing).toEqual([]);
    expect(result.installed).toEqual(expect.arrayContaining(['KB5072033', 'KB5068861', 'KB5066835', 'KB5065426']));
  });

  it('assesses Windows Server 2025 with the server product name', () => {
    const server = { ...client24H2, installationType: 'Server', ubr: 6899, hotfixes: ['KB5066835'] };
    const result = assessWindows(server, catalog);
    expect(result.products).toEqual(['Windows Server 2025']);
    expect(result.missing.map((f) => f.id)).toEqual(['KB5072033']);
    expect(result.missing[0]!.product).toBe('Windows Server 2025');
    expect(result.missing[0]!.covers).toEqual(expect.arrayContaining(['KB5068861']));
  });

  it('assesses a Server Core installation with the Server Core product name', () => {
    const core: WindowsHost = { build: '10.0.20348', ubr: 4294, installationType: 'Server Core', arch: 'AMD64', hotfixes: [], hotpatchEnrolled: false };
    const result = assessWindows(core, catalog);
    expect(result.products).toEqual(['Windows Server 2022 (Server Core installation)']);
    expect(result.missing.map((f) => f.id)).toEqual(['KB5071547']);
    expect(result.missing[0]!.product).toBe('Windows Server 2022 (Server Core installation)');
    expect(result.missing[0]!.covers).toEqual(expect.arrayContaining(['KB5068787', 'KB5074353']));
    expect(result.installed).toEqual(expect.arrayContaining(['KB5066782', 'KB5065432']));
  });

  it('offers an enrolled Windows Server 2022 on its baseline the December hotpatch', () => {
    const host: WindowsHost = { build: '10.0.20348', ubr: 4346, installationType: 'Server', arch: 'AMD64', hotfixes: ['KB5068840'], hotpatchEnrolled: true };
    expect(ids(host)).toEqual(['KB5071547', 'KB5071413']);
  });

  it('compares revisions across enablement-package twins (KB5074204 names 26100.7392 for 25H2 hosts)', () => {
    const host: WindowsHost = { build: '10.0.26200', ubr: 7392, installationType: 'Client', arch: 'ARM64', hotfixes: [], hotpatchEnrolled: false };
    const result = assessWindows(host, catalog);
    expect(result.installed).toContain('KB5074204');
    expect(result.missing.map((f) => f.id)).toEqual(['KB5072033']);
  });

  it('lets a monthly rollup cover the security-only update of the same build (Windows Server 2008 R2)', () => {
    const host: WindowsHost = { build: '6.1.7601', ubr: 27000, installationType: 'Server', arch: 'AMD64', hotfixes: [], hotpatchEnrolled: null };
    const result = assessWindows(host, catalog);
    const rollup = result.missing.find((f) => f.id === 'KB5071501');
    expect(rollup?.covers).toContain('KB5071506');
    expect(result.missing.map((f) => f.id)).not.toContain('KB5071506');
  });

  it('applies nothing to a release it cannot name', () => {
    expect(assessWindows({ ...client24H2, build: '10.0.99999' }, catalog)).toEqual({ products: [], missing: [], installed: [] });
  });
});

describe('assessWindows on supersedence that passes through hotpatches', () => {
  const product = 'Windows Server 2025';
  const make = (id: string, month: string, build: number, supersedes: string[], hotpatch: boolean, cves: string[]): WindowsKb => ({
    id,
    month,
    title: null,
    products: [{ productId: '1', name: product, fixedBuild: `10.0.26100.${build}` }],
    cves,
    supersedes,
    restartRequired: hotpatch ? 'no' : 'yes',
    hotpatch,
  });
  // A cumulative update, a hotpatch superseding it, a cumulative superseding the hotpatch,
  // and a newest hotpatch: a chain whose links alternate.
  const chain: Pick<Catalog, 'kbs'> = {
    kbs: [
      make('KB1', '2025-01', 100, [], false, ['CVE-2025-0001']),
      make('KB2', '2025-02', 200, ['KB1'], true, ['CVE-2025-0002']),
      make('KB3', '2025-03', 300, ['KB2'], false, ['CVE-2025-0003']),
      make('KB4', '2025-04', 400, ['KB3'], true, ['CVE-2025-0004']),
    ],
  };
  const host: WindowsHost = { build: '10.0.26100', ubr: 50, installationType: 'Server', arch: 'AMD64', hotfixes: [], hotpatchEnrolled: false };

  it('continues the chain for a host not enrolled through the cumulative updates, across the hotpatch links', () => {
    const result = assessWindows(host, chain);
    expect(result.missing.map((f) => f.id)).toEqual(['KB3']);
    expect(result.missing[0]!.covers).toEqual(['KB1']);
    expect(result.missing[0]!.cves).toEqual(['CVE-2025-0001', 'CVE-2025-0003']);
  });

  it('gives an enrolled host the newest hotpatch and everything under it', () => {
    const result = assessWindows({ ...host, hotpatchEnrolled: true }, prepareWindowsIndex(chain));
    expect(result.missing.map((f) => f.id)).toEqual(['KB4']);
    expect(result.missing[0]!.covers).toEqual(['KB1', 'KB2', 'KB3']);
  });

  it('does not loop or drop KBs on supersedence cycles', () => {
    const cyclic: Pick<Catalog, 'kbs'> = { kbs: [make('KB7', '2025-01', 100, ['KB8'], false, []), make('KB8', '2025-01', 100, ['KB7'], false, [])] };
    expect(assessWindows(host, cyclic).missing.map((f) => f.id).sort()).toEqual(['KB7', 'KB8']);
  });
});

describe('assessWindows per-combination memo of products and build', () => {
  it('answers each build, installation type and architecture as if computed afresh, whatever came before', () => {
    const combos: Pick<WindowsHost, 'build' | 'installationType' | 'arch'>[] = [
      { build: '10.0.26100', installationType: 'Client', arch: 'AMD64' },
      { build: '10.0.26100', installationType: 'Server', arch: 'AMD64' },
      { build: '10.0.26100', installationType: 'Server Core', arch: 'AMD64' },
      { build: '10.0.26100', installationType: null, arch: 'AMD64' },
      { build: '10.0.26100', installationType: '-', arch: 'AMD64' },
      { build: '10.0.26100', installationType: 'Client', arch: 'ARM64' },
      // Texts that would run into each other if the key only joined them.
      { build: '10.0.26100 ', installationType: 'Client', arch: 'AMD64' },
      { build: '10.0.26100', installationType: 'Client', arch: ' AMD64' },
      { build: '10.0.17763', installationType: 'Server', arch: 'x86' },
      { build: '10.0.17763.8146', installationType: 'Server', arch: 'AMD64' },
      { build: 'not a build', installationType: 'Client', arch: 'AMD64' },
    ];
    const answers = combos.map((c) => assessWindows({ ...c, ubr: 4946, hotfixes: [], hotpatchEnrolled: false }, catalog));
    // Twice, in reverse order: a wrong key would hand one combination another's products or build.
    for (const [i, c] of [...combos.entries()].reverse()) {
      const again = assessWindows({ ...c, ubr: 4946, hotfixes: [], hotpatchEnrolled: false }, catalog);
      expect(again.products).toEqual(windowsProductNames(c));
      expect(again).toEqual(answers[i]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a.products))).size).toBeGreaterThan(5);
  });

  it('takes the revision from the UBR per host, not from the combination first seen', () => {
    const at = (ubr: number | null, build = '10.0.26100') => assessWindows({ build, ubr, installationType: 'Client', arch: 'AMD64', hotfixes: [], hotpatchEnrolled: false }, catalog).installed;
    const low = at(4349);
    const high = at(7462);
    expect(high.length).toBeGreaterThan(low.length);
    expect(at(4349)).toEqual(low);
    // No UBR: the build text's own revision counts.
    expect(at(null, '10.0.26100.7462')).toEqual(high);
    expect(at(null, '10.0.26100')).toEqual(at(null, '10.0.26100'));
  });

  it('gives each call its own products list', () => {
    const first = assessWindows(client24H2, catalog);
    first.products.push('changed');
    expect(assessWindows(client24H2, catalog).products).toEqual(windowsProductNames(client24H2));
  });
});
