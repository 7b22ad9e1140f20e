/**
 * `pnpm bench:api [--hosts 50000] [--requests 200] [--database-url URL] [--embedded-cache-mb N]`
 *
 * Read-side latency of what a dashboard asks most: host search (by name
 * prefix, by address), the host page (GET /hosts/:id/overview) and the
 * overview KPIs (GET /kpis). Seeds `--hosts` hosts with bulk SQL
 * (test/bench/api/seed.ts) into a database of its own: PGlite in a temporary
 * data directory by default; with --database-url (or DATABASE_URL) a fresh
 * database on that PostgreSQL server, dropped afterwards. Then starts the
 * real app (buildApp with a real controller context) on a local port and
 * sends `--requests` requests per scenario one after another over HTTP
 * (after 10 unmeasured ones), each with another host or query. The KPIs
 * are measured as served (7, 30 and 90 days: the minute's snapshot) and
 * uncached (the clock moved 2 minutes before each request, so each one
 * computes them), the latter reported apart.
 * One line per figure on stderr, then a JSON summary on stdout.
 * Goal: p95 <= 100 ms on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ManualClock, nodeEd25519, type Clock } from '@patchfleet/shared';
import { buildApp } from '@patchfleet/controller/src/app';
import { loadConfig } from '@patchfleet/controller/src/config';
import type { ControllerContext } from '@patchfleet/controller/src/context';
import { openDatabase, type Database } from '@patchfleet/controller/src/db/index';
import { createApiToken } from '@patchfleet/controller/src/keys/api-tokens';
import { createLogger } from '@patchfleet/controller/src/logger';
import { prepareDatabase } from './fanout/database';
import { latencySummary } from './fanout/stats';
import { benchAddress, benchHostname, seedApiFleet } from './api/seed';

const log = (line: string) => process.stderr.write(`[bench:api] ${line}\n`);
const WARMUP = 10;

function int(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be a whole number >= ${min}, got "${text}"\n`);
    process.exit(2);
  }
  return n;
}

/** A scenario: the URL of its i-th request. */
interface Scenario {
  name: string;
  url: (i: number) => string;
  /** What a correct answer holds (checked on every response, so a fast wrong answer does not count). */
  check: (body: unknown, i: number) => boolean;
  /**
   * Moves the clock 2 minutes before each request, so that no KPI snapshot
   * (kpis/kpi-snapshots.ts) can serve it: the cost of computing the figures,
   * which the first request after an idle spell pays. Reported apart
   * (`uncachedFigures`), with at most 30 requests, outside the goal.
   */
  uncached?: boolean;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { hosts: { type: 'string' }, requests: { type: 'string' }, 'database-url': { type: 'string' }, 'embedded-cache-mb': { type: 'string' } },
    strict: true,
  });
  const hosts = int('hosts', values.hosts, 50_000, 100);
  const requests = int('requests', values.requests, 200, 1);
  const cacheMb = values['embedded-cache-mb'] === undefined ? undefined : int('embedded-cache-mb', values['embedded-cache-mb'], 128, 16);
  const serverUrl = values['database-url'] ?? process.env.DATABASE_URL;
  const now = Date.parse('2026-11-23T12:00:00Z');
  const bench = await prepareDatabase(serverUrl);
  const dataDir = mkdtempSync(join(tmpdir(), 'pf-bench-api-'));
  let database: Database | undefined;
  const report: Record<string, unknown> = {
    goal: 'p95 <= 100 ms on PostgreSQL',
    database: bench.kind,
    hosts,
    requests,
    machine: { cpus: availableParallelism(), loadavg1: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
  };
  try {
    database = await openDatabase({ databaseUrl: bench.url, dataDir, embeddedCacheMb: cacheMb });
    const db = database.db;
    log(`seeding ${hosts} hosts on ${bench.kind}`);
    const t0 = performance.now();
    report.seedMs = await seedApiFleet(db, { hosts, now, log });
    report.seedSeconds = Math.round((performance.now() - t0) / 100) / 10;

    const manual = new ManualClock(now);
    // Timers never fire: the uncached scenarios move the time, and the app's timers (the KPI snapshots kept warm each minute) must not run meanwhile.
    const clock: Clock = { now: () => manual.now(), after: () => ({ cancel: () => undefined }) };
    const ctx: ControllerContext = {
      config: loadConfig({ dataDir, apiRatePerMin: 1_000_000 }, {}),
      db,
      dbKind: database.kind,
      bus: database.bus,
      clock,
      log: createLogger({ level: 'silent' }),
      controllerId: 'ctl_bench',
      commandPublicKey: nodeEd25519.generateKeyPair().publicKey,
    };
    const app = await buildApp(ctx, { tls: undefined });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const { token } = await createApiToken(db, 'bench', 'helpdesk', new Date(now));
    try {
      // Spread over the fleet, the same for every run: host k*7919 mod n.
      const pick = (i: number) => 1 + ((i * 7919) % hosts);
      const hostId = (i: number) => `h${String(pick(i)).padStart(7, '0')}`;
      const scenarios: Scenario[] = [
        {
          name: 'search-name-prefix',
          // A name prefix down to the last 2 digits: about 10 hosts share it (the hostname holds the number).
          url: (i) => `/api/v1/hosts?q=${encodeURIComponent(benchHostname(pick(i)).slice(0, -2))}&limit=50`,
          check: (b, i) => (b as { items: { hostname: string }[] }).items.some((h) => h.hostname === benchHostname(pick(i))),
        },
        {
          name: 'search-ip',
          url: (i) => `/api/v1/hosts?q=${benchAddress(pick(i))}&limit=50`,
          check: (b, i) => (b as { items: { id: string }[]; total: number }).items.some((h) => h.id === hostId(i)),
        },
        {
          name: 'host-overview',
          url: (i) => `/api/v1/hosts/${hostId(i)}/overview`,
          check: (b, i) => (b as { host: { id: string } }).host.id === hostId(i),
        },
        { name: 'kpis-7d', url: () => '/api/v1/kpis', check: (b) => (b as { days: number }).days === 7 },
        { name: 'kpis-30d', url: () => '/api/v1/kpis?days=30', check: (b) => (b as { days: number }).days === 30 },
        { name: 'kpis-90d', url: () => '/api/v1/kpis?days=90', check: (b) => (b as { days: number }).days === 90 },
        { name: 'kpis-7d-uncached', url: () => '/api/v1/kpis', check: (b) => (b as { days: number }).days === 7, uncached: true },
        { name: 'kpis-30d-uncached', url: () => '/api/v1/kpis?days=30', check: (b) => (b as { days: number }).days === 30, uncached: true },
      ];
      const figures: Record<string, { p50: number; p95: number; max: number; n: number }> = {};
      const uncachedFigures: typeof figures = {};
      for (const s of scenarios) {
        const times: number[] = [];
        const n = s.uncached ? Math.min(requests, 30) : requests;
        for (let i = 0; i < (s.uncached ? 1 : WARMUP) + n; i++) {
          if (s.uncached) manual.advance(120_000);
          const t = performance.now();
          const res = await fetch(base + s.url(i), { headers: { authorization: `Bearer ${token}` } });
          const body = (await res.json()) as unknown;
          const ms = performance.now() - t;
          if (res.status !== 200 || !s.check(body, i)) throw new Error(`${s.name}: ${s.url(i)} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
          if (i >= (s.uncached ? 1 : WARMUP)) times.push(ms);
        }
        const f = { ...latencySummary(times), n: times.length };
        (s.uncached ? uncachedFigures : figures)[s.name] = f;
        log(`${s.name.padEnd(20)} p50 ${f.p50} ms  p95 ${f.p95} ms  max ${f.max} ms  (${f.n} requests, ${bench.kind}, ${hosts} hosts)`);
      }
      report.figures = figures;
      report.uncachedFigures = uncachedFigures;
      // The machine is shared: the load at the end says how much of it the figures had.
      report.loadavgAfter = loadavg().map((l) => Math.round(l * 100) / 100);
      report.goalMet = bench.kind === 'postgres' ? Object.values(figures).every((f) => f.p95 <= 100) : null;
    } finally {
      await app.close();
    }
  } finally {
    await database?.close();
    await bench.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  const cause = (err as { cause?: unknown })?.cause;
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}${cause ? `\ncause: ${String((cause as Error).message ?? cause)}` : ''}\n`);
  process.exit(1);
});
