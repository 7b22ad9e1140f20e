import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureFeeds, type FixtureFeeds } from '@patchfleet/test/support/advisories';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../db/index';
import { catalogEpss } from '../db/schema/index';
import { catalogFromFeeds } from './build';
import type { UsnRecord } from './feeds/index';
import { catalogRowCounts } from './import-log';
import { loadCatalog, saveCatalogFeeds, type CatalogFeeds } from './store';

let feeds: FixtureFeeds;
let tdb: TestDatabase;
let db: Db;

beforeAll(async () => {
  feeds = await fixtureFeeds();
});
beforeEach(async () => {
  tdb = await openTestDatabase();
  db = tdb.database.db;
});
afterEach(async () => {
  await tdb?.cleanup();
});

function epssInput(scoreDate = feeds.epss.scoreDate, rows = feeds.epss.rows): NonNullable<CatalogFeeds['epss']> {
  return { source: feeds.epss.source, modelVersion: feeds.epss.modelVersion, scoreDate, rows };
}

describe('saveCatalogFeeds', () => {
  it('gives the same catalog whatever the order of imports: KEV and EPSS first, December before November, notices last', async () => {
    const { Jun, Sep, Nov, Dec } = feeds.cvrfByMonth;
    await saveCatalogFeeds(db, { kev: feeds.kev });
    await saveCatalogFeeds(db, { epss: epssInput() });
    expect((await loadCatalog(db)).cves.size).toBe(0); // KEV/EPSS alone name no advisory CVE...
    expect((await catalogRowCounts(db)).kev).toBe(1662); // ...but are kept for when advisories arrive
    await saveCatalogFeeds(db, { cvrf: [Dec] });
    await saveCatalogFeeds(db, { cvrf: [Nov, Jun] });
    await saveCatalogFeeds(db, { cvrf: [Sep] });
    await saveCatalogFeeds(db, { usn: feeds.usn });
    const expected = catalogFromFeeds({ usn: feeds.usn, cvrf: feeds.cvrf, kev: feeds.kev, epss: feeds.epss });
    const loaded = await loadCatalog(db);
    expect(loaded.kbs).toEqual(expected.kbs);
    expect(loaded.usns).toEqual(expected.usns);
    expect(loaded.cves).toEqual(expected.cves);
    expect(loaded.cves.get('CVE-2025-62215')?.kev).toEqual({ dateAdded: '2025-11-12', dueDate: '2025-12-03', ransomware: false });
  });

  it('updates a notice re-published with a change, and keeps a stored notice over an older copy', async () => {
    const original = feeds.usn.find((r) => r.id === 'USN-6119-1') as UsnRecord;
    await saveCatalogFeeds(db, { usn: [original] });
    const [fix0, ...rest] = original.affected;
    const revised: UsnRecord = { ...original, modified: '2099-01-01T00:00:00Z', affected: [{ ...fix0!, fixedVersion: '9.9.9' }, ...rest] };
    const saved = await saveCatalogFeeds(db, { usn: [revised] });
    expect(saved.tables.usns).toEqual({ inserted: 0, updated: 1, unchanged: 0, deleted: 0 });
    expect(saved.tables.usnFixes).toEqual({ inserted: 0, updated: 1, unchanged: rest.length, deleted: 0 });
    expect((await loadCatalog(db)).usns[0]?.fixes[0]?.fixedVersion).toBe('9.9.9');

    const older = await saveCatalogFeeds(db, { usn: [original] });
    expect(older.tables.usns).toEqual({ inserted: 0, updated: 0, unchanged: 1, deleted: 0 });
    expect(older.warnings).toEqual([expect.stringContaining(`USN-6119-1 is older (modified ${original.modified}) than the stored notice (modified 2099-01-01T00:00:00Z)`)]);
    expect((await loadCatalog(db)).usns[0]?.fixes[0]?.fixedVersion).toBe('9.9.9');

    const shorter: UsnRecord = { ...revised, modified: '2099-02-01T00:00:00Z', affected: [revised.affected[0]!] };
    const trimmed = await saveCatalogFeeds(db, { usn: [shorter] });
    expect(trimmed.tables.usnFixes?.deleted).toBe(rest.length);
    expect((await loadCatalog(db)).usns[0]?.fixes).toHaveLength(1);
  });

  it('replaces the KEV catalog (an entry CISA removed is deleted) and re-merges CVEs', async () => {
    const { Nov } = feeds.cvrfByMonth;
    await saveCatalogFeeds(db, { cvrf: [Nov], kev: feeds.kev });
    const removed = feeds.kev.entries.find((e) => e.cveId === 'CVE-2025-62215');
    const smaller = { ...feeds.kev, entries: feeds.kev.entries.filter((e) => e !== removed), count: feeds.kev.count - 1 };
    const saved = await saveCatalogFeeds(db, { kev: smaller });
    expect(saved.tables.kev).toEqual({ inserted: 0, updated: 0, unchanged: 1661, deleted: 1 });
    const cve = (await loadCatalog(db)).cves.get('CVE-2025-62215');
    expect(cve?.kev).toBeNull();
    expect(cve?.exploited).toBe(true); // MSRC says Exploited:Yes on its own
  });

  it('keeps the EPSS score of the later day whatever order the files come in', async () => {
    const row = feeds.epss.rows[0]!;
    const later = [{ ...row, epss: 0.5, percentile: 0.6 }];
    await saveCatalogFeeds(db, { epss: epssInput('2026-03-01T00:00:00Z', later) });
    const older = await saveCatalogFeeds(db, { epss: epssInput('2025-08-15T00:00:00Z', [row]) });
    expect(older.tables.epss).toEqual({ inserted: 0, updated: 0, unchanged: 1, deleted: 0 });
    const stored = await db.select().from(catalogEpss);
    expect(stored).toEqual([{ cveId: row.cve, score: 0.5, percentile: 0.6, scoreDate: '2026-03-01', modelVersion: feeds.epss.modelVersion }]);
    const newer = await saveCatalogFeeds(db, { epss: epssInput('2026-03-02T00:00:00Z', [row]) });
    expect(newer.tables.epss?.updated).toBe(1);
  });

  it('refuses an EPSS file listing a CVE twice', async () => {
    const row = feeds.epss.rows[0]!;
    await expect(saveCatalogFeeds(db, { epss: epssInput(undefined, [row, row]) })).rejects.toMatchObject({ code: 'PF_ERR_FEED_PARSE', message: expect.stringContaining(`${row.cve} is listed more than once`) });
    expect((await catalogRowCounts(db)).epss).toBe(0);
  });
});
