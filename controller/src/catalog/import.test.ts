import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { isPfError } from '@patchfleet/shared/errors';
import { cvrfPath, FIXTURE_PATHS, fixtureFeeds, type FixtureFeeds } from '@patchfleet/test/support/advisories';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../db/index';
import { auditLog, catalogImports, catalogKbs, catalogUsnFixes } from '../db/schema/index';
import { catalogFromFeeds } from './build';
import { importCatalog, type ImportResult, type ImportSources } from './import';
import { catalogRowCounts, catalogStatus } from './import-log';
import { loadCatalog } from './store';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const ALL: ImportSources = { usnOsv: FIXTURE_PATHS.usnDir, msrcCvrf: FIXTURE_PATHS.cvrf, kev: FIXTURE_PATHS.kev, epss: FIXTURE_PATHS.epss };

let feeds: FixtureFeeds;
let scratch: string;

beforeAll(async () => {
  feeds = await fixtureFeeds();
  scratch = mkdtempSync(join(tmpdir(), 'pf-import-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function run(db: Db, sources: ImportSources, progress?: string[]): Promise<ImportResult> {
  return importCatalog(db, sources, { clock: new ManualClock(T0), actor: 'cli:test', onProgress: (line) => progress?.push(line) });
}

/** Everything an import could change: catalog rows, import records, audit entries. */
async function snapshot(db: Db) {
  const [imports] = await db.select({ n: count() }).from(catalogImports);
  const [audits] = await db.select({ n: count() }).from(auditLog);
  return { rows: await catalogRowCounts(db), imports: imports?.n, audits: audits?.n, catalog: await loadCatalog(db) };
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isPfError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('the import succeeded');
}

describe('importCatalog of every fixture', () => {
  let tdb: TestDatabase;
  let db: Db;
  let first: ImportResult;
  const progress: string[] = [];

  beforeAll(async () => {
    tdb = await openTestDatabase();
    db = tdb.database.db;
    first = await run(db, ALL, progress);
  });
  afterAll(async () => {
    await tdb?.cleanup();
  });

  it('imports all feeds, reporting progress and what it inserted', () => {
    expect(progress).toContain('usn: 37/37 files');
    expect(progress).toContain('msrc: 4/4 documents (cvrf-2025-Dec.xml: 2025-Dec)');
    expect(progress).toContain('kev: 1662 entries (catalog 2026.08.07)');
    expect(progress.some((l) => l.startsWith('epss: 100%'))).toBe(true);
    expect(first.changed).toBe(true);
    expect(first.tables).toMatchObject({
      usns: { inserted: 37, updated: 0, deleted: 0 },
      msrcDocuments: { inserted: 4 },
      // The one Mitigation of the fixtures (CVE-2025-55232, September).
      remediations: { inserted: 1 },
      kbs: { inserted: 156 },
      kev: { inserted: 1662 },
      epss: { inserted: feeds.epss.rows.length },
    });
    expect(first.tables.usnFixes?.inserted).toBe(feeds.usn.reduce((n, r) => n + r.affected.length, 0));
    expect(Object.keys(first.feeds)).toEqual(['usn', 'msrc', 'kev', 'epss']);
    expect(first.feeds.msrc?.totals.inserted).toBe((first.tables.msrcDocuments?.inserted ?? 0) + (first.tables.remediations?.inserted ?? 0) + (first.tables.kbs?.inserted ?? 0) + (first.tables.kbProducts?.inserted ?? 0));
  });

  it('stores exactly the catalog that catalogFromFeeds builds from the same files', async () => {
    const built = catalogFromFeeds({ usn: feeds.usn, cvrf: feeds.cvrf, kev: feeds.kev, epss: feeds.epss });
    const loaded = await loadCatalog(db);
    expect(loaded.usns).toEqual(built.usns);
    expect(loaded.kbs).toEqual(built.kbs);
    expect(loaded.cves).toEqual(built.cves);
  });

  it('answers "which notices name source package X" and "which KBs fix CVE Y" in SQL', async () => {
    const openssl = await db.selectDistinct({ usnId: catalogUsnFixes.usnId }).from(catalogUsnFixes).where(eq(catalogUsnFixes.sourcePackage, 'openssl')).orderBy(catalogUsnFixes.usnId);
    const expected = [...new Set(feeds.usn.filter((r) => r.affected.some((a) => a.sourcePackage === 'openssl')).map((r) => r.id))].sort();
    expect(openssl.map((r) => r.usnId)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    // jsonb containment proves the lists are stored as JSON arrays on both drivers.
    const kbs = await db.select({ id: catalogKbs.id }).from(catalogKbs).where(sql`${catalogKbs.cves} @> ${JSON.stringify(['CVE-2025-62215'])}::jsonb`);
    expect(kbs.map((k) => k.id)).toEqual(expect.arrayContaining(['KB5068861', 'KB5068966']));
  });

  it('a second import of the same files changes nothing and says so', async () => {
    const before = await catalogRowCounts(db);
    const second = await run(db, ALL);
    expect(second.changed).toBe(false);
    for (const [table, c] of Object.entries(second.tables)) {
      expect({ table, inserted: c.inserted, updated: c.updated, deleted: c.deleted }).toEqual({ table, inserted: 0, updated: 0, deleted: 0 });
      expect(c.unchanged).toBe(first.tables[table as keyof typeof first.tables]?.inserted);
    }
    expect(await catalogRowCounts(db)).toEqual(before);
  });

  it('records one catalog_imports row per feed and run, and one audit entry per run', async () => {
    const imports = await db.select().from(catalogImports).orderBy(catalogImports.id);
    expect(imports.map((i) => i.feed)).toEqual(['usn', 'msrc', 'kev', 'epss', 'usn', 'msrc', 'kev', 'epss']);
    expect(imports[0]).toMatchObject({ runId: first.runId, actor: 'cli:test', sources: [FIXTURE_PATHS.usnDir], inserted: first.feeds.usn?.totals.inserted, startedAt: new Date(T0) });
    expect(imports[6]?.details).toMatchObject({ catalogVersion: '2026.08.07' });
    const audits = await db.select().from(auditLog).where(eq(auditLog.action, 'catalog.import'));
    expect(audits.map((a) => a.targetId)).toEqual([first.runId, imports[4]?.runId]);
    const status = await catalogStatus(db);
    expect(status.rows.kbs).toBe(156);
    expect(status.lastImports.kev).toMatchObject({ runId: imports[4]?.runId, totals: { inserted: 0, updated: 0, unchanged: 1662, deleted: 0 } });
  });
});

describe('a bad file is refused and nothing changes', () => {
  let tdb: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    tdb = await openTestDatabase();
    db = tdb.database.db;
    await run(db, { usnOsv: FIXTURE_PATHS.usnDir, msrcCvrf: [cvrfPath('Nov')], epss: FIXTURE_PATHS.epss });
  });
  afterAll(async () => {
    await tdb?.cleanup();
  });

  it('truncated JSON after good notices in a USN directory (with KEV in the same command)', async () => {
    const dir = join(scratch, 'usn-truncated');
    cpSync(FIXTURE_PATHS.usnDir, dir, { recursive: true });
    const good = readFileSync(join(FIXTURE_PATHS.usnDir, 'USN-8300-1.json'), 'utf8');
    const bad = join(dir, 'USN-9999-1.json'); // sorts after every good file
    writeFileSync(bad, good.slice(0, Math.floor(good.length / 2)));
    const before = await snapshot(db);
    const err = await failure(run(db, { usnOsv: dir, kev: FIXTURE_PATHS.kev }));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.message).toContain(bad);
    expect(err.message).toContain('invalid JSON');
    expect(await snapshot(db)).toEqual(before);
  });

  it('a broken CVRF document after a good one', async () => {
    const bad = join(scratch, 'cvrf-2025-Dec-broken.xml');
    const xml = readFileSync(cvrfPath('Dec'), 'utf8');
    writeFileSync(bad, xml.slice(0, Math.floor(xml.length / 3)));
    const before = await snapshot(db);
    const err = await failure(run(db, { msrcCvrf: [cvrfPath('Sep'), bad] }));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.message).toContain(bad);
    expect(err.message).toContain('not well-formed XML');
    expect(await snapshot(db)).toEqual(before);
  });

  it('a bad EPSS row found while writing, after other feeds and rows were written in the transaction', async () => {
    const lines = readFileSync(FIXTURE_PATHS.epss, 'utf8').split('\n');
    const bad = join(scratch, 'epss-bad.csv');
    // Rows from another day, so a half-applied import would show; the bad row is the last.
    writeFileSync(bad, [lines[0]?.replace(/score_date:[^,\s]+/, 'score_date:2027-01-01T00:00:00Z'), ...lines.slice(1, 40), 'CVE-2024-0001,not-a-number,0.5', ''].join('\n'));
    const kevMinusOne = join(scratch, 'kev-minus-one.json');
    const kev = JSON.parse(readFileSync(FIXTURE_PATHS.kev, 'utf8')) as { count: number; vulnerabilities: unknown[] };
    writeFileSync(kevMinusOne, JSON.stringify({ ...kev, count: kev.count - 1, vulnerabilities: kev.vulnerabilities.slice(1) }));
    const before = await snapshot(db);
    const err = await failure(run(db, { kev: kevMinusOne, usnOsv: FIXTURE_PATHS.usnDir, epss: bad }));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.message).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 41`));
    expect(await snapshot(db)).toEqual(before);
  });

  it('a missing file', async () => {
    const before = await snapshot(db);
    const err = await failure(run(db, { kev: join(scratch, 'no-such-kev.json') }));
    expect(err.code).toBe('PF_ERR_FEED_IO');
    expect(err.message).toContain('no-such-kev.json');
    expect(await snapshot(db)).toEqual(before);
  });

  it('no file at all is a validation error', async () => {
    expect((await failure(run(db, { msrcCvrf: [] }))).code).toBe('PF_ERR_VALIDATION');
  });
});
