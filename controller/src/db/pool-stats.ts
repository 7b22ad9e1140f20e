/**
 * How busy the database connections of this process are, for `/metrics`.
 *
 * postgres.js keeps its pool's queues private, so on PostgreSQL the figures
 * come from the server: `pg_stat_activity` rows carrying this process's
 * `application_name` (set when the pool is made), by state. They include
 * the scrape's own query (one `active`) and the bus's dedicated LISTEN
 * connection (one `idle`); postgres.js opens connections lazily, so a quiet
 * controller shows fewer than `max`. Queries waiting inside postgres.js for
 * a free connection are not visible (`waiting` is undefined).
 *
 * PGlite is one connection in the same process that runs one statement (or
 * one transaction) at a time: its equivalent of "in use" is whether a
 * statement or transaction is running, and of "waiting" how many more are
 * queued behind it, counted by wrapping its query, exec and transaction.
 */
import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import type { Sql } from 'postgres';

/** Connections by state, as the database driver or server reports them. */
export interface PoolStats {
  driver: 'pglite' | 'postgres';
  /** Configured most connections (PGlite: 1). */
  max: number;
  /** Open connections by state (PostgreSQL: pg_stat_activity's state with spaces as `_`; PGlite: active or idle). */
  connections: Record<string, number>;
  /** Statements or transactions queued for a connection; undefined where the driver does not tell. */
  waiting: number | undefined;
}

/** Most connections of a postgres.js pool (openDatabase). */
export const POSTGRES_POOL_MAX = 10;

/** A per-pool `application_name`, so pg_stat_activity tells this process's connections from other replicas'. */
export function poolApplicationName(): string {
  return `patchfleet-${randomBytes(4).toString('hex')}`;
}

/** Reads this pool's connections from pg_stat_activity. */
export async function postgresPoolStats(client: Sql, applicationName: string, max: number): Promise<PoolStats> {
  const rows = await client<{ state: string | null; n: number }[]>`
    select state, count(*)::int as n from pg_stat_activity where application_name = ${applicationName} group by state`;
  const connections: Record<string, number> = {};
  for (const r of rows) {
    const state = (r.state ?? 'unknown').replace(/[^a-z]+/gi, '_');
    connections[state] = (connections[state] ?? 0) + r.n;
  }
  return { driver: 'postgres', max, connections, waiting: undefined };
}

/**
 * Counts the statements and transactions a PGlite client is running or has
 * queued; returns a function that reads the figures. PGlite's transaction
 * runs BEGIN, its statements and COMMIT through private methods, so one
 * transaction counts once.
 */
export function countPgliteUse(client: PGlite): () => PoolStats {
  let inFlight = 0;
  const wrap = <F extends (...args: never[]) => Promise<unknown>>(fn: F): F =>
    (async (...args: never[]) => {
      inFlight += 1;
      try {
        return await fn(...args);
      } finally {
        inFlight -= 1;
      }
    }) as F;
  client.query = wrap(client.query.bind(client)) as typeof client.query;
  client.exec = wrap(client.exec.bind(client)) as typeof client.exec;
  client.transaction = wrap(client.transaction.bind(client)) as typeof client.transaction;
  return () => {
    const active = Math.min(1, inFlight);
    return { driver: 'pglite', max: 1, connections: { active, idle: 1 - active }, waiting: Math.max(0, inFlight - 1) };
  };
}
