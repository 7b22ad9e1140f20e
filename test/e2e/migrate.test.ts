/** `patchfleet migrate`: applies every committed migration and exits, so a deployment can migrate before its replicas start. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, openDatabase } from '@patchfleet/controller/src/db/index';
import { createTestDatabaseUrl } from '../support/db';
import { runCli } from '../support/processes';

const dataDir = mkdtempSync(join(tmpdir(), 'pf-migrate-'));
const pg = await createTestDatabaseUrl();
afterAll(async () => {
  await pg.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
const dbArgs = pg.url ? ['--database-url', pg.url] : [];

async function appliedMigrations(): Promise<number> {
  const database = await openDatabase({ databaseUrl: pg.url, dataDir, migrateOnOpen: false });
  try {
    const rows = (await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as unknown as { n: number }[] | { rows: { n: number }[] };
    return Array.isArray(rows) ? (rows[0]?.n ?? 0) : (rows.rows[0]?.n ?? 0);
  } finally {
    await database.close();
  }
}

describe('patchfleet migrate', () => {
  it('applies every committed migration to an empty database, and a second run changes nothing', async () => {
    const first = await runCli('controller', ['migrate', '--data-dir', dataDir, ...dbArgs]);
    expect(first.stderr).toMatch(/migrations applied \((pglite|postgres):/);
    expect(first.code).toBe(0);
    expect(journal.entries.length).toBeGreaterThan(10);
    expect(await appliedMigrations()).toBe(journal.entries.length);
    const again = await runCli('controller', ['migrate', '--data-dir', dataDir, ...dbArgs]);
    expect(again.code).toBe(0);
    expect(await appliedMigrations()).toBe(journal.entries.length);
  }, 120_000);

  it('fails with PF_ERR_DATABASE_UNAVAILABLE and exit code 1 when PostgreSQL cannot be reached', async () => {
    const r = await runCli('controller', ['migrate', '--data-dir', dataDir, '--database-url', 'postgres://nobody@127.0.0.1:1/none']);
    expect(r.stderr).toContain('error PF_ERR_DATABASE_UNAVAILABLE');
    expect(r.stderr).not.toContain('migrations applied');
    expect(r.code).toBe(1);
  }, 60_000);
});
