/**
 * The catalog setup against the controller's own parsers, catalog build and
 * assessment (no database): the examples' patches are missing on exactly
 * their classes, only once released, gone once installed, with the
 * scenario's priority inputs; real ids from the bundled data are used as they
 * are when the controller can list them, refused with the reason when not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import { patchTuesday, prepareCatalog } from '@patchfleet/controller/src/assess/assess-host';
import { ADVISORIES, fixtureFeeds } from '../support/advisories';
import { catalogAfter, checkCatalogSetup, missingOn, parseBatch } from './catalog-check';
import { criticalityLabel, msrcDocumentId, patchesOfCommand, planCatalog, rolloutRequest, type CatalogSetup } from './catalog-setup';
import { deltaReportBody, enrollmentTokenRequest, hostPackages, inventoryReport } from './inventory';
import { parseScenarioText, type Scenario } from './scenario';
import { epssPercentile } from './synthetic-feeds';

const EXAMPLES = ['mixed-fleet', 'small-fleet', 'unrelated-incident'] as const;
const scenario = (name: string): Scenario => parseScenarioText(readFileSync(new URL(`./scenarios/${name}.json`, import.meta.url), 'utf8'), name);
/** A Patch Tuesday, 17:00 UTC: the date the controller gives a KB of that month. */
const START = Date.parse('2026-01-13T17:00:00Z');
const cls = (setup: CatalogSetup, name: string) => setup.classes.find((c) => c.name === name)!;

async function scenarioError(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (err) {
    if (isPfError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a PfError');
}

describe('catalog setup of the example scenarios (synthetic records)', () => {
  for (const name of EXAMPLES) {
    it(`${name}: each class misses exactly its released patches, an install removes exactly its patch, priorities as given`, async () => {
      const setup = planCatalog(scenario(name), { start: START });
      const result = await checkCatalogSetup(setup);
      // classes x (before + each import) + one per applicable (class, patch) pair.
      const pairs = setup.patches.reduce((n, p) => n + p.appliesTo.length, 0);
      expect(result.assessments).toBe(setup.classes.length * (setup.imports.length + 1) + pairs);
      expect(setup.patches.every((p) => p.source === 'synthetic')).toBe(true);
    });
  }

  it('gives every scenario class its own controller class, from os id, build, model and role', () => {
    for (const name of EXAMPLES) {
      const s = scenario(name);
      const setup = planCatalog(s, { start: START });
      expect(new Set(setup.classes.map((c) => c.controllerClass)).size).toBe(s.fleet.classes.length);
      for (const c of s.fleet.classes) {
        const [osId, build, model, role] = JSON.parse(cls(setup, c.name).controllerClass) as string[];
        expect(osId).toBe(c.os === 'windows' ? 'windows' : 'ubuntu');
        expect(c.build.endsWith(build!)).toBe(true);
        expect([model, role]).toEqual([c.model, c.role]);
      }
    }
    const mixed = planCatalog(scenario('mixed-fleet'), { start: START });
    expect(cls(mixed, 'win2025-sql').products).toEqual(['Windows Server 2025']);
    expect(cls(mixed, 'win11-dell').products).toEqual(['Windows 11 Version 24H2 for x64-based Systems']);
    expect(cls(mixed, 'win2025-sql').labels).toEqual({ role: 'server', criticality: 'critical' });
    expect(enrollmentTokenRequest(mixed, 'ubuntu-web', 500).labels).toEqual({ role: 'server', criticality: 'high' });
  });

  it('refuses two classes the controller could not tell apart', async () => {
    const s = scenario('mixed-fleet');
    s.fleet.classes[1] = { ...s.fleet.classes[1]!, model: s.fleet.classes[0]!.model };
    const err = await scenarioError(async () => planCatalog(s, { start: START }));
    expect(err.code).toBe('PF_ERR_SCENARIO_INVALID');
    expect(err.message).toContain('win11-dell and win11-lenovo as one');
  });

  it('maps criticality 1-5 onto low..critical without reordering', () => {
    const levels = [1, 2, 3, 4, 5].map(criticalityLabel);
    expect(levels[0]).toBe('low');
    expect(levels[4]).toBe('critical');
    const rank = ['low', 'medium', 'high', 'critical'];
    for (let i = 1; i < levels.length; i++) expect(rank.indexOf(levels[i]!)).toBeGreaterThanOrEqual(rank.indexOf(levels[i - 1]!));
  });

  it('makes nothing assessable before its release: small-fleet has only USN-7001-1 until day 3', async () => {
    const setup = planCatalog(scenario('small-fleet'), { start: START });
    expect(setup.imports.map((b) => [b.day, b.patches])).toEqual([
      [0, ['USN-7001-1']],
      [3, ['USN-7002-1']],
    ]);
    const first = prepareCatalog(catalogAfter(undefined, [await parseBatch(setup.imports[0]!)]));
    expect(first.catalog.usns.map((u) => u.id)).toEqual(['USN-7001-1']);
    expect(missingOn(setup, cls(setup, 'ubuntu-edge'), first, new Map(), START)).toEqual(['USN-7001-1']);
  });

  it('writes real formats that say they are synthetic: OSV, CVRF (dated by its month), KEV, EPSS', async () => {
    const setup = planCatalog(scenario('mixed-fleet'), { start: START });
    const day0 = await parseBatch(setup.imports[0]!);
    const day1 = await parseBatch(setup.imports[1]!);
    const usn = day1.usn[0]!;
    expect(usn).toMatchObject({ id: 'USN-7545-1', published: new Date(START + 86_400_000).toISOString() });
    expect(usn.details).toMatch(/^Synthetic record/);
    expect(usn.affected.map((a) => [a.ecosystem, a.sourcePackage, a.fixedVersion, a.binaries.map((b) => b.name)])).toEqual([['Ubuntu:24.04:LTS', 'pfsim-usn-7545-1', '1.0-0ubuntu1.1', ['pfsim-usn-7545-1']]]);
    const doc = day0.cvrf[0]!;
    expect([doc.id, doc.month, doc.warnings]).toEqual(['2026-Jan', '2026-01', []]);
    expect(doc.title).toMatch(/Synthetic .* \(not Microsoft data\)/);
    const kb = doc.vulnerabilities[0]!;
    expect(kb.vendorFixes.map((f) => [f.kb, f.fixedBuild, f.supersedes])).toEqual([['5066835', null, []]]);
    expect(kb.scoreSets.map((s) => s.baseScore)).toEqual([7.8]);
    expect(day0.kev!.entries.map((e) => [e.cveId, e.dateAdded, e.dueDate, e.vendorProject])).toEqual([[setup.patches[0]!.cves[0], '2026-01-13', '2026-02-03', 'Patchfleet simulator (synthetic)']]);
    expect(day0.epss[0]!.rows).toEqual([{ cve: setup.patches[0]!.cves[0], epss: 0.08, percentile: Number(epssPercentile(0.08).toFixed(5)) }]);
    // Day 1 re-issues January's document with the Ubuntu CVE's score; day 2 adds the second KB to it.
    expect(day1.cvrf[0]!.vulnerabilities.map((v) => v.cve).sort()).toEqual([...setup.patches[0]!.cves, ...setup.patches[1]!.cves].sort());
    expect(setup.imports[2]!.files.map((f) => f.field)).toEqual(['msrcCvrf', 'epss']);
  });

  it('dates synthetic KBs by the latest Patch Tuesday at or before release, so the rollout release date is never backdating', () => {
    for (const at of [Date.parse('2026-01-02T00:00:00Z'), Date.parse('2026-01-13T16:59:59Z'), Date.parse('2026-01-13T17:00:00Z'), Date.parse('2026-01-31T23:00:00Z')]) {
      const id = msrcDocumentId(at);
      const month = { '2025-Dec': ['2025-12', '2026-01'], '2026-Jan': ['2026-01', '2026-02'] }[id];
      expect(month).toBeDefined();
      // Its month's Patch Tuesday is the latest one at or before the release: the next is after it.
      expect(Date.parse(patchTuesday(month![0]!)!)).toBeLessThanOrEqual(at);
      expect(Date.parse(patchTuesday(month![1]!)!)).toBeGreaterThan(at);
    }
    const setup = planCatalog(scenario('unrelated-incident'), { start: Date.parse('2026-01-05T09:00:00Z') });
    expect(setup.imports[0]!.files.find((f) => f.field === 'msrcCvrf')!.name).toBe('cvrf-2025-Dec.xml');
    expect(rolloutRequest(setup, 'KB5068781')).toEqual({ name: 'unrelated-incident: KB5068781', patches: ['KB5068781'], releasedAt: '2026-01-06T09:00:00.000Z' });
  });

  it('a KB for one of two classes of one Windows product: the other class holds it from the start', async () => {
    const s = scenario('mixed-fleet');
    s.patches[2] = { ...s.patches[2]!, appliesTo: ['win11-dell', 'win2025-sql'] };
    const setup = planCatalog(s, { start: START });
    expect(cls(setup, 'win11-lenovo').preinstalledKbs).toEqual(['KB5065426']);
    expect(cls(setup, 'win11-dell').preinstalledKbs).toEqual([]);
    await checkCatalogSetup(setup);
  });

  it('EPSS percentiles follow the real (score, percentile) pairs of the bundled FIRST data', () => {
    const rows = readFileSync(`${ADVISORIES}/epss/epss_subset.csv`, 'utf8').trim().split('\n').slice(2).map((l) => l.split(',').map(Number) as [number, number, number]);
    const errors = rows.map(([, score, percentile]) => Math.abs(epssPercentile(score) - percentile));
    // Rows come from different days, so they do not lie on one curve; the map stays within a few points of each.
    expect(Math.max(...errors)).toBeLessThan(0.06);
    for (let k = 1; k <= 1000; k++) expect(epssPercentile(k / 1000)).toBeGreaterThanOrEqual(epssPercentile((k - 1) / 1000));
  });

  it('inventories: a post-install delta moves only the patched package, and commands map back to patches', () => {
    const setup = planCatalog(scenario('mixed-fleet'), { start: START });
    const host = { index: 7, hostname: 'sim-000007', serial: 'SIM00000007' };
    const at = { now: START, bootId: 'b1', bootTime: START - 3_600_000 };
    const before = inventoryReport(setup, 'ubuntu-web', host, at, new Map());
    const after = inventoryReport(setup, 'ubuntu-web', host, at, new Map([['USN-7545-1', START]]));
    const delta = deltaReportBody(before, after, { seq: 2, baseSeq: 1, collectedAt: START });
    expect(delta.packages.map((p) => [p.name, p.version])).toEqual([['pfsim-usn-7545-1', '1.0-0ubuntu1.1']]);
    expect(delta.removed).toEqual([]);
    expect(patchesOfCommand(setup, 'ubuntu-web', { packages: [{ name: 'pfsim-usn-7545-1', version: '1.0-0ubuntu1.1' }] })).toEqual(['USN-7545-1']);
    expect(patchesOfCommand(setup, 'win11-dell', { kb: 'KB5065426' })).toEqual(['KB5065426']);
    expect(hostPackages(setup, 'win11-dell', new Map([['KB5066835', START + 86_400_000]]))).toEqual([
      { name: 'KB5066835', version: '2026-01-14', sourceName: 'KB5066835', sourceVersion: '2026-01-14', arch: 'AMD64', manager: 'windows' },
    ]);
  });
});

describe('catalog setup with the bundled advisory data imported', () => {
  it('uses a real notice as it is: USN-7545-1 (apport) on Ubuntu 24.04, just below its fix', async () => {
    const bundled = await fixtureFeeds();
    const s = scenario('mixed-fleet');
    s.fleet.classes = [{ ...s.fleet.classes[3]!, share: 1 }];
    s.patches = [s.patches[1]!];
    const setup = planCatalog(s, { start: START, bundled });
    const patch = setup.patches[0]!;
    expect(patch.source).toBe('bundled');
    expect(patch.packages['ubuntu-web']).toEqual([{ name: 'apport', sourceName: 'apport', arch: 'amd64', before: '2.28.1-0ubuntu3.6~pfsim1', after: '2.28.1-0ubuntu3.6' }]);
    expect(setup.imports[0]!.files).toEqual([]);
    await checkCatalogSetup(setup, bundled);
  });

  it('uses the newest real KB of a product (KB5072033) with hosts one revision below its build and every other KB held', async () => {
    const bundled = await fixtureFeeds();
    const s = scenario('unrelated-incident');
    s.patches = [{ ...s.patches[0]!, id: 'KB5072033' }];
    const setup = planCatalog(s, { start: START, bundled });
    const hp = cls(setup, 'win11-hp');
    expect(setup.patches[0]!.source).toBe('bundled');
    const revision = setup.patches[0]!.revisions['win11-hp']!;
    expect(hp.ubr).toBeLessThan(revision);
    expect(hp.preinstalledKbs).not.toContain('KB5072033');
    await checkCatalogSetup(setup, bundled);
  });

  it('small-fleet: its USN ids are not in the bundled data, so they are synthetic, beside the real catalog', async () => {
    const bundled = await fixtureFeeds();
    const setup = planCatalog(scenario('small-fleet'), { start: START, bundled });
    expect(setup.patches.map((p) => p.source)).toEqual(['synthetic', 'synthetic']);
    await checkCatalogSetup(setup, bundled);
  });

  it('refuses real KBs the controller would never list as missing, and says which newer KB covers them', async () => {
    const bundled = await fixtureFeeds();
    const setup = planCatalog(scenario('mixed-fleet'), { start: START, bundled });
    const err = await scenarioError(() => checkCatalogSetup(setup, bundled));
    expect(err.code).toBe('PF_ERR_SCENARIO_INVALID');
    expect(err.message).toContain('KB5066835 is superseded in the catalog by KB5068861, KB5072033');
  });

  it('refuses a start whose synthetic MSRC document would replace an imported month', async () => {
    const bundled = await fixtureFeeds();
    const err = await scenarioError(async () => planCatalog(scenario('small-fleet'), { start: Date.parse('2025-11-20T00:00:00Z'), bundled }));
    expect(err.message).toContain('2025-Nov would replace the imported one');
  });
});
