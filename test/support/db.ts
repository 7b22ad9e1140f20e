/**
 * A fresh, migrated database for one test: embedded PGlite in a temporary
 * directory by default, or a new database on the PostgreSQL server named by
 * DATABASE_URL (created here, dropped by the returned cleanup).
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { MIGRATIONS_DIR, openDatabase, PGLITE_EXTENSIONS, wrapPglite, type Database } from '@patchfleet/controller/src/db/index';

// Making a PGlite cluster (initdb) and migrating it costs seconds; loading a
// dump of a migrated one costs a fraction. Vitest isolates test files, so the
// dump is also kept in the temp directory, named by a hash of the migrations
// and the PGlite build: each file then loads it instead of running initdb.
let template: Promise<Blob> | undefined;

function templateFile(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(MIGRATIONS_DIR, { recursive: true, encoding: 'utf8' }).sort()) {
    if (!name.endsWith('.sql') && !name.endsWith('.json')) continue;
    hash.update(name).update(readFileSync(join(MIGRATIONS_DIR, name)));
  }
  hash.update(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  return join(tmpdir(), `patchfleet-pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
}

function migratedTemplate(): Promise<Blob> {
  template ??= (async () => {
    const file = templateFile();
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    const client = await PGlite.create('memory://', { extensions: PGLITE_EXTENSIONS });
    const db = await wrapPglite(client, 'memory://template');
    const blob = await client.dumpDataDir('none');
    await db.close();
    // Written aside and renamed: parallel workers never read a half-written dump.
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
    renameSync(partial, file);
    return blob;
  })();
  return template;
}

/**
 * A migrated PGlite data directory, made once from the template and kept in
 * the temp directory beside it: copying its files costs a tenth of a second,
 * starting PGlite to load the dump into a new directory about two.
 */
let seededDir: Promise<string> | undefined;

function migratedDataDir(): Promise<string> {
  seededDir ??= (async () => {
    const ready = `${templateFile()}.pgdata`;
    if (existsSync(join(ready, 'PG_VERSION'))) return ready;
    // Made aside and renamed: parallel workers never copy a half-written directory.
    const partial = `${ready}.${process.pid}.${randomBytes(4).toString('hex')}`;
    mkdirSync(partial, { recursive: true, mode: 0o700 });
    const client = await PGlite.create(partial, { extensions: PGLITE_EXTENSIONS, loadDataDir: await migratedTemplate() });
    await client.close();
    try {
      renameSync(partial, ready);
    } catch (err) {
      // Another worker got there first; its directory is the same.
      if (!existsSync(join(ready, 'PG_VERSION'))) throw err;
      rmSync(partial, { recursive: true, force: true });
    }
    return ready;
  })();
  return seededDir;
}

/**
 * Makes `<dataDir>/pgdata` a migrated PGlite database, as a controller or
 * CLI run would leave it, from the template: a process started on it skips
 * initdb (seconds).
 */
export async function seedPgliteDataDir(dataDir: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  cpSync(await migratedDataDir(), join(dataDir, 'pgdata'), { recursive: true });
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
    : await wrapPglite(await PGlite.create({ extensions: PGLITE_EXTENSIONS, loadDataDir: await migratedTemplate() }), 'memory://test', false);
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
