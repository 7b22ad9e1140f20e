/** The database pool figures for /metrics, on PGlite or (DATABASE_URL) a PostgreSQL test database. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await openTestDatabase();
});

afterAll(async () => {
  await tdb?.cleanup();
});

describe('poolStats', () => {
  it('on PostgreSQL: this pool\'s connections by state, from pg_stat_activity', async () => {
    if (tdb.database.kind !== 'postgres') return expect(tdb.database.kind).toBe('pglite');
    const { db } = tdb.database;
    const idle = await tdb.database.poolStats();
    const slow = Promise.all([db.execute(sql`select pg_sleep(0.3)`), db.execute(sql`select pg_sleep(0.3)`)]);
    // Let both statements reach the server.
    await new Promise((r) => setTimeout(r, 100));
    const busy = await tdb.database.poolStats();
    await slow;
    expect(busy.driver).toBe('postgres');
    expect(busy.max).toBe(10);
    expect(busy.waiting).toBeUndefined();
    // Two sleeping statements and the stats query itself, each on a connection of this pool.
    expect(busy.connections['active']).toBe(3);
    expect(idle.connections['active']).toBe(1);
  });

  it('on PGlite: the one connection is active while a transaction is open, and what queues behind it waits', async () => {
    if (tdb.database.kind !== 'pglite') return expect(tdb.database.kind).toBe('postgres');
    const { db } = tdb.database;
    const idle = await tdb.database.poolStats();
    expect(idle).toEqual({ driver: 'pglite', max: 1, connections: { active: 0, idle: 1 }, waiting: 0 });
    // PGlite runs a statement synchronously; what a scrape sees is an open transaction and the statements behind it.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let began!: () => void;
    const inside = new Promise<void>((r) => (began = r));
    const tx = db.transaction(async (t) => {
      await t.execute(sql`select 1`);
      began();
      await held;
      await t.execute(sql`select 2`);
    });
    await inside;
    const queued = Promise.all([db.execute(sql`select 3`), db.execute(sql`select 4`)]);
    // drizzle starts a query when it is awaited: let both reach PGlite.
    await new Promise((r) => setImmediate(r));
    const busy = await tdb.database.poolStats();
    release();
    await Promise.all([tx, queued]);
    // The transaction counts once, however many statements it runs.
    expect(busy).toEqual({ driver: 'pglite', max: 1, connections: { active: 1, idle: 0 }, waiting: 2 });
    expect(await tdb.database.poolStats()).toEqual(idle);
  });
});
