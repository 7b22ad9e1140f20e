import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFeeds, type FixtureFeeds } from '@patchfleet/test/support/advisories';
import { catalogFromFeeds } from './build';
import { kbIndex, type UsnRecord } from './feeds/index';
import type { Catalog, WindowsKb } from './model';

let feeds: FixtureFeeds;
let catalog: Catalog;

beforeAll(async () => {
  feeds = await fixtureFeeds();
  catalog = catalogFromFeeds({ usn: feeds.usn, cvrf: feeds.cvrf, kev: feeds.kev, epss: feeds.epss });
});

function kb(id: string, from: Catalog = catalog): WindowsKb {
  const found = from.kbs.find((k) => k.id === id);
  if (found === undefined) throw new Error(`${id} is not in the catalog`);
  return found;
}

describe('catalogFromFeeds: Windows KBs from the four MSRC documents', () => {
  it('makes one WindowsKb per KB of any document, sorted by number', () => {
    const all = new Set(feeds.cvrf.flatMap((doc) => kbIndex(doc).map((e) => `KB${e.kb}`)));
    expect(catalog.kbs.map((k) => k.id).sort()).toEqual([...all].sort());
    const numbers = catalog.kbs.map((k) => Number(k.id.slice(2)));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it('KB5072033 is December\'s Windows 11 24H2 update superseding KB5068861', () => {
    expect(kb('KB5072033')).toMatchObject({ month: '2025-12', supersedes: ['KB5068861'], hotpatch: false, restartRequired: 'yes', title: '2025-12 Security Update (KB5072033)' });
    expect(kb('KB5072033').products.find((p) => p.productId === '12390')).toEqual({ productId: '12390', name: 'Windows 11 Version 24H2 for x64-based Systems', fixedBuild: '10.0.26100.7462' });
  });

  it('dates KB5068861 to November, where it is native, though December lists it again, and unites its CVEs', () => {
    const nov = kbIndex(feeds.cvrfByMonth.Nov).find((e) => e.kb === '5068861');
    const dec = kbIndex(feeds.cvrfByMonth.Dec).find((e) => e.kb === '5068861');
    expect(dec?.supersededBy).toEqual(['5072033']); // December carries it along for a late CVE
    const union = new Set([...(nov?.cves ?? []), ...(dec?.cves ?? [])]);
    expect(union.size).toBe((nov?.cves.length ?? 0) + (dec?.cves.length ?? 0)); // the documents list different CVEs
    expect(kb('KB5068861').month).toBe('2025-11');
    expect(new Set(kb('KB5068861').cves)).toEqual(union);
    expect(kb('KB5068861').cves).toContain('CVE-2025-62215');
  });

  it('has October\'s KB5066835 although the October document is absent: month unknown, CVEs from November and December', () => {
    const k = kb('KB5066835');
    expect(k.month).toBeNull();
    expect(k.title).toBe('Security Update (KB5066835)');
    expect(k.supersedes).toEqual(['KB5065426']);
    expect(k.cves).toEqual(['CVE-2025-62208', 'CVE-2025-62209', 'CVE-2025-64679', 'CVE-2025-64680']);
    expect(k.products.find((p) => p.productId === '12390')?.fixedBuild).toBe('10.0.26100.6899');
    expect(kb('KB5068861').supersedes).toEqual(['KB5066835']);
  });

  it('leaves the month of KB5066837 unknown too: it only travels with October KBs', () => {
    expect(kbIndex(feeds.cvrfByMonth.Nov).find((e) => e.kb === '5066837')?.supersededBy).toEqual([]);
    expect(kb('KB5066837')).toMatchObject({ month: null, supersedes: ['KB5065430'] });
  });

  it('keeps the higher FixedBuild when documents disagree (KB5068781, Windows 10 21H2)', () => {
    const novBuild = kbIndex(feeds.cvrfByMonth.Nov).find((e) => e.kb === '5068781')?.fixedBuildByProduct['11931'];
    const decBuild = kbIndex(feeds.cvrfByMonth.Dec).find((e) => e.kb === '5068781')?.fixedBuildByProduct['11931'];
    expect([novBuild, decBuild]).toEqual(['10.0.19044.6575', '10.0.19043.6575']);
    expect(kb('KB5068781').products.find((p) => p.productId === '11931')).toEqual({ productId: '11931', name: 'Windows 10 Version 21H2 for x64-based Systems', fixedBuild: '10.0.19044.6575' });
  });

  it('flags hotpatch KBs under both SubType spellings', () => {
    expect(kb('KB5068966')).toMatchObject({ hotpatch: true, month: '2025-11', title: '2025-11 Security Hotpatch Update (KB5068966)' });
    expect(kb('KB5072014')).toMatchObject({ hotpatch: true, month: '2025-12', supersedes: ['KB5068966'] });
    expect(kb('KB5060841')).toMatchObject({ hotpatch: true, month: '2025-06', supersedes: ['KB5058497'] });
    expect(kb('KB5068861').hotpatch).toBe(false);
  });

  it('dates a KB by the document alone when only that document is given', () => {
    const decOnly = catalogFromFeeds({ usn: [], cvrf: [feeds.cvrfByMonth.Dec] });
    expect(kb('KB5068861', decOnly).month).toBeNull(); // December alone only carries it along
    expect(kb('KB5072033', decOnly).month).toBe('2025-12');
    const novOnly = catalogFromFeeds({ usn: [], cvrf: [feeds.cvrfByMonth.Nov] });
    expect(kb('KB5068861', novOnly).month).toBe('2025-11');
  });
});

describe('catalogFromFeeds: CVEs', () => {
  it('CVE-2025-62215 has MSRC facts, KEV data and exploited=true', () => {
    expect(catalog.cves.get('CVE-2025-62215')).toEqual({
      id: 'CVE-2025-62215',
      cvssScore: 7,
      cvssVector: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C',
      severity: 'Important',
      exploited: true,
      publiclyDisclosed: false,
      epss: null,
      kev: { dateAdded: '2025-11-12', dueDate: '2025-12-03', ransomware: false },
    });
  });

  it('takes Ubuntu priority and vector when MSRC says nothing, computes no score, and adds EPSS', () => {
    const row = feeds.epss.rows.find((r) => r.cve === 'CVE-2023-2650');
    expect(catalog.cves.get('CVE-2023-2650')).toEqual({
      id: 'CVE-2023-2650',
      cvssScore: null,
      cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H',
      severity: 'medium',
      exploited: null,
      publiclyDisclosed: null,
      epss: { score: row?.epss, percentile: row?.percentile, date: feeds.epss.scoreDate.slice(0, 10) },
      kev: null,
    });
  });

  it('names every CVE of every advisory and no KEV/EPSS-only CVE', () => {
    const advisory = new Set([...feeds.usn.flatMap((r) => r.cveIds), ...feeds.cvrf.flatMap((d) => d.vulnerabilities.map((v) => v.cve))]);
    expect(new Set(catalog.cves.keys())).toEqual(advisory);
    const kevOnly = feeds.kev.entries.find((e) => !advisory.has(e.cveId));
    expect(kevOnly).toBeDefined();
    expect(catalog.cves.has(kevOnly?.cveId ?? '')).toBe(false);
    const withKev = [...catalog.cves.values()].filter((c) => c.kev !== null);
    expect(withKev.length).toBe(feeds.kev.entries.filter((e) => advisory.has(e.cveId)).length);
    expect(withKev.every((c) => c.exploited === true)).toBe(true);
  });
});

describe('catalogFromFeeds: Ubuntu notices', () => {
  it('makes one UsnFix per affected entry, with per-release CVEs from cves_map', () => {
    expect(catalog.usns.map((u) => u.id)).toEqual(feeds.usn.map((r) => r.id));
    const usn = catalog.usns.find((u) => u.id === 'USN-6119-1');
    const record = feeds.usn.find((r) => r.id === 'USN-6119-1');
    expect(usn?.fixes).toHaveLength(record?.affected.length ?? -1);
    expect(usn).toMatchObject({ title: 'openssl, openssl1.0 vulnerabilities', published: '2023-05-30T14:16:59Z', cves: ['CVE-2023-1255', 'CVE-2023-2650'] });
    expect(usn?.fixes[0]).toEqual({
      ecosystem: 'Ubuntu:18.04:LTS',
      release: '18.04',
      pro: false,
      proService: null,
      variant: null,
      sourcePackage: 'openssl',
      fixedVersion: '1.1.1-1ubuntu2.1~18.04.23',
      binaries: [
        { name: 'libssl1.1', version: '1.1.1-1ubuntu2.1~18.04.23' },
        { name: 'openssl', version: '1.1.1-1ubuntu2.1~18.04.23' },
      ],
      cves: ['CVE-2023-2650'],
    });
  });

  it('reads an empty cves_map as "not stated" (USN-6719-1), and an absent one as null', () => {
    expect(catalog.usns.find((u) => u.id === 'USN-6719-1')?.fixes.map((f) => f.cves)).toEqual([null, null]);
    const noMap = feeds.usn.find((r) => r.affected.every((a) => a.cves === null));
    expect(noMap).toBeDefined();
    expect(catalog.usns.find((u) => u.id === noMap?.id)?.fixes.every((f) => f.cves === null)).toBe(true);
  });

  it('leaves withdrawn notices out and keeps the newest copy of a duplicated one', () => {
    const [first, second] = feeds.usn as [UsnRecord, UsnRecord];
    const withdrawn = { ...first, withdrawn: '2026-01-01T00:00:00Z' };
    const newer = { ...second, modified: '2099-01-01T00:00:00Z', summary: 'newer copy' };
    const built = catalogFromFeeds({ usn: [withdrawn, newer, second], cvrf: [] });
    expect(built.usns.map((u) => u.id)).toEqual([second.id]);
    expect(built.usns[0]?.title).toBe('newer copy');
  });
});

describe('catalogFromFeeds is independent of input order', () => {
  it('gives the same catalog for reversed inputs', () => {
    const reversed = catalogFromFeeds({ usn: [...feeds.usn].reverse(), cvrf: [...feeds.cvrf].reverse(), kev: feeds.kev, epss: { rows: [...feeds.epss.rows].reverse(), scoreDate: feeds.epss.scoreDate } });
    expect(reversed).toEqual(catalog);
  });
});
