/**
 * Database access: PostgreSQL through postgres.js when a URL is given,
 * embedded PGlite under the data directory otherwise. Both get the same
 * drizzle schema and the same committed migrations, applied on open.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { PfError, Errors } from '@patchfleet/shared/errors';
import * as schema from './schema/index';
import { localBus, postgresBus, type Bus } from '../bus/bus';
import { acquireDataDirLock } from './data-dir-lock';
import { timePgliteStatements } from './pglite-stats';
import { countPgliteUse, poolApplicationName, postgresPoolStats, POSTGRES_POOL_MAX, type PoolStats } from './pool-stats';

/**
 * The contrib modules every embedded database loads, wherever it is opened
 * (here, the test support's templates): pg_trgm backs host search's index
 * (migration 0016). A data directory whose index uses it cannot be read by
 * a PGlite that lacks it.
 */
export const PGLITE_EXTENSIONS = { pg_trgm };

export type Schema = typeof schema;
/** The one database type the rest of the controller sees, whichever driver is behind it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; has the same query API as Db. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Where the data lives, with any password removed (safe to log). */
  location: string;
  /** Wake-ups across replicas: LISTEN/NOTIFY on PostgreSQL, in-process on PGlite. */
  bus: Bus;
  /** How busy this process's connections are (pool-stats.ts); for `/metrics`. */
  poolStats(): Promise<PoolStats>;
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** Removes the password from a connection URL so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable database URL>'; // never echo a URL we cannot redact
  }
}

/**
 * Opens (and migrates) the database: PostgreSQL at `databaseUrl`, or PGlite in `<dataDir>/pgdata`.
 * `embeddedCacheMb` sets PGlite's page cache (shared_buffers; its default is 128 MiB). PGlite reads a page
 * outside the cache with a synchronous file read through its JavaScript file system, and scans a table larger
 * than a quarter of the cache through a small ring of buffers: the fleet simulator's 2,000 hosts (weeks of
 * hourly health samples) spent a quarter of the controller's CPU in those reads with 128 MiB. A larger cache
 * costs memory up front (512 MiB: about 400 MB more resident, and a second more to open).
 */
export async function openDatabase(opts: { databaseUrl?: string | undefined; dataDir: string; migrateOnOpen?: boolean; embeddedCacheMb?: number | undefined }): Promise<Database> {
  const runMigrations = opts.migrateOnOpen ?? true;
  if (opts.databaseUrl) {
    // jit off: the controller runs short statements; PostgreSQL's JIT (on by default, above jit_above_cost) compiled
    // set-returning-function plans whose row estimates are guesses, costing ~0.7 s a statement that ran in 1 ms.
    // application_name: pg_stat_activity tells this pool's connections from other processes' (poolStats).
    const applicationName = poolApplicationName();
    const client = postgres(opts.databaseUrl, { max: POSTGRES_POOL_MAX, onnotice: () => {}, connect_timeout: 10, connection: { jit: 'off', application_name: applicationName } });
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    const location = redactUrl(opts.databaseUrl);
    try {
      await client`select 1`;
      if (runMigrations) await withMigrationLock(db, () => migratePostgres(db as never, { migrationsFolder: MIGRATIONS_DIR }));
    } catch (err) {
      await client.end({ timeout: 1 });
      throw new PfError(Errors.DATABASE_UNAVAILABLE, `cannot use PostgreSQL at ${location}: ${(err as Error).message}`, undefined, { cause: err });
    }
    return {
      db,
      kind: 'postgres',
      location,
      bus: postgresBus(client),
      poolStats: () => postgresPoolStats(client, applicationName, POSTGRES_POOL_MAX),
      close: () => client.end({ timeout: 5 }),
    };
  }
  const dir = join(opts.dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // PGlite serves one process: refuse (naming the holder and the fix) before touching pgdata.
  const lock = acquireDataDirLock(opts.dataDir, new Date());
  let client: PGlite;
  try {
    client = await PGlite.create(dir, {
      extensions: PGLITE_EXTENSIONS,
      ...(opts.embeddedCacheMb === undefined ? {} : { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${opts.embeddedCacheMb}MB`] }),
    });
  } catch (err) {
    lock.release();
    throw new PfError(Errors.DATABASE_UNAVAILABLE, `cannot open the embedded database in ${dir}: ${(err as Error).message}`, undefined, { cause: err });
  }
  let database: Database;
  try {
    database = await wrapPglite(client, dir, runMigrations);
  } catch (err) {
    await client.close();
    lock.release();
    throw err;
  }
  return { ...database, close: () => database.close().finally(() => lock.release()) };
}

/** Wraps an open PGlite (file-backed or in memory) as a Database, migrating it if asked. */
export async function wrapPglite(client: PGlite, location: string, runMigrations = true): Promise<Database> {
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  // As on PostgreSQL (openDatabase): the same session settings on both engines.
  await client.exec('set jit = off');
  const use = countPgliteUse(client);
  if (runMigrations) await migratePglite(db as never, { migrationsFolder: MIGRATIONS_DIR });
  // Diagnostics (pglite-stats.ts): statement times written when the database closes.
  const statsFile = process.env.PATCHFLEET_PGLITE_STATS;
  const writeStats = statsFile ? timePgliteStatements(client, statsFile) : undefined;
  return { db, kind: 'pglite', location, bus: localBus(), poolStats: async () => use(), close: () => client.close().finally(() => writeStats?.()) };
}

/** One round trip to the database; throws (mapped to 503 by the API) when it cannot answer. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}

/** Several replicas may start at once: one migrates while the others wait on a session advisory lock. */
async function withMigrationLock(db: Db, fn: () => Promise<void>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7320815)`);
    await fn();
  });
}
