/**
 * Scheduled jobs run on one replica at a time (DESIGN.md, Scale): each run
 * takes a transaction-scoped PostgreSQL advisory lock with try-lock, so a
 * replica that finds the lock taken skips this round. The job's writes live
 * in that transaction, so a replica killed mid-run leaves nothing half done.
 * PGlite takes the same lock (harmlessly: one process); there, callers keep
 * their own rounds from overlapping (RolloutService runs one at a time).
 * Advisory locks are per database node: on a distributed PostgreSQL (Citus)
 * the lock must be taken on the coordinator, and per-tenant jobs would key
 * it by (job, tenant) (README, "Past one database").
 */
import { sql } from 'drizzle-orm';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db, Tx } from '../db/index';

/** Advisory lock keys of the scheduled jobs (distinct from the migration lock, 7320815). */
export const JobLocks = {
  rolloutTick: 7320901,
  catalogRefresh: 7320902,
  auditRetention: 7320903,
  healthRollup: 7320904,
  healthRetention: 7320905,
  syslogForward: 7320906,
  slaWatch: 7320907,
} as const;

/** Runs `fn` inside a transaction holding lock `key`; returns undefined (without running) when another replica holds it. */
export async function runAsLeader<T>(db: Db, key: number, fn: (tx: Tx) => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  return db.transaction(async (tx) => {
    const rows = resultRows<{ locked: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${key}) as locked`));
    if (rows[0]?.locked !== true) return { ran: false as const };
    return { ran: true as const, value: await fn(tx) };
  });
}

/**
 * For a scheduled job whose work is not one transaction (downloads, then an
 * import): on PostgreSQL the try-lock is held by a transaction left open on
 * one pooled connection while `fn` works on others; on PGlite there is one
 * process and one connection (an open transaction would block `fn`), so
 * `fn` just runs.
 */
export async function runScheduledJob<T>(db: Db, kind: 'pglite' | 'postgres', key: number, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  if (kind === 'pglite') return { ran: true, value: await fn() };
  return runAsLeader(db, key, () => fn());
}
