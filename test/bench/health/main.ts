/**
 * `pnpm bench:health [--agents 10000] [--samples-per-agent 288] [--database-url URL]
 *   [--pglite-agents 1000] [--ws-agents 200] [--concurrency 16] [--cohorts] [--cohort-hosts 50000] [--only cohorts]`
 *
 * Samples stored per second when agents flush a day of queued health samples
 * (288 five-minute samples each) in frames of up to 500:
 * 1. the controller's ingestion functions (checkHealthSamples +
 *    storeHealthSamples, as the gateway session calls them per frame) on
 *    PostgreSQL (--database-url or DATABASE_URL; a fresh database, dropped
 *    after) with `--agents` agents, then every agent resends its day (all
 *    duplicates), then one roll-up of everything;
 * 2. the same on PGlite (embedded, one connection) with `--pglite-agents`;
 * 3. real TLS WebSocket sessions through a real controller for
 *    `--ws-agents` agents (on PostgreSQL when given, else PGlite).
 * With --cohorts, the planner's cohort evaluation (test/bench/health/cohorts.ts) runs too;
 * `--only cohorts` runs only that (on PostgreSQL when given, else on PGlite).
 * Progress on stderr; the figures as JSON on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase, type Database } from '@patchfleet/controller/src/db/index';
import { prepareDatabase } from '../fanout/database';
import { benchSessions, benchStoreFunction } from './storage';

const log = (line: string) => process.stderr.write(`[bench:health] ${line}\n`);

function int(name: string, text: string | undefined, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be a whole number >= ${min}, got "${text}"\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      agents: { type: 'string' },
      'samples-per-agent': { type: 'string' },
      'database-url': { type: 'string' },
      'pglite-agents': { type: 'string' },
      'ws-agents': { type: 'string' },
      concurrency: { type: 'string' },
      cohorts: { type: 'boolean' },
      'cohort-hosts': { type: 'string' },
      only: { type: 'string' },
    },
    strict: true,
  });
  const agents = int('agents', values.agents, 10_000, 1);
  const samplesPerAgent = int('samples-per-agent', values['samples-per-agent'], 288, 1);
  const pgliteAgents = int('pglite-agents', values['pglite-agents'], Math.min(agents, 1000));
  const wsAgents = int('ws-agents', values['ws-agents'], Math.min(agents, 200));
  const concurrency = int('concurrency', values.concurrency, 16, 1);
  const serverUrl = values['database-url'] ?? process.env.DATABASE_URL;
  const report: Record<string, unknown> = {
    goal: '>= 20,000 samples/s on PostgreSQL',
    machine: { cpus: availableParallelism(), loadavg1: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
  };

  if (values.only !== undefined && values.only !== 'cohorts') {
    process.stderr.write(`--only takes "cohorts", got "${values.only}"\n`);
    process.exit(2);
  }
  if (values.only === 'cohorts') {
    report.goal = '<= 1 s per planner round (every cohort of the fleet) on PostgreSQL';
    const bench = await prepareDatabase(serverUrl);
    let database: Database | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'pf-bench-health-cohorts-'));
    try {
      database = await openDatabase({ databaseUrl: bench.url, dataDir: dir });
      report.cohorts = { database: bench.kind, ...(await runCohorts(database, int('cohort-hosts', values['cohort-hosts'], 50_000, 1))) };
    } finally {
      await database?.close();
      await bench.drop();
      rmSync(dir, { recursive: true, force: true });
    }
    report.machine = { ...(report.machine as object), loadavg1After: Math.round((loadavg()[0] ?? 0) * 100) / 100 };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }

  if (serverUrl) {
    const bench = await prepareDatabase(serverUrl);
    let database: Database | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'pf-bench-health-pg-'));
    try {
      database = await openDatabase({ databaseUrl: bench.url, dataDir: dir });
      log(`PostgreSQL: ${agents} agents x ${samplesPerAgent} samples, ${concurrency} frames in flight`);
      report.postgres = await benchStoreFunction({ db: database.db, kind: 'postgres', agents, samplesPerAgent, concurrency, log });
      log(`PostgreSQL: ${JSON.stringify(report.postgres)}`);
      if (values.cohorts) report.cohorts = await runCohorts(database, int('cohort-hosts', values['cohort-hosts'], 50_000, 1));
    } finally {
      await database?.close();
      await bench.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    log('no --database-url or DATABASE_URL: the PostgreSQL figures (the goal) are not measured');
  }

  if (pgliteAgents > 0) {
    const dir = mkdtempSync(join(tmpdir(), 'pf-bench-health-pglite-'));
    let database: Database | undefined;
    try {
      database = await openDatabase({ dataDir: dir });
      log(`PGlite: ${pgliteAgents} agents x ${samplesPerAgent} samples (one connection: frames one at a time)`);
      report.pglite = await benchStoreFunction({ db: database.db, kind: 'pglite', agents: pgliteAgents, samplesPerAgent, concurrency: 1, log });
      log(`PGlite: ${JSON.stringify(report.pglite)}`);
      if (values.cohorts && !serverUrl) report.cohorts = await runCohorts(database, int('cohort-hosts', values['cohort-hosts'], 50_000, 1));
    } finally {
      await database?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  if (wsAgents > 0) {
    const bench = await prepareDatabase(serverUrl);
    try {
      log(`sessions: ${wsAgents} real WebSocket agents on ${bench.kind}`);
      report.sessions = await benchSessions({ databaseUrl: bench.url, agents: wsAgents, samplesPerAgent, log });
      log(`sessions: ${JSON.stringify(report.sessions)}`);
    } finally {
      await bench.drop();
    }
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

/** The planner helper's cohort bench, when it exists (imported at run time so this bench runs without it). */
async function runCohorts(database: Database, hosts: number): Promise<Record<string, unknown>> {
  const path = './cohorts.ts';
  const mod = (await import(path)) as { benchCohorts(opts: { db: Database['db']; log: (line: string) => void; hosts: number }): Promise<Record<string, unknown>> };
  log(`cohorts: ${hosts} hosts`);
  return mod.benchCohorts({ db: database.db, log, hosts });
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench:health] failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
