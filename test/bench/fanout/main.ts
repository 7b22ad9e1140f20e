/**
 * `pnpm bench:fanout --agents 10000 [--controllers 1|2] [--json] [--database-url URL] [--concurrency N] [--workers N] [--max-agents M]`
 *
 * Starts one real controller process, enrolls N simulated agents (each its
 * own Ed25519 key pair), connects them over real TLS WebSockets with the real
 * handshake, issues one signed reboot command to every one of them through
 * the admin API, and measures per agent the time from just before that POST
 * to the acknowledgement (sent by the agent, and stored by the controller).
 *
 * With `--controllers 2`: two replicas on one fresh PostgreSQL database
 * (replica 2 gets replica 1's certificate and command key, as in
 * test/e2e/replicas.test.ts), half the agents start on each and have the
 * other as failover, bound to several loopback source addresses
 * (127.0.0.2, ...) so that ephemeral ports do not run out. The command
 * goes through replica 1's API to agents on both. Then replica 2 is
 * SIGKILLed and the bench measures the reconnect storm: from the kill to
 * each of its agents authenticated again on replica 1.
 *
 * With `--max-agents M`: the controller runs with PATCHFLEET_MAX_AGENTS=M,
 * each agent tries once, the refused ones (PF_ERR_CONTROLLER_FULL) are
 * counted and left out, and the command goes to the agents held after the
 * connect phase. Every run reports the agents held and refused, and the
 * controller's own figures from /metrics (its cap `patchfleet_agents_max`,
 * its refusals), beside the open-files limit.
 * Progress goes to stderr; the report to stdout. Everything it started is
 * stopped and the temporary data directory removed, also on failure.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_WS_PATH } from '@patchfleet/shared';
import { startControllerProcess, type ControllerProcess } from '../../support/processes';
import { localPool, workerPool, type AgentPool } from './agent-pool';
import { sourceAddresses } from './fleet';
import { parseFanoutArgs, USAGE, UsageError, type FanoutOptions } from './args';
import { prepareDatabase, type BenchDatabase } from './database';
import { createEnrollmentToken, enrollAgents } from './enroll';
import { PinnedClient } from './http';
import { capFigures, commandCpuMs, commandPerReplica, cpuSplit, fanoutFigures, formatTable, perAgentCpuMs, perAgentRssKiB, stormFigures, type FanoutReport } from './report';
import { cpuSeconds, epochMs, latencySummary, openFilesLimit, peakRssBytes, rssBytes, toMiB } from './stats';
import { BENCH_EDGE_LIMITS, type Bootstrap } from './controller-env';

const CPU_PROFILE_PRELOAD = fileURLToPath(new URL('./cpu-profile.ts', import.meta.url));
const say = (line: string) => process.stderr.write(`[bench:fanout] ${line}\n`);
const seconds = (ms: number) => Math.round(ms / 10) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long the bench waits at most for the agents of a killed replica to be back. */
const STORM_WAIT_MS = 180_000;
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
  controllers: ControllerProcess[];
  pool?: AgentPool;
  clients: PinnedClient[];
}

async function stopController(c: ControllerProcess): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return; // already gone ('exit' was emitted)
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
  await Promise.all(r.controllers.map((c) => stopController(c)));
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
  say(`starting ${opts.controllers === 1 ? 'the controller' : `${opts.controllers} controller replicas`} (${r.database.kind})`);
  const env: NodeJS.ProcessEnv = { PATCHFLEET_LOG_LEVEL: 'warn', ...BENCH_EDGE_LIMITS };
  // Without --max-agents the controller derives its cap from the open-file limit; a PATCHFLEET_MAX_AGENTS of the shell must not set it.
  env.PATCHFLEET_MAX_AGENTS = opts.maxAgents === undefined ? undefined : String(opts.maxAgents);
  if (opts.cpuProfDir) {
    env.PF_BENCH_CPU_PROF_DIR = resolve(opts.cpuProfDir);
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import tsx --import ${JSON.stringify(CPU_PROFILE_PRELOAD)}`.trim();
  }
  const dataDirs = opts.controllers === 1 ? [r.dataDir] : [join(r.dataDir, 'controller-1'), join(r.dataDir, 'controller-2')];
  const boots: Bootstrap[] = [];
  for (const [i, dir] of dataDirs.entries()) {
    if (i > 0) {
      // A replica shares what agents pin: the certificate and the command key (copied from replica 1).
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      cpSync(join(dataDirs[0] as string, 'tls'), join(dir, 'tls'), { recursive: true });
      cpSync(join(dataDirs[0] as string, 'keys'), join(dir, 'keys'), { recursive: true });
    }
    r.controllers.push(await startControllerProcess({ dataDir: dir, databaseUrl: r.database.url, env }));
    boots.push(JSON.parse(readFileSync(join(dir, 'bootstrap.json'), 'utf8')) as Bootstrap);
  }
  const controllerPid = r.controllers[0]?.child.pid as number;
  const boot = boots[0] as Bootstrap;
  if (boots.some((b) => b.caFingerprint !== boot.caFingerprint || b.commandKey !== boot.commandKey)) throw new Error('the replicas do not share the certificate and command key');
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
  const wssUrls = boots.map((b) => `${b.url.replace(/^https:/, 'wss:')}${AGENT_WS_PATH}`);
  const sources = opts.controllers > 1 ? sourceAddresses(opts.agents) : [];
  const target = { wssUrls, fingerprint: boot.caFingerprint, commandKey: boot.commandKey, sourceAddresses: sources };
  // The controllers' CPU and replica 1's RSS around the connect phase: what the handshakes cost the controller.
  const controllersCpu = () => r.controllers.map((c) => cpuSeconds(c.child.pid as number)).reduce<number | undefined>((a, b) => (a === undefined || b === undefined ? undefined : a + b), 0);
  const connectCpuBefore = controllersCpu();
  const connectRssBefore = rssBytes(controllerPid);
  // The profile clock (CLOCK_MONOTONIC, µs) at both ends of the connect phase, for profile-top.ts --from/--to.
  const profileClock = () => (process.hrtime.bigint() / 1000n).toString();
  const connectFrom = profileClock();
  const capped = opts.maxAgents !== undefined;
  const connect = await r.pool.connect(target, opts.concurrency, (n) => say(`  authenticated ${n}/${opts.agents}`), capped);
  const connectMs = connect.lastWelcomeAt - connect.firstStartAt;
  // Let the controller finish what each welcome set off (a queued-commands look-up per agent) before timing.
  await sleep(2_000);
  if (opts.cpuProfDir) say(`  connect phase on the CPU profiles' clock: --from ${connectFrom} --to ${profileClock()} (test/bench/fanout/profile-top.ts)`);
  const handshakeCpuMs = perAgentCpuMs(connectCpuBefore, controllersCpu(), connect.connected);
  const controllerRssPerAgentKiB = perAgentRssKiB(connectRssBefore, rssBytes(controllerPid), connect.perReplica[0]?.connected ?? connect.connected);
  say(`  controller CPU per handshake ${handshakeCpuMs ?? '?'} ms, RSS per agent ${controllerRssPerAgentKiB ?? '?'} KiB`);
  // Held: welcomed and still connected now; only these get the command.
  const hostIds = await r.pool.keepHeld();
  const cap = capFigures(await admin.text('GET', '/metrics'));
  say(`  held ${hostIds.length}, refused ${connect.refused}, other failures ${connect.otherFailures}; controller: cap ${cap.controllerAgentsMax ?? '?'}, ${cap.controllerRefusals} refused`);
  if (hostIds.length === 0) throw new Error('no agent is connected after the connect phase: nothing to command');

  say(`issuing one signed command to each of ${hostIds.length} agents`);
  const loadAverage1m = Math.round(loadavg()[0] as number * 100) / 100;
  // Every replica's CPU counts as the controller's (replica 2 delivers to its agents too).
  const controllerPids = r.controllers.map((c) => c.child.pid as number);
  const cpuNow = (pool: AgentPool) => {
    const each = controllerPids.map((pid) => cpuSeconds(pid));
    const controllers = each.some((x) => x === undefined) ? undefined : each.reduce<number>((a, b) => a + (b as number), 0);
    return [controllers, ...pool.pids.map((pid) => cpuSeconds(pid))];
  };
  const cpuBefore = cpuNow(r.pool);
  const t0 = epochMs();
  const issued = await admin.call<{ items: { id: string; hostId: string }[] }>('POST', '/api/v1/commands', { hostIds, action: 'reboot', target: 'bench', params: { reason: 'bench', delaySec: 60 }, ttlSec: 3600 });
  const issueRequestMs = epochMs() - t0;
  say(`  POST answered after ${Math.round(issueRequestMs)} ms; waiting for the acknowledgements`);
  const timings = await r.pool.timings(180_000);
  // CPU the fan-out cost each side (the workers' is read after their last acknowledgement was confirmed).
  const cpuAfter = cpuNow(r.pool);
  const cpuUsed = cpuAfter.map((a, i) => (a === undefined || cpuBefore[i] === undefined ? undefined : a - (cpuBefore[i] as number)));
  const figures = fanoutFigures(timings, t0, hostIds.length);

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

  let storm: FanoutReport['storm'] = null;
  if (opts.controllers > 1) {
    const victim = r.controllers[1] as ControllerProcess;
    const onVictim = await r.pool.mark(wssUrls[1] as string);
    say(`reconnect storm: SIGKILL replica 2 (${onVictim} agents on it); waiting up to ${STORM_WAIT_MS / 1000} s for them on replica 1`);
    const pool = r.pool;
    const agentsCpu = () => pool.pids.map((pid) => cpuSeconds(pid)).reduce<number | undefined>((a, b) => (a === undefined || b === undefined ? undefined : a + b), 0);
    const cpu0 = cpuSeconds(controllerPid);
    const agents0 = agentsCpu();
    const killAt = epochMs();
    const gone = victim.stop('SIGKILL');
    const result = await pool.storm(killAt, STORM_WAIT_MS);
    const wallMs = epochMs() - killAt;
    const cpu1 = cpuSeconds(controllerPid);
    const agents1 = agentsCpu();
    await gone;
    storm = stormFigures(result, killAt, STORM_WAIT_MS, {
      seconds: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
      agentsSeconds: agents0 === undefined || agents1 === undefined ? undefined : agents1 - agents0,
      wallMs,
    });
    say(`  ${storm.back} of ${storm.agents} back on replica 1${storm.allBackSeconds === null ? '' : ` after ${storm.allBackSeconds} s`}`);
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
    handshakeCpuMs,
    controllerRssPerAgentKiB,
    openFilesLimit: limit === undefined ? null : limit === Number.POSITIVE_INFINITY ? 'unlimited' : limit,
    maxAgents: opts.maxAgents ?? null,
    agentsHeld: hostIds.length,
    agentsRefused: connect.refused,
    agentsOtherFailures: connect.otherFailures,
    otherFailures: connect.failures,
    ...cap,
    controllers: opts.controllers,
    sourceAddresses: sources,
    connectPerReplica: connect.perReplica.map((c, i) => {
      const ms = c.lastWelcomeAt - c.firstStartAt;
      return { replica: i + 1, connected: c.connected, seconds: seconds(ms), perSecond: ms > 0 ? Math.round(c.connected / (ms / 1000)) : 0 };
    }),
    commandPerReplica: opts.controllers > 1 ? commandPerReplica(timings, t0, opts.controllers) : [],
    storm,
    issueRequestMs: Math.round(issueRequestMs),
    ...figures,
    controllerCheck: { sampled: picked.length, acknowledged, issuedAtToAckMs: latencySummary(perCommand) },
    fanoutCpuSeconds: cpuSplit(cpuUsed),
    commandCpuMs: commandCpuMs(cpuUsed[0] ?? null, hostIds.length),
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
  const resources: Resources = { clients: [], controllers: [] };
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
    const stormOk = report.storm === null || (report.storm.failed === 0 && report.storm.agents > 0 && report.storm.othersLost === 0 && report.storm.endedBeforeKill === 0);
    // Refusals are what --max-agents measures, not a failure; any other failure to connect is.
    const connectOk = report.agentsOtherFailures === 0;
    const ok = report.recorded === report.agentsHeld && report.controllerCheck.acknowledged === report.controllerCheck.sampled && stormOk && connectOk;
    if (!ok) say(!connectOk ? 'agents failed to connect other than by a refusal: see "agents held by the process"' : stormOk ? 'not every agent had its acknowledgement stored: see "problems"' : 'the storm went wrong (agents not back, or sessions lost that should not have been): see "storm"');
    return ok ? 0 : 1;
  } catch (err) {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    for (const [i, c] of resources.controllers.entries()) {
      const out = c.output();
      if (out) say(`controller ${i + 1} output (last 3000 characters):\n${out.slice(-3000)}`);
    }
    return 1;
  } finally {
    if (!interrupted) await cleanup(resources);
  }
}

process.exitCode = await main();
