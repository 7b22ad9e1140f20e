/**
 * `patchfleet catalog import|status` as real processes, from the repository
 * root as the README runs them: exit codes, output, and that a bad file
 * changes nothing. PGlite in a temporary data directory, or a fresh
 * PostgreSQL database when DATABASE_URL is set.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportResult } from '@patchfleet/controller/src/catalog/import';
import type { CatalogStatus } from '@patchfleet/controller/src/catalog/import-log';
import { cvrfPath, FIXTURE_PATHS } from '../support/advisories';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { runCli, type RunResult } from '../support/processes';

let dir: string;
let dbUrl: string | undefined;
let dropDb: () => Promise<void>;
let first: ImportResult;
let secondRunId: string | undefined;

function catalog(args: string[]): Promise<RunResult> {
  const where = dbUrl === undefined ? ['--data-dir', join(dir, 'controller')] : ['--database-url', dbUrl];
  // The database is chosen by the flags alone, never by an inherited DATABASE_URL.
  return runCli('controller', ['catalog', ...args, ...where], { env: { DATABASE_URL: '' }, timeoutMs: 120_000 });
}

const FEED_ARGS = ['--usn-osv', FIXTURE_PATHS.usnDir, '--msrc-cvrf', ...FIXTURE_PATHS.cvrf, '--kev', FIXTURE_PATHS.kev, '--epss', FIXTURE_PATHS.epss];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-catalog-cli-'));
  const db = await createTestDatabaseUrl();
  dbUrl = db.url;
  dropDb = db.drop;
  // A migrated data directory, so the first process does not spend seconds in initdb.
  if (dbUrl === undefined) await seedPgliteDataDir(join(dir, 'controller'));
});
afterAll(async () => {
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

// Each test runs one to two real processes; a busy machine can take seconds per process.
describe('patchfleet catalog', { timeout: 60_000 }, () => {
  it('import without a feed file is a usage error (exit 2)', async () => {
    const res = await catalog(['import']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('error PF_ERR_VALIDATION: nothing to import: give at least one of --usn-osv, --msrc-cvrf, --kev, --epss, --known-issues\n');
    expect(res.stdout).toBe('');
  });

  it('imports every fixture feed, with progress on stderr and the counts as JSON', async () => {
    const res = await catalog(['import', ...FEED_ARGS, '--json']);
    expect(res.stderr).toContain('usn: 37/37 files\n');
    expect(res.stderr).toContain('msrc: 4/4 documents');
    expect(res.code).toBe(0);
    first = JSON.parse(res.stdout) as ImportResult;
    expect(first.changed).toBe(true);
    expect(first.tables).toMatchObject({ usns: { inserted: 37 }, msrcDocuments: { inserted: 4 }, kbs: { inserted: 156 }, kev: { inserted: 1662 }, epss: { inserted: 87 } });
  });

  it('a second import changes nothing and says so', async () => {
    const res = await catalog(['import', ...FEED_ARGS]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^TABLE +INSERTED +UPDATED +UNCHANGED +DELETED\n/);
    expect(res.stdout).toMatch(/^kbs +0 +0 +156 +0$/m);
    expect(res.stdout).toMatch(/imported usn, msrc, kev, epss in [\d.]+ s \(run imp_[0-9a-f]+\): no changes, the catalog already holds this data\n$/);
    secondRunId = /\(run (imp_[0-9a-f]+)\)/.exec(res.stdout)?.[1];
  });

  it('refuses a corrupt CVRF document given after a good one (exit 1, file named) and changes nothing', async () => {
    const bad = join(dir, 'cvrf-2025-Dec.xml');
    const xml = readFileSync(cvrfPath('Dec'), 'utf8');
    writeFileSync(bad, xml.slice(0, xml.length - 5000));
    const res = await catalog(['import', '--kev', FIXTURE_PATHS.kev, '--msrc-cvrf', cvrfPath('Nov'), bad]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`^error PF_ERR_FEED_PARSE: ${bad}: not well-formed XML`, 'm'));
    expect(res.stdout).toBe('');
    const status = await catalog(['status', '--json']);
    expect(status.code).toBe(0);
    const after = JSON.parse(status.stdout) as CatalogStatus;
    // Every table still holds what the first import inserted, and the last recorded run is the second import.
    expect(after.rows).toEqual(Object.fromEntries(Object.entries(first.tables).map(([t, c]) => [t, c.inserted])));
    expect(Object.values(after.lastImports).map((l) => l.runId)).toEqual([secondRunId, secondRunId, secondRunId, secondRunId]);
  });
});
