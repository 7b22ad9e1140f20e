import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readKevFile } from './kev';
import { readCvrfFile } from './msrc-cvrf';
import { compareBuilds, cveIndex, cveSummary, kbIndex } from './msrc-kb-index';
import type { CvrfDocument, CvrfVendorFix, CvrfVulnerability, KbEntry } from './types';

const fixture = (path: string): string => fileURLToPath(new URL(`../../../../test/fixtures/advisories/${path}`, import.meta.url));

const docs: Record<string, CvrfDocument> = {};
const indexes: Record<string, Map<string, KbEntry>> = {};
beforeAll(async () => {
  for (const month of ['Jun', 'Sep', 'Nov', 'Dec']) {
    const doc = await readCvrfFile(fixture(`msrc/cvrf-2025-${month}.xml`));
    docs[month] = doc;
    indexes[month] = new Map(kbIndex(doc).map((e) => [e.kb, e]));
  }
});

function kb(month: string, number: string): KbEntry {
  const entry = indexes[month]?.get(number);
  if (entry === undefined) throw new Error(`KB${number} not in ${month}`);
  return entry;
}

describe('kbIndex on the real documents', () => {
  it('lists every KB-numbered vendor fix once: 47, 38, 39 and 55 KBs', () => {
    expect(Object.fromEntries(Object.entries(indexes).map(([m, idx]) => [m, idx.size]))).toEqual({ Jun: 47, Sep: 38, Nov: 39, Dec: 55 });
    const kbs = kbIndex(docs['Nov'] as CvrfDocument).map((e) => e.kb);
    expect(kbs).toEqual([...kbs].sort((a, b) => Number(a) - Number(b)));
  });

  it('2025-Nov KB5068861 is the Windows 11 24H2/25H2 and Server 2025 cumulative update', () => {
    const entry = kb('Nov', '5068861');
    expect(entry).toMatchObject({
      documentId: '2025-Nov',
      month: '2025-11',
      supersedes: ['5066835'],
      supersededBy: [],
      restartRequired: 'yes',
      hotpatch: false,
      subTypes: ['Security Update'],
      urls: ['https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB5068861'],
      latestCveRevision: '2025-11-11T08:00:00',
    });
    expect(entry.fixedBuildByProduct).toEqual({
      '12389': '10.0.26100.7171', // Windows 11 Version 24H2 for ARM64-based Systems
      '12390': '10.0.26100.7171', // Windows 11 Version 24H2 for x64-based Systems
      '12436': '10.0.26100.7171', // Windows Server 2025
      '12437': '10.0.26100.7171', // Windows Server 2025 (Server Core installation)
      '20437': '10.0.26200.7171', // Windows 11 Version 25H2 for ARM64-based Systems
      '20438': '10.0.26200.7171', // Windows 11 Version 25H2 for x64-based Systems
    });
    expect(entry.fixedBuilds.sort()).toEqual(['10.0.26100.7171', '10.0.26200.7171']);
    expect(entry.cves).toHaveLength(35);
    expect(entry.cves).toContain('CVE-2025-62215');
    expect(entry.cves[0]).toBe('CVE-2025-59505');
  });

  it('finds October KB5066835 in November through two late-added CVEs, superseded by KB5068861', () => {
    const entry = kb('Nov', '5066835');
    expect(entry.cves).toEqual(['CVE-2025-62208', 'CVE-2025-62209']);
    expect(entry.supersedes).toEqual(['5065426']);
    expect(entry.supersededBy).toEqual(['5068861']);
    expect(entry.fixedBuildByProduct['12390']).toBe('10.0.26100.6899');
    expect(entry.latestCveRevision).toBe('2025-11-18T08:00:00');
    expect(entry.hasKnownIssues).toBe(true);
    // Still there in December, revised again.
    expect(kb('Dec', '5066835').latestCveRevision).toBe('2025-12-23T08:00:00');
  });

  it('flags the hotpatch KBs under both SubType spellings', () => {
    expect(kb('Nov', '5068966')).toMatchObject({ hotpatch: true, subTypes: ['Security Hotpatch Update'], supersedes: [] });
    expect(kb('Nov', '5068966').fixedBuildByProduct['12390']).toBe('10.0.26100.7092');
    expect(kb('Nov', '5068840')).toMatchObject({ hotpatch: true, productIds: ['11923', '11924'], fixedBuildByProduct: { '11923': '10.0.20348.4346', '11924': '10.0.20348.4346' } });
    expect(kb('Jun', '5060841')).toMatchObject({ hotpatch: true, subTypes: ['SecurityHotpatchUpdate'], supersedes: ['5058497'] });
    expect(kb('Sep', '5065474')).toMatchObject({ hotpatch: true, subTypes: ['SecurityHotpatchUpdate'], supersedes: ['5064010'] });
    expect(kb('Dec', '5072014')).toMatchObject({ hotpatch: true, supersedes: ['5068966'] });
    const hotpatches = Object.values(indexes).flatMap((idx) => [...idx.values()].filter((e) => e.hotpatch).map((e) => e.kb));
    expect(hotpatches.sort()).toEqual(['5058497', '5058500', '5060525', '5060841', '5065306', '5065474', '5068840', '5068840', '5068966', '5068966', '5071413', '5072014']);
  });

  it('follows the Windows 11 24H2 cumulative chain Sep -> Oct -> Nov -> Dec', () => {
    expect(kb('Sep', '5065426')).toMatchObject({ supersedes: ['5063878'] });
    expect(kb('Sep', '5065426').fixedBuildByProduct['12390']).toBe('10.0.26100.6584');
    expect(kb('Nov', '5066835').supersedes).toEqual(['5065426']);
    expect(kb('Dec', '5072033')).toMatchObject({ supersedes: ['5068861'] });
    expect(kb('Dec', '5072033').fixedBuildByProduct['12390']).toBe('10.0.26100.7462');
    expect(kb('Jun', '5060842')).toMatchObject({ supersedes: ['5058411'] });
    expect(kb('Jun', '5060842').fixedBuildByProduct['12390']).toBe('10.0.26100.4349');
  });

  it('keeps restart and subtype of the older Windows lines', () => {
    expect(kb('Nov', '5068904')).toMatchObject({ subTypes: ['Monthly Rollup'], supersedes: ['5066872'], restartRequired: 'yes' });
    expect(kb('Nov', '5068904').fixedBuildByProduct['10051']).toBe('6.1.7601.28021');
    expect(kb('Nov', '5068908')).toMatchObject({ subTypes: ['Security Only'], supersedes: [] });
    expect(kb('Nov', '5002800')).toMatchObject({ restartRequired: 'maybe', supersedes: ['5002786'] });
  });
});

describe('cveSummary', () => {
  it('gives worst score, severity and exploitation per CVE', () => {
    const nov = new Map(cveIndex(docs['Nov'] as CvrfDocument).map((s) => [s.cve, s]));
    expect(nov.get('CVE-2025-62215')).toMatchObject({
      maxBaseScore: 7,
      vector: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C',
      severity: 'Important',
      impacts: ['Elevation of Privilege'],
      exploited: true,
      publiclyDisclosed: false,
      latestSoftwareRelease: 'Exploitation Detected',
    });
    expect(nov.get('CVE-2025-62215')?.kbs).toContain('5068861');
    expect(nov.size).toBe(183);
  });

  it('agrees with CISA KEV: every CVE MSRC marks exploited is in the catalog', async () => {
    const kev = await readKevFile(fixture('kev/known_exploited_vulnerabilities.json'));
    const inKev = new Set(kev.entries.map((e) => e.cveId));
    const exploited = Object.values(docs).flatMap((d) => cveIndex(d).filter((s) => s.exploited === true).map((s) => s.cve));
    expect(exploited.sort()).toEqual(['CVE-2025-33053', 'CVE-2025-62215', 'CVE-2025-62221']);
    expect(exploited.filter((c) => !inKev.has(c))).toEqual([]);
  });

  it('takes the highest base score and severity over products', () => {
    const v: CvrfVulnerability = {
      cve: 'CVE-2025-1',
      title: null,
      cwes: [],
      affectedProductIds: [],
      scoreSets: [
        { productIds: ['1'], baseScore: 6.5, temporalScore: null, vector: 'CVSS:3.1/AV:L' },
        { productIds: ['2'], baseScore: 8.8, temporalScore: 7.7, vector: 'CVSS:3.1/AV:N' },
      ],
      productThreats: [
        { productId: '1', impact: 'Spoofing', severity: 'Critical' },
        { productId: '2', impact: 'Spoofing', severity: 'Moderate' },
      ],
      exploitStatus: null,
      vendorFixes: [],
      knownIssueKbs: [],
      workarounds: [],
      otherRemediations: {},
      revisions: [],
      latestRevisionDate: null,
    };
    expect(cveSummary(v)).toMatchObject({ maxBaseScore: 8.8, vector: 'CVSS:3.1/AV:N', severity: 'Critical', impacts: ['Spoofing'], exploited: null });
  });
});

describe('kbIndex merging rules', () => {
  const fix = (over: Partial<CvrfVendorFix>): CvrfVendorFix => ({
    kb: '5000001', description: '5000001', url: null, productIds: ['1'], fixedBuild: null, supersedes: [],
    supersedenceRaw: null, restartRequired: null, subType: 'Security Update', hotpatch: false, ...over,
  });
  const docWith = (fixes: CvrfVendorFix[][]): CvrfDocument => ({
    source: 'test', id: '2025-Oct', month: '2025-10', title: 't', documentType: null, initialReleaseDate: '2025-10-14T07:00:00',
    currentReleaseDate: '2025-10-14T07:00:00', revisions: [], products: [], warnings: [],
    vulnerabilities: fixes.map((vendorFixes, i) => ({
      cve: `CVE-2025-${1000 + i}`, title: null, cwes: [], affectedProductIds: [], scoreSets: [], productThreats: [], exploitStatus: null,
      vendorFixes, knownIssueKbs: [], workarounds: [], otherRemediations: {}, revisions: [{ number: '1.0', date: `2025-10-1${i}T07:00:00` }],
      latestRevisionDate: `2025-10-1${i}T07:00:00`,
    })),
  });

  it('keeps the strongest restart, the higher build per product, any hotpatch and the newest revision', () => {
    const [entry] = kbIndex(docWith([
      [fix({ restartRequired: 'no', fixedBuild: '10.0.26100.999', supersedes: ['4999999'] })],
      [fix({ restartRequired: 'maybe', fixedBuild: '10.0.26100.1000', subType: 'SecurityHotpatchUpdate', hotpatch: true })],
      [fix({ restartRequired: null, kb: null, description: 'Release Notes' })],
    ]));
    expect(entry).toMatchObject({
      kb: '5000001',
      cves: ['CVE-2025-1000', 'CVE-2025-1001'],
      restartRequired: 'maybe',
      fixedBuildByProduct: { '1': '10.0.26100.1000' },
      supersedes: ['4999999'],
      hotpatch: true,
      subTypes: ['Security Update', 'SecurityHotpatchUpdate'],
      latestCveRevision: '2025-10-11T07:00:00',
    });
  });

  it('orders builds numerically', () => {
    expect(compareBuilds('10.0.26100.999', '10.0.26100.1000')).toBeLessThan(0);
    expect(compareBuilds('10.0.26200.1', '10.0.26100.7171')).toBeGreaterThan(0);
    expect(compareBuilds('6.1.7601.28021', '6.1.7601.28021')).toBe(0);
  });
});
