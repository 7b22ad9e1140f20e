/**
 * `pnpm bench:fanout --agents 10000 [--json] [--database-url URL] [--concurrency N] [--workers N]`
 *
 * Starts one real controller process, enrolls N simulated agents (each its
 * own Ed25519 key pair), connects them over real TLS WebSockets with the real
 * handshake, issues one signed reboot command to every one of them through
 * the admin API, and measures per agent the time from just before that POST
 * to the acknowledgement (sent by the agent, and stored by the controller).
 * Progress goes to stderr; the report to stdout. Everything it started is
 * stopped and the temporary data directory removed, also on failure.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_WS_PATH } from '@patchfleet/shared';
import { startControllerProcess, type ControllerProcess } from '../../support/processes';
import { localPool, workerPool, type AgentPool } from './agent-pool';
import { parseFanoutArgs, USAGE, UsageError, type FanoutOptions } from './args';
import { prepareDatabase, type BenchDatabase } from './database';
import { createEnrollmentToken, enrollAgents } from './enroll';
import { PinnedClient } from './http';
import { cpuSplit, fanoutFigures, formatTable, type FanoutReport } from './report';
import { cpuSeconds, epochMs, latencySummary, openFilesLimit, peakRssBytes, toMiB } from './stats';

interface Bootstrap {
  url: string;
  adminToken: string;
  caFingerprint: string;
  commandKey: string;
}

const CPU_PROFILE_PRELOAD = fileURLToPath(new URL('./cpu-profile.ts', import.meta.url));
const say = (line: string) => process.stderr.write(`[bench:fanout] ${line}\n`);
const seconds = (ms: number) => Math.round(ms / 10) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Random sample of `k` items (partial Fisher-Yates on a copy). */
function sample<T>(items: readonly T[], k: number): T[] {
  const a = [...items];
  const n = Math.min(k, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (a.length - i));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a.slice(0, n);
}

/** Everything a run started, for the cleanup that runs however it ends. */
interface Resources {
  dataDir?: string;
  database?: BenchDatabase;
  controller?: ControllerProcess;
  pool?: AgentPool;
  clients: PinnedClient[];
}

async function stopController(c: ControllerProcess): Promise<void> {
  // A clean stop lets --cpu-prof write its profile; a stuck one is killed.
  const kill = setTimeout(() => c.child.kill('SIGKILL'), 15_000);
  await c.stop('SIGTERM');
  clearTimeout(kill);
}

async function cleanup(r: Resources): Promise<void> {
  for (const c of r.clients) c.close();
  if (r.pool) {
    try {
      await Promise.race([r.pool.close(), sleep(10_000)]);
    } catch (err) {
      say(`closing the agents failed (${(err as Error).message}); killing the workers`);
    }
    r.pool.kill();
  }
  if (r.controller) await stopController(r.controller);
  if (r.database) {
    try {
      await r.database.drop();
    } catch (err) {
      say(`could not drop the bench database: ${(err as Error).message}`);
    }
  }
  if (r.dataDir) rmSync(r.dataDir, { recursive: true, force: true });
}

async function run(opts: FanoutOptions, r: Resources): Promise<FanoutReport> {
  // Each agent is one socket here and one in the controller (both inherit this limit).
  const limit = openFilesLimit();
  if (limit !== undefined && limit < opts.agents + 512) {
    throw new Error(`the open-files limit is ${limit}, too low for ${opts.agents} agents: raise it (ulimit -n ${opts.agents + 1024}) and run again`);
  }
  r.dataDir = mkdtempSync(join(tmpdir(), 'pf-bench-fanout-'));
  r.database = await prepareDatabase(opts.databaseUrl);
  say(`starting the controller (${r.database.kind})`);
  const env: NodeJS.ProcessEnv = { PATCHFLEET_LOG_LEVEL: 'warn' };
  if (opts.cpuProfDir) {
    env.PF_BENCH_CPU_PROF_DIR = resolve(opts.cpuProfDir);
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import tsx --import ${JSON.stringify(CPU_PROFILE_PRELOAD)}`.trim();
  }
  r.controller = await startControllerProcess({ dataDir: r.dataDir, databaseUrl: r.database.url, env });
  const controllerPid = r.controller.child.pid as number;
  const boot = JSON.parse(readFileSync(join(r.dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
  const admin = new PinnedClient(boot.url, boot.caFingerprint, boot.adminToken, 8);
  const enrollClient = new PinnedClient(boot.url, boot.caFingerprint, undefined, opts.concurrency);
  r.clients.push(admin, enrollClient);

  say(`enrolling ${opts.agents} agents`);
  const token = await createEnrollmentToken(admin, opts.agents);
  const t = performance.now();
  const identities = await enrollAgents(enrollClient, { token, count: opts.agents, concurrency: opts.concurrency, commandKey: boot.commandKey }, (n) => say(`  enrolled ${n}/${opts.agents}`));
  const enrollMs = performance.now() - t;
  enrollClient.close();

  say(`connecting ${opts.agents} agents over WSS (${opts.workers === 0 ? 'in this process' : `${opts.workers} worker processes`})`);
  r.pool = opts.workers === 0 ? localPool(identities) : workerPool(identities, opts.workers, opts.cpuProfDir ? resolve(opts.cpuProfDir) : undefined);
  const target = { wssUrl: `${boot.url.replace(/^https:/, 'wss:')}${AGENT_WS_PATH}`, fingerprint: boot.caFingerprint, commandKey: boot.commandKey };
  const connect = await r.pool.connect(target, opts.concurrency, (n) => say(`  authenticated ${n}/${opts.agents}`));
  const connectMs = connect.lastWelcomeAt - connect.firstStartAt;
  // Let the controller finish what each welcome set off (a queued-commands look-up per agent) before timing.
  await sleep(2_000);

  say(`issuing one signed command to each of ${opts.agents} agents`);
  const hostIds = identities.map((i) => i.agentId);
  const loadAverage1m = Math.round(loadavg()[0] as number * 100) / 100;
  const cpuBefore = [cpuSeconds(controllerPid), ...r.pool.pids.map((pid) => cpuSeconds(pid))];
  const t0 = epochMs();
  const issued = await admin.call<{ items: { id: string; hostId: string }[] }>('POST', '/api/v1/commands', { hostIds, action: 'reboot', target: 'bench', params: { reason: 'bench', delaySec: 60 }, ttlSec: 3600 });
  const issueRequestMs = epochMs() - t0;
  say(`  POST answered after ${Math.round(issueRequestMs)} ms; waiting for the acknowledgements`);
  const timings = await r.pool.timings(180_000);
  // CPU the fan-out cost each side (the workers' is read after their last acknowledgement was confirmed).
  const cpuAfter = [cpuSeconds(controllerPid), ...r.pool.pids.map((pid) => cpuSeconds(pid))];
  const cpuUsed = cpuAfter.map((a, i) => (a === undefined || cpuBefore[i] === undefined ? undefined : a - (cpuBefore[i] as number)));
  const figures = fanoutFigures(timings, t0, opts.agents);

  // The controller's own word, for a random sample: it must list this command as acknowledged.
  const commandOf = new Map(issued.items.map((i) => [i.hostId, i.id]));
  let acknowledged = 0;
  // Per command, by the controller's own rows: from its issuedAt (each chunk of 250 has its own) to the
  // acknowledgement time the agent reported. Not the headline figure (that counts from the POST), but it
  // shows how long one command waits once it exists.
  const perCommand: number[] = [];
  const picked = sample(hostIds, 100);
  for (const hostId of picked) {
    const res = await admin.call<{ items: { id: string; state: string; issuedAt: string; acknowledgedAt: string | null }[] }>('GET', `/api/v1/hosts/${hostId}/commands`);
    const row = res.items.find((c) => c.id === commandOf.get(hostId));
    if (row && row.state === 'acknowledged' && row.acknowledgedAt) {
      acknowledged += 1;
      perCommand.push(Date.parse(row.acknowledgedAt) - Date.parse(row.issuedAt));
    }
  }

  const controllerPeak = peakRssBytes(controllerPid);
  const workerPeaks = await r.pool.close();
  r.pool = undefined;
  return {
    agents: opts.agents,
    database: r.database.kind,
    workers: opts.workers,
    concurrency: opts.concurrency,
    enroll: { seconds: seconds(enrollMs), perSecond: Math.round(opts.agents / (enrollMs / 1000)) },
    connect: { connected: connect.connected, seconds: seconds(connectMs), perSecond: Math.round(connect.connected / (connectMs / 1000)) },
    issueRequestMs: Math.round(issueRequestMs),
    ...figures,
    controllerCheck: { sampled: picked.length, acknowledged, issuedAtToAckMs: latencySummary(perCommand) },
    fanoutCpuSeconds: cpuSplit(cpuUsed),
    controllerPeakRssMiB: toMiB(controllerPeak),
    benchPeakRssMiB: toMiB(peakRssBytes()),
    workerPeakRssMiB: workerPeaks.map(toMiB),
    node: process.version,
    cpus: availableParallelism(),
    loadAverage1m,
  };
}

async function main(): Promise<number> {
  let opts: FanoutOptions;
  try {
    opts = parseFanoutArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error PF_ERR_USAGE: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  const resources: Resources = { clients: [] };
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: cleaning up`);
    void cleanup(resources).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const report = await run(opts, resources);
    process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatTable(report)}\n`);
    const ok = report.recorded === report.agents && report.controllerCheck.acknowledged === report.controllerCheck.sampled;
    if (!ok) say('not every agent had its acknowledgement stored: see "problems"');
    return ok ? 0 : 1;
  } catch (err) {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    const out = resources.controller?.output();
    if (out) say(`controller output (last 3000 characters):\n${out.slice(-3000)}`);
    return 1;
  } finally {
    if (!interrupted) await cleanup(resources);
  }
}

process.exitCode = await main();
