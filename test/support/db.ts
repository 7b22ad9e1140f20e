/**
 * A fresh, migrated database for one test: embedded PGlite in a temporary
 * directory by default, or a new database on the PostgreSQL server named by
 * DATABASE_URL (created here, dropped by the returned cleanup).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase, wrapPglite, type Database } from '../../controller/src/db/index';

// Making a PGlite cluster (initdb) and migrating it costs seconds; loading a
// dump of a migrated one costs a fraction. One template per test worker.
let template: Promise<Blob> | undefined;
function migratedTemplate(): Promise<Blob> {
  template ??= (async () => {
    const client = await PGlite.create('memory://');
    const db = await wrapPglite(client, 'memory://template');
    const blob = await client.dumpDataDir('none');
    await db.close();
    return blob;
  })();
  return template;
}

export interface TestDatabase {
  database: Database;
  /** URL of the per-test PostgreSQL database, when running on PostgreSQL. */
  url: string | undefined;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** Creates an empty PostgreSQL database for one test and returns its URL (undefined on PGlite). */
export async function createTestDatabaseUrl(): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) return { url: undefined, drop: async () => {} };
  const name = `pf_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(base, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pf-db-'));
  const pg = await createTestDatabaseUrl();
  const database = pg.url
    ? await openDatabase({ databaseUrl: pg.url, dataDir })
    : await wrapPglite(await PGlite.create({ loadDataDir: await migratedTemplate() }), 'memory://test', false);
  return {
    database,
    url: pg.url,
    dataDir,
    async cleanup() {
      await database.close();
      await pg.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
