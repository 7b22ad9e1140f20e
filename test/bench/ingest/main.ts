/**
 * `pnpm bench:ingest --agents N [--packages 1500] [--concurrency 8] [--database-url URL] [--json] [--seed N] [--e2e]`
 *
 * Stores every agent's full inventory report the way the controller does
 * (core.ts: the real agent's chunking and encoding, the session's decoding
 * and report assembly, `applyReport`), in process, and prints package rows
 * per second, reports per second and CPU per 1,000 rows: the controller's
 * (this process; on PGlite that includes the embedded database) and, on
 * PostgreSQL, the server backends'. Two rounds: each agent's first full
 * report (every row new), then a second full report with about 7 % of the
 * packages changed. PGlite in a temporary directory by default; PostgreSQL
 * with --database-url (an empty database: the bench migrates it and adds
 * hosts to it). With --e2e the reports go to a real controller process
 * over TLS WebSockets instead (e2e.ts); its CPU is read from /proc.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { openDatabase } from '@patchfleet/controller/src/db/index';
import { runIngest, type RoundResult } from './core';
import { runIngestE2e } from './e2e';

function usage(message: string): never {
  process.stderr.write(`error PF_ERR_USAGE: ${message}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      agents: { type: 'string' },
      packages: { type: 'string', default: '1500' },
      concurrency: { type: 'string', default: '8' },
      'database-url': { type: 'string' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      e2e: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
} catch (err) {
  usage((err as Error).message);
}
const values = parsed.values;
const whole = (name: string, raw: string, min: number, max: number): number => {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) usage(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
};
if (values.agents === undefined) usage('--agents N is required');
const agents = whole('agents', values.agents, 1, 1_000_000);
const packages = whole('packages', values.packages, 10, 50_000);
const concurrency = whole('concurrency', values.concurrency, 1, 64);
const seed = whole('seed', values.seed, 0, 2 ** 31);
const databaseUrl = values['database-url'];
if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) usage(`--database-url must be a postgres:// URL, got "${databaseUrl}"`);

const say = (line: string) => process.stderr.write(`[bench:ingest] ${line}\n`);

/** utime + stime of a process in ms, from /proc (PostgreSQL on this machine only). */
function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ 100
  } catch {
    return 0; // gone, or not on this machine
  }
}

const e2e = values.e2e;
const kind = databaseUrl ? 'postgres' : 'pglite';
// End to end, the controller process opens (and migrates) the database itself.
const tempDir = databaseUrl || e2e ? undefined : mkdtempSync(join(tmpdir(), 'pf-bench-ingest-'));
const database = e2e ? undefined : await openDatabase({ databaseUrl, dataDir: tempDir ?? '' });
let monitor: postgres.Sql | undefined;
let serverCpuMs: (() => Promise<number>) | undefined;
if (databaseUrl) {
  monitor = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const [me] = await monitor<{ pid: number; db: string }[]>`select pg_backend_pid() as pid, current_database() as db`;
  // The backends of this database other than the monitor's: the controller pool's (this bench owns the database).
  // A backend that ended is read from its last sample.
  const last = new Map<number, number>();
  serverCpuMs = async () => {
    const rows = await monitor!<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${me!.db} and pid <> ${me!.pid} and backend_type = 'client backend'`;
    for (const { pid } of rows) last.set(pid, procCpuMs(pid));
    let sum = 0;
    for (const v of last.values()) sum += v;
    return sum;
  };
}

const load = () => +loadavg()[0]!.toFixed(2);
const loadBefore = load();
try {
  say(`${agents} agents, ~${packages} packages each, concurrency ${concurrency}, ${kind}, ${e2e ? 'end to end through a controller process' : 'in process'}; load ${loadBefore}`);
  const common = {
    agents,
    packages,
    concurrency,
    seed,
    ...(serverCpuMs ? { serverCpuMs } : {}),
    progress: (done: number, total: number, round: string) => {
      if (done === total || done % 1000 === 0) say(`${round}: ${done}/${total} reports stored`);
    },
  };
  const rounds = database ? (await runIngest(database.db, common)).rounds : await runIngestE2e({ ...common, databaseUrl, say });
  const figures = (r: RoundResult) => ({
    reports: r.reports,
    packageRows: r.packageRows,
    frames: r.frames,
    added: r.added,
    changed: r.changed,
    removed: r.removed,
    seconds: +(r.storeMs / 1000).toFixed(2),
    rowsPerSecond: Math.round(r.packageRows / (r.storeMs / 1000)),
    reportsPerSecond: +(r.reports / (r.storeMs / 1000)).toFixed(1),
    controllerCpuSeconds: +(r.storeCpuMs / 1000).toFixed(2),
    controllerCpuMsPer1000Rows: +((r.storeCpuMs / r.packageRows) * 1000).toFixed(2),
    rowsPerControllerCpuSecond: Math.round(r.packageRows / (r.storeCpuMs / 1000)),
    serverCpuSeconds: r.serverCpuMs === null ? null : +(r.serverCpuMs / 1000).toFixed(2),
    serverCpuMsPer1000Rows: r.serverCpuMs === null ? null : +((r.serverCpuMs / r.packageRows) * 1000).toFixed(2),
    // Controller and server together: what the two need of a core per 1,000 rows (on PGlite, the controller alone).
    totalCpuMsPer1000Rows: +(((r.storeCpuMs + (r.serverCpuMs ?? 0)) / r.packageRows) * 1000).toFixed(2),
    agentSidePrepareCpuSeconds: +(r.prepareCpuMs / 1000).toFixed(2),
  });
  const out = {
    database: kind,
    mode: e2e ? 'end-to-end' : 'in-process',
    agents,
    packagesPerHost: packages,
    concurrency,
    first: figures(rounds[0]!),
    again: figures(rounds[1]!),
    node: process.version,
    cpus: availableParallelism(),
    loadAverage1m: { before: loadBefore, after: load() },
  };
  if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else {
    const lines = [`database ${out.database} (${out.mode}), ${agents} agents, ~${packages} packages each, concurrency ${concurrency}, load ${out.loadAverage1m.before} -> ${out.loadAverage1m.after}`];
    for (const [name, f] of [['first full report', out.first], ['second full report (~7 % changed)', out.again]] as const) {
      lines.push(`${name}:`);
      lines.push(`  ${f.packageRows} package rows in ${f.reports} reports (${f.frames} frames) in ${f.seconds} s: ${f.rowsPerSecond} rows/s, ${f.reportsPerSecond} reports/s`);
      if (f.added !== null) lines.push(`  written: ${f.added} added, ${f.changed} changed, ${f.removed} removed`);
      lines.push(`  controller CPU ${f.controllerCpuSeconds} s: ${f.controllerCpuMsPer1000Rows} ms per 1,000 rows (${f.rowsPerControllerCpuSecond} rows per CPU-second)`);
      if (f.serverCpuSeconds !== null) {
        lines.push(`  PostgreSQL server CPU ${f.serverCpuSeconds} s: ${f.serverCpuMsPer1000Rows} ms per 1,000 rows`);
        lines.push(`  together ${f.totalCpuMsPer1000Rows} ms of CPU per 1,000 rows (${Math.round(1_000_000 / f.totalCpuMsPer1000Rows)} rows per CPU-second)`);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
} finally {
  await monitor?.end({ timeout: 1 });
  await database?.close();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}
