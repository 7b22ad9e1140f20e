/** Host search's trigram index (migration 0016), on PGlite (which loads pg_trgm) and on PostgreSQL under DATABASE_URL. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { resultRows } from '../catalog/rows/sync-rows';
import { hosts } from '../db/schema/index';
import { searchHosts } from './queries';

describe('host search index', () => {
  let t: TestDatabase;
  const now = new Date('2026-11-23T12:00:00Z');
  beforeAll(async () => {
    t = await openTestDatabase();
    await t.database.db.insert(hosts).values(
      Array.from({ length: 300 }, (_, i) => ({ id: `h${i}`, hostname: `par-web-${String(i).padStart(6, '0')}`, addresses: [`10.0.${i >> 8}.${i & 255}`], enrolledAt: now })),
    );
  });
  afterAll(async () => t?.cleanup());

  it('exists on both engines', async () => {
    const rows = resultRows<{ indexname: string }>(await t.database.db.execute(sql`select indexname from pg_indexes where tablename = 'host_search' and indexname = 'host_search_text_trgm_idx'`));
    expect(rows).toHaveLength(1);
  });

  it('answers substring searches through the index as the scan does', async () => {
    const search = (q: string) => searchHosts(t.database.db, { q, limit: 50, offset: 0, now, staleMs: 60_000 });
    const cases = ['par-web-0001', 'WEB-00012', '10.0.1.', 'h29', 'zz'];
    const withIndex = await Promise.all(cases.map(search));
    expect(withIndex[0]?.total).toBe(100);
    expect(withIndex[1]?.items.map((h) => h.hostname)).toEqual(Array.from({ length: 10 }, (_, i) => `par-web-00012${i}`));
    expect(withIndex[4]?.total).toBe(0);
    // The same searches with the index dropped (inside a transaction rolled back): a plain scan of host_search.
    await t.database.db
      .transaction(async (tx) => {
        await tx.execute(sql`drop index host_search_text_trgm_idx`);
        for (const [i, q] of cases.entries()) expect(await searchHosts(tx as never, { q, limit: 50, offset: 0, now, staleMs: 60_000 }), q).toEqual(withIndex[i]);
        throw new Error('rollback');
      })
      .catch((err: Error) => expect(err.message).toBe('rollback'));
  });
});
