/**
 * Health sample ingestion figures. Two paths:
 *
 * - `benchStoreFunction`: the controller's own ingestion functions
 *   (checkHealthSamples + storeHealthSamples, exactly what the gateway
 *   session runs per frame), called with frames of up to 500 samples from
 *   `concurrency` simulated sessions at once. No sockets, no TLS, no JSON
 *   decoding: the database write path alone.
 * - `benchSessions`: a real controller (startController: TLS, gateway,
 *   sessions, rate limits) in this process and real WebSocket clients with
 *   the real handshake; each agent sends its day of samples in frames and
 *   waits for every healthAck. The clients share this process's CPU with
 *   the controller, so this is a lower bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { authChallengePayload, canonicalBytes, Capabilities, makeFrame, MAX_HEALTH_SAMPLES_PER_FRAME, nodeEd25519, type HealthSample, type Message } from '@patchfleet/shared';
import { loadConfig } from '@patchfleet/controller/src/config';
import type { Db } from '@patchfleet/controller/src/db/index';
import { checkHealthSamples, storeHealthSamples } from '@patchfleet/controller/src/health/sample-store';
import { rollupHealth } from '@patchfleet/controller/src/health/rollup';
import { resultRows } from '@patchfleet/controller/src/catalog/rows/sync-rows';
import { createLogger } from '@patchfleet/controller/src/logger';
import { startController } from '@patchfleet/controller/src/server';
import { seedPgliteDataDir } from '@patchfleet/test/support/db';
import { connectRaw, type RawClient } from '@patchfleet/test/support/ws-client';

const MIN = 60_000;
export const INTERVAL_MS = 5 * MIN;

/** A day of 5-minute samples of one agent, ending at `end`; about one in 50 intervals saw a crash and lists it. */
export function agentSamples(agent: number, count: number, end: number): HealthSample[] {
  const start = end - count * INTERVAL_MS;
  return Array.from({ length: count }, (_, i) => {
    const crash = (agent * 31 + i * 7) % 50 === 0;
    return {
      seq: i + 1,
      periodStart: start + i * INTERVAL_MS,
      periodEnd: start + (i + 1) * INTERVAL_MS,
      bootId: `boot-${agent.toString(16).padStart(6, '0')}-0001`,
      uptimeSec: 86_400 + i * 300,
      counters: { appCrashes: crash ? 1 : 0, kernelCrashes: 0, serviceFailures: 0, unexpectedShutdowns: 0, probeFailures: 0, probeRuns: 2 },
      unavailable: agent % 10 === 0 ? ['var-crash'] : [],
      events: crash ? [{ kind: 'app-crash', at: start + i * INTERVAL_MS + 1000, subject: '/usr/sbin/nginx', message: 'process 4242 (nginx) dumped core (SIGSEGV)' }] : [],
    } satisfies HealthSample;
  });
}

/** The frames an agent's outbox would send: samples in order, at most 500 each. */
export function framesOf(samples: HealthSample[], frameSize = MAX_HEALTH_SAMPLES_PER_FRAME): HealthSample[][] {
  const out: HealthSample[][] = [];
  for (let i = 0; i < samples.length; i += frameSize) out.push(samples.slice(i, i + frameSize));
  return out;
}

export const hostIdOf = (agent: number) => `h_bench_${String(agent).padStart(6, '0')}`;

/** Inserts the bench hosts (5,000 a statement). */
export async function insertHosts(db: Db, agents: number, offset = 0, keys?: string[]): Promise<void> {
  const enrolledAt = new Date(Date.now() - 30 * 86_400_000).toISOString();
  for (let i = 0; i < agents; i += 5000) {
    const rows = Array.from({ length: Math.min(5000, agents - i) }, (_, j) => ({ id: hostIdOf(offset + i + j), hostname: `bench-${offset + i + j}`, key: keys?.[i + j] ?? null }));
    await db.execute(sql`insert into hosts (id, hostname, enrolled_at) select r.id, r.hostname, ${enrolledAt}::timestamptz from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id text, hostname text)`);
    if (keys) await db.execute(sql`insert into agent_keys (public_key, host_id, created_at) select r.key, r.id, now() from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id text, key text)`);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export interface StoreFigures {
  path: string;
  database: 'postgres' | 'pglite';
  agents: number;
  samplesPerAgent: number;
  frames: number;
  samples: number;
  stored: number;
  concurrency: number;
  seconds: number;
  samplesPerSec: number;
  frameMs: { p50: number; p95: number; max: number };
  resendSeconds: number;
  resendSamplesPerSec: number;
  rollupSeconds: number;
  hourlyRows: number;
}

/** Runs `jobs` with at most `concurrency` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= jobs.length) return;
        out[i] = await (jobs[i] as () => Promise<T>)();
      }
    }),
  );
  return out;
}

/** The database write path: check + one insert per frame, `concurrency` frames in flight. */
export async function benchStoreFunction(opts: { db: Db; kind: 'postgres' | 'pglite'; agents: number; samplesPerAgent: number; concurrency: number; log: (line: string) => void }): Promise<StoreFigures> {
  const { db, agents, samplesPerAgent, concurrency, log } = opts;
  await insertHosts(db, agents);
  const end = Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS;
  const latencies: number[] = [];
  let frames = 0;
  let sent = 0;
  const flush = async (label: string) => {
    const started = performance.now();
    let done = 0;
    const jobs = Array.from({ length: agents }, (_, a) => async () => {
      // Built when the session starts sending, as an agent reads its outbox: 10,000 days of samples are not held at once.
      for (const frame of framesOf(agentSamples(a, samplesPerAgent, end))) {
        const t = performance.now();
        checkHealthSamples(frame, Date.now());
        await storeHealthSamples(db, hostIdOf(a), 'bench-epoch', frame, new Date());
        if (label === 'first') {
          latencies.push(performance.now() - t);
          frames += 1;
          sent += frame.length;
        }
      }
      done += 1;
      if (done % Math.max(1, Math.floor(agents / 10)) === 0) log(`${label} flush: ${done}/${agents} agents, ${Math.round((done * samplesPerAgent) / ((performance.now() - started) / 1000))} samples/s`);
    });
    await pool(jobs, concurrency);
    return (performance.now() - started) / 1000;
  };
  const seconds = await flush('first');
  const stored = await countSamples(db, 'h_bench_0%');
  // Every agent resends its whole day (it never heard the acks): all duplicates.
  const resendSeconds = await flush('resend');
  const t = performance.now();
  const rollup = await rollupHealth(db, new Date());
  const rollupSeconds = (performance.now() - t) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    path: 'checkHealthSamples + storeHealthSamples (the gateway session\'s per-frame calls), no socket',
    database: opts.kind,
    agents,
    samplesPerAgent,
    frames,
    samples: sent,
    stored,
    concurrency,
    seconds: round(seconds),
    samplesPerSec: Math.round(sent / seconds),
    frameMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), max: round(latencies.at(-1) ?? 0) },
    resendSeconds: round(resendSeconds),
    resendSamplesPerSec: Math.round(sent / resendSeconds),
    rollupSeconds: round(rollupSeconds),
    hourlyRows: rollup.hours,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Rows stored for the bench hosts matching `like`. */
async function countSamples(db: Db, like: string): Promise<number> {
  return Number(resultRows<{ n: number }>(await db.execute(sql`select count(*)::int as n from health_samples where host_id like ${like}`))[0]?.n ?? 0);
}

export interface SessionFigures {
  path: string;
  database: 'postgres' | 'pglite';
  agents: number;
  samplesPerAgent: number;
  frames: number;
  samples: number;
  stored: number;
  seconds: number;
  samplesPerSec: number;
  ackMs: { p50: number; p95: number; max: number };
}

/** Real controller, real TLS WebSockets and handshakes: each agent flushes its day and waits for every healthAck. */
export async function benchSessions(opts: { databaseUrl: string | undefined; agents: number; samplesPerAgent: number; log: (line: string) => void }): Promise<SessionFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pf-bench-health-'));
  if (!opts.databaseUrl) await seedPgliteDataDir(dataDir);
  const ctl = await startController(loadConfig({ dataDir, port: 0, host: '127.0.0.1', ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}) }, {}), { log: createLogger({ level: 'warn' }) });
  const clients: RawClient[] = [];
  try {
    const keys = Array.from({ length: opts.agents }, () => nodeEd25519.generateKeyPair());
    const offset = 900_000; // apart from the store-function hosts when sharing a database
    await insertHosts(ctl.database.db, opts.agents, offset, keys.map((k) => k.publicKey));
    opts.log(`sessions: connecting ${opts.agents} agents`);
    for (let a = 0; a < opts.agents; a++) {
      const id = hostIdOf(offset + a);
      const c = await connectRaw(ctl.url, ctl.bootstrap.caFingerprint);
      c.send(makeFrame('hello', { agentId: id, agentVersion: 'bench', platform: 'linux', capabilities: [Capabilities.Health] }, Date.now()));
      const ch = await c.next();
      if (ch.type !== 'challenge') throw new Error(`agent ${id}: expected challenge, got ${ch.type}`);
      c.send(makeFrame('auth', { agentId: id, sessionId: ch.sessionId, signature: nodeEd25519.sign(canonicalBytes(authChallengePayload(id, ch.sessionId, ch.nonce)), (keys[a] as { secretKey: string }).secretKey) }, Date.now()));
      const w = await c.next();
      if (w.type !== 'welcome') throw new Error(`agent ${id}: expected welcome, got ${JSON.stringify(w)}`);
      const cfg = await c.next();
      if (cfg.type !== 'healthConfig') throw new Error(`agent ${id}: expected healthConfig, got ${cfg.type}`);
      clients.push(c);
    }
    const end = Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS;
    const acks: number[] = [];
    let frames = 0;
    let sent = 0;
    opts.log(`sessions: ${opts.agents} agents flush ${opts.samplesPerAgent} samples each`);
    const started = performance.now();
    await Promise.all(
      clients.map(async (c, a) => {
        // Like the agent's outbox: one frame in flight, the next after its ack.
        for (const samples of framesOf(agentSamples(offset + a, opts.samplesPerAgent, end))) {
          const frame = makeFrame('health', { epoch: 'bench-epoch', samples }, Date.now());
          const t = performance.now();
          c.send(frame);
          const ack: Message = await c.next(120_000);
          if (ack.type !== 'healthAck' || ack.replyTo !== frame.id) throw new Error(`expected healthAck, got ${JSON.stringify(ack).slice(0, 300)}`);
          acks.push(performance.now() - t);
          frames += 1;
          sent += samples.length;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const stored = await countSamples(ctl.database.db, 'h_bench_9%');
    acks.sort((x, y) => x - y);
    return {
      path: 'real controller (startController) and real TLS WebSocket sessions with the handshake; health frames answered by healthAck after the commit; clients in the same process',
      database: opts.databaseUrl ? 'postgres' : 'pglite',
      agents: opts.agents,
      samplesPerAgent: opts.samplesPerAgent,
      frames,
      samples: sent,
      stored,
      seconds: round(seconds),
      samplesPerSec: Math.round(sent / seconds),
      ackMs: { p50: round(percentile(acks, 50)), p95: round(percentile(acks, 95)), max: round(acks.at(-1) ?? 0) },
    };
  } finally {
    for (const c of clients) c.close();
    await ctl.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
