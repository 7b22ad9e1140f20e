/**
 * A fresh database on a real PostgreSQL server, for tests that are about
 * PostgreSQL itself (advisory locks, LISTEN/NOTIFY across processes) and so
 * never fall back to PGlite: on the server named by DATABASE_URL when it is
 * set (through createTestDatabaseUrl), else on the local test server at
 * POSTGRES_ADMIN_URL. An unreachable server is a failure with a clear
 * message, never a skip.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createTestDatabaseUrl } from './db';

/** Admin URL used when DATABASE_URL is not set. */
export const POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface RealPostgresDatabase {
  url: string;
  drop(): Promise<void>;
}

function unreachable(adminUrl: string, err: unknown): Error {
  return new Error(
    `PostgreSQL is not reachable at ${adminUrl}: ${(err as Error)?.message ?? String(err)}. ` +
      'This test needs a real PostgreSQL server: start one there (trust auth, user postgres) or set DATABASE_URL to an admin URL of another.',
    { cause: err },
  );
}

export async function createRealPostgresDatabase(): Promise<RealPostgresDatabase> {
  const base = process.env.DATABASE_URL;
  if (base) {
    let created: { url: string | undefined; drop(): Promise<void> };
    try {
      created = await createTestDatabaseUrl();
    } catch (err) {
      throw unreachable(base, err);
    }
    if (!created.url) throw new Error('createTestDatabaseUrl returned no URL although DATABASE_URL is set');
    return { url: created.url, drop: created.drop };
  }
  const name = `pf_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (err) {
    throw unreachable(POSTGRES_ADMIN_URL, err);
  } finally {
    await admin.end({ timeout: 1 });
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end({ timeout: 1 });
      }
    },
  };
}
