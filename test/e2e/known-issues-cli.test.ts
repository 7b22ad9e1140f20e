/**
 * `patchfleet catalog import --known-issues FILE` as real processes: a good
 * file is stored and rescored, a second import changes nothing, a bad line
 * is refused by name with exit 1 and stores nothing (not even the file's
 * good lines). PGlite in a temporary data directory, or a fresh PostgreSQL
 * database when DATABASE_URL is set.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KnownIssuesImportResult } from '@patchfleet/controller/src/catalog/known-issues';
import { ADVISORIES } from '../support/advisories';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { runCli, type RunResult } from '../support/processes';

let dir: string;
let dbUrl: string | undefined;
let dropDb: () => Promise<void>;
const FILE = join(ADVISORIES, 'known-issues', 'windows-2025.jsonl');

function catalog(args: string[]): Promise<RunResult> {
  const where = dbUrl === undefined ? ['--data-dir', join(dir, 'controller')] : ['--database-url', dbUrl];
  return runCli('controller', ['catalog', ...args, ...where], { env: { DATABASE_URL: '' }, timeoutMs: 120_000 });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-known-issues-cli-'));
  const db = await createTestDatabaseUrl();
  dbUrl = db.url;
  dropDb = db.drop;
  if (dbUrl === undefined) await seedPgliteDataDir(join(dir, 'controller'));
});
afterAll(async () => {
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('patchfleet catalog import --known-issues', { timeout: 180_000 }, () => {
  // Each import is a CLI start that opens the database (seconds), so the
  // refused file comes first and the good import after it shows that the
  // refusal stored nothing: the refused file's good line is one of the
  // file's nine, and all nine are new.
  it('refuses a bad line by file and line number, exit 1', async () => {
    const bad = join(dir, 'bad.jsonl');
    const goodLine = readFileSync(FILE, 'utf8').split('\n')[0];
    writeFileSync(bad, `${goodLine}\n\n{"patchId":"KB5099998","status":"confirmed"}\n`);
    const res = await catalog(['import', '--known-issues', bad]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`error PF_ERR_FEED_PARSE: ${bad}: line 3: must have required property 'symptom'\n`);
  });

  it('imports the file (all 9 new: the refused file stored nothing), rescores the patches it names, and says so when nothing changes', async () => {
    const first = await catalog(['import', '--known-issues', FILE]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^TABLE\s+INSERTED\s+UPDATED\s+UNCHANGED\s+DELETED\nknownIssues\s+9\s+0\s+0\s+0\n/);
    expect(first.stdout).toMatch(/imported 9 known issues \(run imp_[0-9a-f]+\); rescored KB5055523, KB5063878, KB5065426, KB5066835, KB5070773\n$/);
    const again = await catalog(['import', '--known-issues', FILE, '--json']);
    expect(again.code).toBe(0);
    const result = JSON.parse(again.stdout) as KnownIssuesImportResult;
    expect(result).toMatchObject({ records: 9, changed: false, knownIssues: { inserted: 0, updated: 0, unchanged: 9, deleted: 0 }, rescored: [] });
  });
});
