/** The embedded database as the controller opens it: its page cache, and the statement timings of PATCHFLEET_PGLITE_STATS. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { seedPgliteDataDir } from '@patchfleet/test/support/db';
import { resultRows } from '../catalog/rows/sync-rows';
import { openDatabase } from './index';

const dir = mkdtempSync(join(tmpdir(), 'pf-pglite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the embedded database', () => {
  it("opens with the page cache it is given (embeddedCacheMb) and, with PATCHFLEET_PGLITE_STATS, times each statement apart from the time it waited", async () => {
    const dataDir = join(dir, 'data');
    await seedPgliteDataDir(dataDir); // a migrated copy: no initdb
    const file = join(dir, 'stats.json');
    process.env.PATCHFLEET_PGLITE_STATS = file;
    const database = await openDatabase({ dataDir, migrateOnOpen: false, embeddedCacheMb: 48 });
    delete process.env.PATCHFLEET_PGLITE_STATS;
    let wallMs = 0;
    try {
      const [row] = resultRows<{ v: string }>(await database.db.execute(sql`select current_setting('shared_buffers') as v`));
      expect(row?.v).toBe('48MB');
      const t0 = performance.now();
      // Issued together: PGlite runs them one after the other, so the quick one waits behind the sleep.
      await Promise.all([database.db.execute(sql`select pg_sleep(0.3)`), database.db.execute(sql`select 1 as one`)]);
      wallMs = performance.now() - t0;
    } finally {
      await database.close();
    }
    const rows = JSON.parse(readFileSync(file, 'utf8')) as { selfMs: number; ms: number; n: number; sql: string }[];
    const sleep = rows.find((r) => r.sql === 'select pg_sleep(0.3)');
    const one = rows.find((r) => r.sql === 'select 1 as one');
    expect(sleep?.n).toBe(1);
    expect(one?.n).toBe(1);
    expect(sleep!.selfMs).toBeGreaterThanOrEqual(290);
    // The quick statement's wall time holds the sleep it queued behind; its own time does not.
    expect(one!.ms).toBeGreaterThanOrEqual(290);
    expect(one!.selfMs).toBeLessThan(100);
    expect(sleep!.selfMs + one!.selfMs).toBeLessThanOrEqual(wallMs + 2);
    // Most time of its own first.
    expect(rows[0]?.sql).toBe('select pg_sleep(0.3)');
  });

  it("keeps PGlite's own 128MB page cache when none is given", async () => {
    const dataDir = join(dir, 'plain');
    await seedPgliteDataDir(dataDir);
    const database = await openDatabase({ dataDir, migrateOnOpen: false });
    try {
      const [row] = resultRows<{ v: string }>(await database.db.execute(sql`select current_setting('shared_buffers') as v`));
      expect(row?.v).toBe('128MB');
    } finally {
      await database.close();
    }
  });
});
