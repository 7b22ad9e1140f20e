/**
 * One rollout run: a scenario played against one real controller in
 * simulation mode, measured as ../shared/scenarios/README.md says.
 *
 * 1. The catalog plan (catalog-setup.ts) is checked against the controller's
 *    own parsers and assessment before anything starts (catalog-check.ts).
 * 2. The controller starts on a stepped virtual clock at `start`; the runner
 *    sets the hourly health interval and the ring policy, enrolls every host
 *    (real route, its class's token), and the workers connect them and send
 *    their first inventories (the fleet as it stands when the run begins).
 * 3. Then hour by hour (`STEP_HOURS`), at each boundary t:
 *    - the controller is advanced to t (planner rounds, gates, roll-ups run
 *      on the way); the runner waits until the hosts received every command
 *      frame the controller says it sent;
 *    - hosts go off or come back as the scenario's model says (sockets
 *      closed and reopened), and online hosts send the health samples of the
 *      hour just ended (the model's crashes and service failures, the boot
 *      id, the uptime) and a heartbeat, each acknowledged;
 *    - patches released by t are imported (one batch per release instant)
 *      and their rollouts ordered as an operator would;
 *    - commands are run (install, reboot, rollback with the model's
 *      outcomes), their statuses and inventories acknowledged; the
 *      controller is settled and anything it sent since is run too, until
 *      it sends nothing more (at most MAX_EXCHANGES rounds).
 * 4. At the end the controller's blocks and halted rollouts say what is
 *    blocked; the hosts' records say who was exposed, harmed, rolled back,
 *    patched, and when (bookkeeping.ts); metrics.ts builds the report.
 *
 * Why one-hour steps: the health samples are hourly (the coarsest interval
 * the roll-up counts exactly), offline periods last 2-6 hours, deferrals and
 * soaks are days; a host hears of a command at the next boundary, at most an
 * hour after the planner round that decided it, as an agent asleep for an
 * hour would. Planner rounds run every `tickSec` virtual seconds (default
 * one hour, at the boundaries: a round between two boundaries would find
 * nothing new, since hosts speak only at boundaries).
 *
 * Determinism: hosts are dealt to workers by index; every host's behaviour
 * comes from the scenario's seeded model and its own state; all times on the
 * wire are virtual; host keys (and so, in simulation mode, host ids) derive
 * from the seed; the runner waits for every answer before it moves the
 * clock. The order in which the controller handles frames of different
 * hosts within one boundary varies from run to run; nothing it decides reads
 * that order.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { AGENT_WS_PATH } from '@patchfleet/shared';
import type { CatalogFeedsInput } from '@patchfleet/controller/src/catalog/build';
import { uploadFiles, type UploadFile } from '@patchfleet/controller/src/client/upload';
import { prepareDatabase, type BenchDatabase } from '../../bench/fanout/database';
import { seedPgliteDataDir } from '../../support/db';
import { checkCatalogSetup } from '../catalog-check';
import { planCatalog } from '../catalog-setup';
import { createFleetModel } from '../fleet-model';
import { buildReport, type RolloutReport } from '../metrics';
import type { Scenario } from '../scenario';
import { groundTruth } from '../truth';
import { pairOutcomes, type BlockReason } from './bookkeeping';
import { applyPolicy, enrollHosts, importBatch, orderRollout, readDecisions, setHealthInterval, simCacheMb, startSimController, type RingPolicy, type RolloutState, type SimController } from './controller';
import { startHostPool, type HostPool } from './host-pool';
import { HOUR_MS, type StepCounts } from './sim-host';

/** A Patch Tuesday at 17:00 UTC: the date the controller gives the KBs of its month (catalog-setup.ts). */
export const DEFAULT_START = Date.parse('2026-01-13T17:00:00Z');
/** Hours between two boundaries (see the file comment). */
export const STEP_HOURS = 1;
/** Seconds between health samples: one per boundary. */
export const SAMPLE_INTERVAL_SEC = 3600;
/** Most deliver-and-run rounds at one boundary before the run is declared stuck. */
export const MAX_EXCHANGES = 20;

export interface RunOptions {
  /** PostgreSQL server URL (a fresh database is made and dropped); undefined: PGlite in the run's data directory. */
  databaseUrl?: string | undefined;
  /** Host worker processes. */
  workers: number;
  /** Virtual start (ms since the epoch). */
  start: number;
  /** Virtual seconds between planner rounds. */
  tickSec: number;
  /** Ring policy to apply before the hosts enroll (default: the controller's default rings). */
  policy?: RingPolicy | undefined;
  /** Enrollments and handshakes in flight. */
  concurrency: number;
  /** Real-time bound on any one wait for the controller or the hosts (ms). */
  waitMs: number;
  /** When set, the controller writes a CPU profile into this directory when it stops. */
  cpuProfDir?: string | undefined;
  /** Stops the run at the next step (everything started is still stopped and removed). */
  signal?: AbortSignal | undefined;
  /** The controller's data directory (made if missing; must be empty) instead of a temporary one; kept after the run. */
  dataDir?: string | undefined;
  /** Port the controller listens on (127.0.0.1); default: a free one. */
  port?: number | undefined;
  /**
   * Advisory data imported into the controller before the hosts enroll (the
   * files through the import route, as `catalog import --server` sends them);
   * scenario patch ids found in `feeds` are used as they are (catalog-setup.ts).
   */
  bundled?: BundledCatalog | undefined;
  /** Called as the run goes (see RunHooks); a hook that throws fails the run. */
  hooks?: RunHooks | undefined;
}

/** Advisory feeds a run imports before its hosts enroll: the parsed feeds (for the plan) and the files they came from. */
export interface BundledCatalog {
  feeds: CatalogFeedsInput;
  files: UploadFile[];
}

/** Where a run stands after a step, for a hook. */
export interface StepInfo {
  /** Hours since the start: 0 after the first inventories and the releases of hour 0, then one per step. */
  hour: number;
  /** The run's last hour. */
  hours: number;
  controller: SimController;
  /** Hosts online in the simulator at this boundary. */
  online: number;
  /** Totals of the hosts' activity so far. */
  totals: Readonly<StepCounts>;
  /** Rollouts ordered so far. */
  rolloutIds: readonly string[];
}

export interface RunHooks {
  /** Once the controller listens (and holds the bundled data), before the hosts enroll. */
  onController?(c: SimController): Promise<void>;
  /** After every step (its advance, samples, releases and commands), before the clock moves again; the run waits for it. */
  afterStep?(step: StepInfo): Promise<void>;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { workers: 2, start: DEFAULT_START, tickSec: 3600, concurrency: 64, waitMs: 120_000 };

/** What a run prints beside the report (stderr). */
export interface RunLog {
  (line: string): void;
}

export interface RunResult {
  report: RolloutReport;
  /** Why each blocked pair is blocked. */
  reasons: BlockReason[];
  rollouts: RolloutState[];
  /** Totals over the run. */
  totals: StepCounts & { commandsSent: number; healthConfigsSent: number; controllerWallMs: number };
}

interface Resources {
  dataDir?: string;
  /** The caller's directory: left in place. */
  keepDataDir?: boolean;
  database?: BenchDatabase;
  controller?: SimController;
  pool?: HostPool;
}

async function cleanup(r: Resources, say: RunLog): Promise<void> {
  if (r.pool) {
    try {
      await Promise.race([r.pool.close(), new Promise((res) => setTimeout(res, 10_000))]);
    } catch (err) {
      say(`closing the hosts failed (${(err as Error).message})`);
    }
    r.pool.kill();
  }
  if (r.controller) {
    r.controller.admin.close();
    const kill = setTimeout(() => r.controller?.fork.child.kill('SIGKILL'), 15_000);
    await r.controller.fork.stop();
    clearTimeout(kill);
  }
  if (r.database) {
    try {
      await r.database.drop();
    } catch (err) {
      say(`could not drop the run's database: ${(err as Error).message}`);
    }
  }
  if (r.dataDir && !r.keepDataDir) rmSync(r.dataDir, { recursive: true, force: true });
}

/**
 * Diagnostics (PF_SIM_PG_LOG_MS=N): the server logs every statement of the
 * run's database that takes N ms or more (log_min_duration_statement, set on
 * that database only), to find what a simulated hour spends its time on.
 */
async function logSlowStatements(serverUrl: string, databaseUrl: string, ms: number): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name) || !Number.isInteger(ms) || ms < 0) throw new Error('PF_SIM_PG_LOG_MS needs a whole number of ms');
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`alter database ${name} set log_min_duration_statement = ${ms}`);
  } finally {
    await admin.end();
  }
}

const add = (a: StepCounts, b: StepCounts): void => {
  for (const k of Object.keys(a) as (keyof StepCounts)[]) if (k !== 'online') a[k] += b[k];
};

/** Runs `scenario`; progress lines go to `say`. Everything started is stopped and removed, also on failure. */
export async function runRollout(scenario: Scenario, opts: RunOptions, say: RunLog): Promise<RunResult> {
  const wallStart = performance.now();
  const wall = () => (performance.now() - wallStart) / 1000;
  const truth = groundTruth(scenario);
  const model = createFleetModel(scenario);
  const setup = planCatalog(scenario, { start: opts.start, bundled: opts.bundled?.feeds });
  await checkCatalogSetup(setup, opts.bundled?.feeds);
  const hours = Math.ceil(scenario.days * 24 - 1e-9);
  const r: Resources = {};
  try {
    if (opts.dataDir === undefined) r.dataDir = mkdtempSync(join(tmpdir(), 'pf-bench-rollout-'));
    else {
      mkdirSync(opts.dataDir, { recursive: true });
      if (readdirSync(opts.dataDir).length > 0) throw new Error(`the run's data directory ${opts.dataDir} is not empty`);
      r.dataDir = opts.dataDir;
      r.keepDataDir = true;
    }
    r.database = await prepareDatabase(opts.databaseUrl);
    if (r.database.kind === 'postgres' && process.env.PF_SIM_PG_LOG_MS) await logSlowStatements(opts.databaseUrl!, r.database.url!, Number(process.env.PF_SIM_PG_LOG_MS));
    // PGlite: a migrated copy of the tests' template instead of initdb and every migration (seconds).
    if (r.database.kind === 'pglite') await seedPgliteDataDir(r.dataDir);
    say(`scenario ${scenario.name}: ${scenario.fleet.hosts} hosts in ${scenario.fleet.classes.length} classes, ${scenario.patches.length} patches, ${scenario.days} days; controller on ${r.database.kind}`);
    const c = await startSimController({ dataDir: r.dataDir, databaseUrl: r.database.url, startMs: opts.start, tickSec: opts.tickSec, cpuProfDir: opts.cpuProfDir, port: opts.port, cacheMb: r.database.kind === 'pglite' ? simCacheMb(scenario.fleet.hosts) : undefined });
    r.controller = c;
    say(`controller listening (${wall().toFixed(1)} s)`);
    const fork = c.fork;
    // A controller that goes away (a Ctrl-C reaches the whole process group) fails the step at once, not after its timeout.
    const exited = new Promise<never>((_, reject) => fork.child.once('exit', (code, signal) => reject(new Error(`the controller exited (${code ?? signal}) during the run`))));
    exited.catch(() => undefined);
    let controllerWallMs = 0;
    const step = async (msg: { type: 'sim.advance'; to: number } | { type: 'sim.settle' }) => {
      const answer = await Promise.race([fork.step(msg, opts.waitMs * 5), exited]);
      controllerWallMs += answer.wallMs;
      return answer;
    };
    if (opts.bundled) {
      const t0 = performance.now();
      await uploadFiles({ server: c.boot.url, token: c.boot.adminToken, caFingerprint: c.boot.caFingerprint }, '/api/v1/catalog/imports', opts.bundled.files);
      await step({ type: 'sim.settle' });
      say(`imported the bundled advisory data (${opts.bundled.files.length} files, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
    await opts.hooks?.onController?.(c);

    await setHealthInterval(c, SAMPLE_INTERVAL_SEC);
    if (opts.policy) await applyPolicy(c, opts.policy);
    say(`enrolling ${model.hosts.length} hosts`);
    const identities = await enrollHosts(c, setup, scenario.seed, model.hosts, opts.concurrency, (n) => say(`  enrolled ${n}/${model.hosts.length}`));
    if (opts.signal?.aborted) throw new Error('stopped before the hosts connected');
    const wssUrl = `${c.boot.url.replace(/^https:/, 'wss:')}${AGENT_WS_PATH}`;
    r.pool = await startHostPool(
      opts.workers,
      { scenario, setup, target: { wssUrl, fingerprint: c.boot.caFingerprint, commandKey: c.boot.commandKey }, startMs: opts.start, concurrency: Math.max(1, Math.ceil(opts.concurrency / opts.workers)), waitMs: opts.waitMs },
      identities,
      opts.cpuProfDir === undefined ? undefined : resolve(opts.cpuProfDir),
    );
    const pool = r.pool;
    say(`connecting them over WSS in ${opts.workers} worker processes (${wall().toFixed(1)} s)`);
    const totals: StepCounts = await pool.connect(0);
    let last = await step({ type: 'sim.settle' });
    say(`${totals.connects} hosts connected and reported (${wall().toFixed(1)} s)`);

    const batches = [...setup.imports].sort((a, b) => a.at - b.at);
    let nextBatch = 0;
    const rolloutIds: string[] = [];
    let executedUpTo = 0;

    /** Imports and orders what is released by hour t. */
    const release = async (t: number): Promise<void> => {
      while (nextBatch < batches.length && batches[nextBatch]!.at <= opts.start + t * HOUR_MS) {
        const batch = batches[nextBatch++]!;
        await importBatch(c, batch);
        // The controller re-assesses every host against the new catalog before the rollout reads who needs the patch.
        last = await step({ type: 'sim.settle' });
        for (const patchId of batch.patches) {
          const id = await orderRollout(c, setup, patchId);
          if (id) rolloutIds.push(id);
          say(`  day ${(t / 24).toFixed(2)}: ${patchId} released${id ? `, rollout ${id}` : ': no host needs it'}`);
        }
      }
    };

    /** Delivers and runs commands until the controller sends nothing more at this boundary. */
    const exchange = async (t: number): Promise<void> => {
      for (let round = 0; ; round++) {
        if (round >= MAX_EXCHANGES) throw new Error(`hour ${t}: the controller still sent commands after ${MAX_EXCHANGES} rounds of delivering and running them`);
        last = await step({ type: 'sim.settle' });
        await pool.waitForCommands(last.commandsSent, opts.waitMs);
        if (pool.received() === executedUpTo) return;
        executedUpTo = pool.received();
        add(totals, await pool.execute(t));
      }
    };

    /** Real seconds spent per phase, for the progress lines. */
    const phase = { advance: 0, boundary: 0, release: 0, exchange: 0 };
    const timed = async <T>(name: keyof typeof phase, work: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await work();
      } finally {
        phase[name] += (performance.now() - t0) / 1000;
      }
    };
    let online = (await pool.boundary(0, null)).online;
    await release(0);
    await exchange(0);
    const afterStep = async (hour: number) => {
      if (opts.hooks?.afterStep) await opts.hooks.afterStep({ hour, hours, controller: c, online, totals, rolloutIds });
    };
    await afterStep(0);
    let nextReport = 24;
    for (let t = STEP_HOURS; t <= hours; t += STEP_HOURS) {
      if (opts.signal?.aborted) throw new Error(`stopped at hour ${t - STEP_HOURS} of ${hours}`);
      await timed('advance', async () => {
        last = await step({ type: 'sim.advance', to: opts.start + t * HOUR_MS });
        await pool.waitForCommands(last.commandsSent, opts.waitMs);
      });
      const b = await timed('boundary', () => pool.boundary(t, t - STEP_HOURS));
      add(totals, b);
      online = b.online;
      await timed('release', () => release(t));
      await timed('exchange', () => exchange(t));
      if (t >= nextReport || t === hours) {
        nextReport += 24;
        const blocks = (await c.admin.call<{ items: unknown[] }>('GET', '/api/v1/blocks?state=active&limit=500')).items.length;
        for (const id of rolloutIds) {
          const ro = await c.admin.call<{ name: string; state: string; rings: { ring: string; state: string; note: string | null }[] }>('GET', `/api/v1/rollouts/${id}`);
          say(`  ${ro.name}: ${ro.state}; ${ro.rings.map((g) => `${g.ring} ${g.state}${g.note ? ` (${g.note.slice(0, 120)})` : ''}`).join(', ')}`);
        }
        say(`day ${(t / 24).toFixed(0).padStart(2)}: ${online} hosts online, ${last.commandsSent} commands sent, ${totals.installs} installs (${totals.installFailures} failed), ${totals.reboots} reboots (${totals.bootFailures} not back), ${totals.rollbacks} rollbacks, ${blocks} blocks; ${wall().toFixed(1)} s (advance ${phase.advance.toFixed(1)}, boundary ${phase.boundary.toFixed(1)}, release ${phase.release.toFixed(1)}, exchange ${phase.exchange.toFixed(1)}; ${last.timersFired} controller timers)`);
      }
      await afterStep(t);
    }

    const decisions = await readDecisions(c, rolloutIds);
    const records = await pool.finish(hours);
    const { outcomes, reasons } = pairOutcomes(scenario, setup, truth, model.hosts, records, decisions);
    const report = buildReport(scenario.name, truth, outcomes, wall());
    return {
      report,
      reasons,
      rollouts: decisions.rollouts,
      totals: { ...totals, online, commandsSent: last.commandsSent, healthConfigsSent: last.healthConfigsSent, controllerWallMs },
    };
  } catch (err) {
    const out = r.controller?.fork.output();
    if (out) say(`controller output (last 3000 characters):\n${out.slice(-3000)}`);
    throw err;
  } finally {
    await cleanup(r, say);
  }
}

