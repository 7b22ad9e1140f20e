/**
 * What the fuzz suites share: a fixed seed and bounded run counts (so a
 * failure reproduces and CI stays within a minute or two), arbitraries of
 * hostile values, a real controller to aim them at, and a digest of every
 * stored row to prove that refused input changed nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { loadConfig } from '@patchfleet/controller/src/config';
import type { Db } from '@patchfleet/controller/src/db/index';
import { createLogger } from '@patchfleet/controller/src/logger';
import { startController, type RunningController } from '@patchfleet/controller/src/server';
import { createTestDatabaseUrl, seedPgliteDataDir } from '@patchfleet/test/support/db';

/** One seed for every property: a failure prints its path and replays exactly. */
export const FUZZ_SEED = 20261205;

/** Runs per property; `PATCHFLEET_FUZZ_RUNS_FACTOR` (e.g. 10) multiplies it for a longer local session. */
export function fuzzRuns(base: number): number {
  const factor = Number(process.env.PATCHFLEET_FUZZ_RUNS_FACTOR ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}

/** Strings an attacker or a broken client sends: NULs, lone surrogates, huge numbers as text, paths, SQL. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }).map((s) => `${s}\u0000${s}`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      '\u0000',
      'host\u0000name',
      '\uD800',
      '\uDFFFx',
      '9223372036854775808',
      '-9223372036854775809',
      '99999999999999999999999999',
      '-1',
      '1e309',
      'NaN',
      '0x10',
      '2000-01-01T00:00:00Z',
      '9999-99-99',
      '../../../../etc/passwd',
      "' OR 1=1 --",
      '%00',
      '00000000-0000-0000-0000-000000000000',
      'USN-7604-1',
      'KB5068861',
      'admin',
      'true',
      'null',
    ),
  },
  { weight: 1, arbitrary: fc.constant('x'.repeat(70_000)) },
);

/** Numbers past every column's range, fractions where integers go, negative zero. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, -0, 1.5, 2 ** 31, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER),
);

/** Any JSON value built from hostile leaves, a few levels deep. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** An object with some of `keys` (the schema's own field names, so validation is passed deeper) and maybe stray keys. */
export function hostileObject(keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const known = keys.length > 0 ? fc.subarray([...keys]) : fc.constant<string[]>([]);
  return fc
    .tuple(known, fc.array(hostileValue, { minLength: keys.length, maxLength: keys.length }), fc.dictionary(hostileString, hostileValue, { maxKeys: 2 }))
    .map(([chosen, values, stray]) => {
      const out: Record<string, unknown> = { ...stray };
      chosen.forEach((k, i) => {
        out[k] = values[i];
      });
      return out;
    });
}

/**
 * A digest of every row of every table the controller owns, so a test can
 * show that a refused request or frame stored nothing. Left out: times that
 * reads touch by design (a token's last use, an agent's last-seen) and the
 * connection log (`host_sessions`: every socket is recorded, refused or not).
 * Aggregated refusal rows (`*.refused` in `audit_log`) are left out too: a
 * timer writes them when their minute closes, not the request being checked.
 */
export async function dataDigest(db: Db): Promise<string> {
  const tables = rowsOf<{ name: string }>(
    await db.execute(sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'host_sessions' order by 1`),
  ).map((r) => r.name);
  const parts: string[] = [];
  for (const name of tables) {
    const [row] = rowsOf<{ d: string | null }>(
      await db.execute(
        sql.raw(`select md5(coalesce(string_agg((to_jsonb(t) - 'last_used_at' - 'last_seen_at' - 'last_seen')::text, '|' order by (to_jsonb(t) - 'last_used_at' - 'last_seen_at' - 'last_seen')::text), '')) as d from "${name}" t${name === 'audit_log' ? ` where t.action not like '%.refused'` : ''}`),
      ),
    );
    parts.push(`${name}:${row?.d ?? ''}`);
  }
  return parts.join('\n');
}

/** Rows of a raw query on either driver (postgres.js returns an array, PGlite `{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export interface FuzzController {
  ctl: RunningController;
  adminToken: string;
  close(): Promise<void>;
}

/** A real controller (TLS, gateway, services) on a fresh database: PGlite, or PostgreSQL under DATABASE_URL. */
export async function startFuzzController(): Promise<FuzzController> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pf-fuzz-'));
  const pg = await createTestDatabaseUrl();
  if (!pg.url) await seedPgliteDataDir(dataDir);
  const config = loadConfig({ dataDir, port: 0, host: '127.0.0.1', ...(pg.url ? { databaseUrl: pg.url } : {}) }, {});
  const ctl = await startController(config, { log: createLogger({ level: 'silent' }) });
  return {
    ctl,
    adminToken: ctl.bootstrap.adminToken,
    async close() {
      await ctl.close();
      await pg.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One line per failed property: the error and a shortened counterexample, with the seed and path to replay it. */
export function describeFailure(what: string, outcome: { errorInstance: unknown; counterexample: unknown; seed: number; counterexamplePath: string | null }): string {
  const error = outcome.errorInstance instanceof Error ? outcome.errorInstance.message : String(outcome.errorInstance);
  const example = JSON.stringify(outcome.counterexample, (_k, v: unknown) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 40)}…(${v.length} chars)` : v));
  return `${what}: ${error.split('\n')[0]?.slice(0, 400)} | seed ${outcome.seed} path ${outcome.counterexamplePath} | ${example?.slice(0, 600)}`;
}

/** The tables whose digest lines differ, for a readable failure. */
export function changedTables(before: string, after: string): string[] {
  const a = new Set(before.split('\n'));
  return after.split('\n').filter((line) => !a.has(line)).map((line) => line.split(':')[0] as string);
}
