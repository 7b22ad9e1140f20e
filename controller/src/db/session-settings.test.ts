/** Settings every controller database session runs with (PGlite, or PostgreSQL with DATABASE_URL). */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { resultRows } from '../catalog/rows/sync-rows';

describe('database sessions', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => t?.cleanup());

  it('run with JIT compilation off, on every pooled connection', async () => {
    // Ten statements side by side take several of the pool's connections.
    const shown = await Promise.all(Array.from({ length: 10 }, async () => resultRows<{ jit: string }>(await t.database.db.execute(sql`select current_setting('jit') as jit, pg_sleep(0.05)`))[0]?.jit));
    expect(new Set(shown)).toEqual(new Set(['off']));
  });
});
