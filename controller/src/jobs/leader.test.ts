/**
 * runAsLeader on a real PostgreSQL server, through two separate connection
 * pools as two replicas would hold them: of two concurrent calls with one
 * key exactly one runs and the other returns { ran: false } without running;
 * the lock lives exactly as long as the winner's transaction (free again
 * after commit, and after a rollback, which also undoes the job's writes);
 * other keys are not blocked. Always PostgreSQL (never PGlite): see
 * test/support/postgres.ts.
 */
import { tmpdir } from 'node:os';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealPostgresDatabase, type RealPostgresDatabase } from '@patchfleet/test/support/postgres';
import { resultRows } from '../catalog/rows/sync-rows';
import { openDatabase, type Database, type Db } from '../db/index';
import { JobLocks, runAsLeader, runScheduledJob } from './leader';

let pg: RealPostgresDatabase | undefined;
let replicaA: Database | undefined;
let replicaB: Database | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function dbs(): { a: Db; b: Db } {
  if (!replicaA || !replicaB) throw new Error('databases not open');
  return { a: replicaA.db, b: replicaB.db };
}

/** Advisory locks held on `key` right now, by any session of this database (pg_locks: high half in classid, low in objid). */
async function advisoryHolders(db: Db, key: number): Promise<number> {
  const rows = resultRows<{ n: number }>(
    await db.execute(sql`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database()) and classid = 0 and objid = ${key} and objsubid = 1`),
  );
  return Number(rows[0]?.n ?? 0);
}

beforeAll(async () => {
  pg = await createRealPostgresDatabase();
  // Two pools, as two controller processes would have (openDatabase migrates; the second finds it done).
  replicaA = await openDatabase({ databaseUrl: pg.url, dataDir: tmpdir() });
  replicaB = await openDatabase({ databaseUrl: pg.url, dataDir: tmpdir() });
  expect(replicaA.kind).toBe('postgres');
  await replicaA.db.execute(sql`create table leader_probe (who text not null)`);
}, 60_000);

afterAll(async () => {
  await replicaA?.close();
  await replicaB?.close();
  await pg?.drop();
});

describe('runAsLeader on PostgreSQL', () => {
  it('of two concurrent calls with one key, exactly one runs', async () => {
    const { a, b } = dbs();
    let running = 0;
    let maxRunning = 0;
    const ran: string[] = [];
    const job = (who: string) => async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      ran.push(who);
      // Hold the lock long enough that the other call surely tries while it is held.
      await sleep(1_500);
      running -= 1;
      return who;
    };
    const [ra, rb] = await Promise.all([runAsLeader(a, JobLocks.rolloutTick, job('a')), runAsLeader(b, JobLocks.rolloutTick, job('b'))]);
    const outcomes = [ra, rb];
    expect(outcomes.filter((o) => o.ran)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ran)).toEqual([{ ran: false }]);
    expect(ran).toHaveLength(1);
    expect(maxRunning).toBe(1);
    const winner = outcomes.find((o) => o.ran);
    expect(winner).toEqual({ ran: true, value: ran[0] });
    // Committed: nobody holds the lock any more.
    expect(await advisoryHolders(a, JobLocks.rolloutTick)).toBe(0);
  });

  it('holds the lock for the whole transaction and frees it at commit', async () => {
    const { a, b } = dbs();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    let secondRan = false;

    const first = runAsLeader(a, JobLocks.rolloutTick, async (tx) => {
      entered();
      await gate;
      await tx.execute(sql`insert into leader_probe (who) values ('first')`);
      return 'first';
    });
    await inside;
    expect(await advisoryHolders(b, JobLocks.rolloutTick)).toBe(1);
    // While the first transaction is open, the other replica is turned away every time, at once.
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const other = await runAsLeader(b, JobLocks.rolloutTick, async () => {
        secondRan = true;
        return 'second';
      });
      expect(other).toEqual({ ran: false });
      expect(Date.now() - t0).toBeLessThan(5_000); // a try-lock: it does not queue behind the holder
    }
    // A different job's key is not blocked by this one.
    expect(await runAsLeader(b, JobLocks.catalogRefresh, async () => 'catalog')).toEqual({ ran: true, value: 'catalog' });
    expect(secondRan).toBe(false);

    release();
    expect(await first).toEqual({ ran: true, value: 'first' });
    expect(await advisoryHolders(a, JobLocks.rolloutTick)).toBe(0);
    // Free again: the other replica now leads (and sees the committed write).
    const after = await runAsLeader(b, JobLocks.rolloutTick, async (tx) => resultRows<{ who: string }>(await tx.execute(sql`select who from leader_probe`)).map((r) => r.who));
    expect(after).toEqual({ ran: true, value: ['first'] });
  });

  it('a job that throws rolls its writes back and frees the lock', async () => {
    const { a, b } = dbs();
    await expect(
      runAsLeader(a, JobLocks.rolloutTick, async (tx) => {
        await tx.execute(sql`insert into leader_probe (who) values ('doomed')`);
        throw new Error('job failed');
      }),
    ).rejects.toThrow('job failed');
    expect(await advisoryHolders(a, JobLocks.rolloutTick)).toBe(0);
    const rows = resultRows<{ who: string }>(await b.execute(sql`select who from leader_probe order by who`));
    expect(rows.map((r) => r.who)).toEqual(['first']);
    expect(await runAsLeader(b, JobLocks.rolloutTick, async () => 'next')).toEqual({ ran: true, value: 'next' });
  });
});

describe('runScheduledJob', () => {
  it('on PostgreSQL runs work that uses other connections while holding the lock, once across replicas', async () => {
    const { a, b } = dbs();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    // Replica A's job writes through the pool (not the lock's transaction) and waits while holding the lock.
    const first = runScheduledJob(a, 'postgres', JobLocks.catalogRefresh, async () => {
      await a.execute(sql`insert into leader_probe (who) values ('scheduled-a')`);
      await held;
      return 'a';
    });
    await sleep(300);
    let bRan = false;
    const second = await runScheduledJob(b, 'postgres', JobLocks.catalogRefresh, async () => {
      bRan = true;
      return 'b';
    });
    expect(second).toEqual({ ran: false });
    expect(bRan).toBe(false);
    release();
    expect(await first).toEqual({ ran: true, value: 'a' });
    const rows = resultRows<{ who: string }>(await b.execute(sql`select who from leader_probe where who = 'scheduled-a'`));
    expect(rows).toHaveLength(1);
    expect(await runScheduledJob(b, 'postgres', JobLocks.catalogRefresh, async () => 'b again')).toEqual({ ran: true, value: 'b again' });
  });

  it('with kind pglite (one process, one connection) just runs the job', async () => {
    const { a } = dbs();
    expect(await runScheduledJob(a, 'pglite', JobLocks.catalogRefresh, async () => 42)).toEqual({ ran: true, value: 42 });
  });
});
