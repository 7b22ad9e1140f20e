/**
 * The database of one run. With a PostgreSQL URL the bench makes a fresh
 * database on that server and drops it afterwards, so runs never see each
 * other's 10,000 hosts; without one the controller uses PGlite in its
 * temporary data directory.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export interface BenchDatabase {
  /** What the controller gets as --database-url (undefined: PGlite). */
  url: string | undefined;
  kind: 'pglite' | 'postgres';
  drop(): Promise<void>;
}

export async function prepareDatabase(serverUrl: string | undefined): Promise<BenchDatabase> {
  if (!serverUrl) return { url: undefined, kind: 'pglite', drop: async () => undefined };
  const name = `pf_bench_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: 'postgres',
    async drop() {
      const a = postgres(serverUrl, { max: 1, onnotice: () => undefined });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
