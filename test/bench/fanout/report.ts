/** The result of one run: built from the raw timings, printed as JSON or as a table. */
import { parsePrometheus, sampleValue } from '../../support/prometheus';
import type { StormResult } from './fleet';
import type { AgentTiming } from './sim-agent';
import { latencySummary } from './stats';

export interface FanoutReport {
  agents: number;
  database: 'pglite' | 'postgres';
  workers: number;
  concurrency: number;
  enroll: { seconds: number; perSecond: number };
  /** Wall clock from the first connect to the last welcome. */
  connect: { connected: number; seconds: number; perSecond: number };
  /**
   * Controller CPU per handshake: the controllers' CPU (utime + stime, summed over replicas) from just before
   * the first connect until the connect phase settled (last welcome + 2 s for what the welcomes set off), over
   * the agents connected; null where /proc is missing.
   */
  handshakeCpuMs: number | null;
  /** Controller RSS after every agent connected (and settled) minus RSS just before connecting, over the agents connected (replica 1). */
  controllerRssPerAgentKiB: number | null;
  /** The open-files soft limit of the bench, which the controller inherits (null where /proc is missing). */
  openFilesLimit: number | 'unlimited' | null;
  /** --max-agents: the PATCHFLEET_MAX_AGENTS the controller got (null: its own cap, from the open-file limit). */
  maxAgents: number | null;
  /** Agents welcomed and still connected after the connect phase (the commands phase goes to these). */
  agentsHeld: number;
  /** Agents answered with PF_ERR_CONTROLLER_FULL in the connect phase (each tried once). */
  agentsRefused: number;
  /** Agents that failed to connect otherwise (only counted with --max-agents; without it a failure stops the run), and the first reasons. */
  agentsOtherFailures: number;
  otherFailures: string[];
  /** Replica 1's /metrics after the connect phase: `patchfleet_agents_max`, `patchfleet_agents_connected`, and its refusals counted in `patchfleet_agent_handshakes_total{code="PF_ERR_CONTROLLER_FULL"}`. */
  controllerAgentsMax: number | null;
  controllerAgentsConnected: number | null;
  controllerRefusals: number;
  /** Controller replicas (2: on one PostgreSQL database, agents spread over both). */
  controllers: number;
  /** Loopback source addresses the agents bound (empty: the system's choice). */
  sourceAddresses: string[];
  /** The connect phase per replica (replica 1 first). */
  connectPerReplica: { replica: number; connected: number; seconds: number; perSecond: number }[];
  /** With two replicas: the command figures of the agents on each (all issued through replica 1). */
  commandPerReplica: { replica: number; agents: number; issueToAckMs: Latency; issueToRecordedMs: Latency }[];
  /** With two replicas: replica 2 SIGKILLed, its agents failing over to replica 1. */
  storm: StormFigures | null;
  /** How long POST /api/v1/commands took to answer (creates, signs, audits N commands). */
  issueRequestMs: number;
  /** From just before the POST to the command frame arriving at the agent. */
  issueToReceiveMs: Latency;
  /** From just before the POST to the agent having verified it and written its `acknowledged` status. */
  issueToAckMs: Latency;
  /** From just before the POST to the controller having stored the acknowledgement (probe answered). */
  issueToRecordedMs: Latency;
  /** Per command: from its own issuedAt to the agent's acknowledgement / to the controller having stored it. */
  commandIssuedToAckMs: Latency;
  commandIssuedToRecordedMs: Latency;
  acknowledged: number;
  recorded: number;
  /** N / seconds from the POST to the last acknowledgement sent. */
  commandsPerSecond: number;
  /** N / seconds from the POST to the last acknowledgement stored by the controller. */
  recordedPerSecond: number;
  /** Hosts whose command the controller reports as acknowledged, read back through GET /api/v1/hosts/:id/commands. */
  /** A sample of the controller's rows; `issuedAtToAckMs` from each command's own issuedAt to its acknowledgement. */
  controllerCheck: { sampled: number; acknowledged: number; issuedAtToAckMs: Latency };
  problems: { count: number; first: string[] };
  /** CPU seconds used from just before the POST until every acknowledgement was confirmed (null where /proc is missing); `controller` sums the replicas. */
  fanoutCpuSeconds: { controller: number | null; agents: number | null };
  /** Controller CPU per command: `fanoutCpuSeconds.controller` over the agents commanded, in ms (null where /proc is missing). */
  commandCpuMs: number | null;
  controllerPeakRssMiB: number | null;
  benchPeakRssMiB: number | null;
  workerPeakRssMiB: (number | null)[];
  node: string;
  cpus: number;
  /** 1-minute load average when the fan-out started: other work on the machine skews the figures. */
  loadAverage1m: number;
}

type Latency = { p50: number; p95: number; p99: number; max: number };

/** The reconnect storm after replica 2 was killed; every time is counted from the SIGKILL. */
export interface StormFigures {
  /** Agents whose session was on replica 2 when it was killed. */
  agents: number;
  /** Authenticated again on replica 1 within the wait. */
  back: number;
  failed: number;
  /** From the kill to the last agent back (null when not all came back). */
  allBackSeconds: number | null;
  /** Agents back per second: overall (back / seconds to the last one back) and the busiest 1 s bucket after the kill. */
  perSecond: number;
  peakPerSecond: number;
  /** Agents back in each second after the kill (index 0: the first second), up to the last one back. */
  backEachSecond: number[];
  /** Per agent: from the kill to noticing the session was gone, and to being authenticated on replica 1. */
  lostMs: Latency;
  backMs: Latency;
  /** Connection attempts the agents made from the kill until back, and how many agents needed more than one. */
  attempts: number;
  agentsRetried: number;
  /** Agents of replica 1 that lost their session during the storm (should be 0). */
  othersLost: number;
  /** Sessions that ended before the kill, on either replica (should be 0). */
  endedBeforeKill: number;
  /** CPU replica 1 used from the kill until every agent was back (or the wait ended), and that over the wall time. */
  controller1CpuSeconds: number | null;
  controller1CpuPercent: number | null;
  /** CPU the processes holding the agents used over the same time (their TLS handshakes and signatures). */
  agentsCpuSeconds: number | null;
  /** How long the bench waited at most. */
  waitSeconds: number;
  failedAgents: string[];
}

/** The storm's figures from the agents' reports; `cpuSeconds` is replica 1's CPU over `wallMs` from the kill. */
export function stormFigures(result: StormResult, killAt: number, waitMs: number, cpu: { seconds: number | undefined; agentsSeconds?: number | undefined; wallMs: number }): StormFigures {
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const back = result.agents.flatMap((a) => (a.backAt === undefined ? [] : [a.backAt - killAt]));
  const lost = result.agents.flatMap((a) => (a.lostAt === undefined ? [] : [a.lostAt - killAt]));
  const buckets = new Map<number, number>();
  for (const ms of back) {
    const b = Math.max(0, Math.floor(ms / 1000));
    buckets.set(b, (buckets.get(b) ?? 0) + 1);
  }
  const last = back.length ? Math.max(...back) : 0;
  const failed = result.agents.filter((a) => a.backAt === undefined);
  return {
    agents: result.agents.length,
    back: back.length,
    failed: failed.length,
    allBackSeconds: failed.length === 0 && back.length > 0 ? r2(last / 1000) : null,
    perSecond: last > 0 ? Math.round(back.length / (last / 1000)) : 0,
    peakPerSecond: Math.max(0, ...buckets.values()),
    backEachSecond: Array.from({ length: back.length ? Math.floor(last / 1000) + 1 : 0 }, (_, i) => buckets.get(i) ?? 0),
    lostMs: latencySummary(lost),
    backMs: latencySummary(back),
    attempts: result.agents.reduce((a, x) => a + x.attempts, 0),
    agentsRetried: result.agents.filter((a) => a.attempts > 1).length,
    othersLost: result.othersLost,
    endedBeforeKill: result.endedBeforeKill,
    controller1CpuSeconds: cpu.seconds === undefined ? null : r2(cpu.seconds),
    controller1CpuPercent: cpu.seconds === undefined || cpu.wallMs <= 0 ? null : Math.round((cpu.seconds / (cpu.wallMs / 1000)) * 100),
    agentsCpuSeconds: cpu.agentsSeconds === undefined ? null : r2(cpu.agentsSeconds),
    waitSeconds: r2(waitMs / 1000),
    failedAgents: failed.slice(0, 5).map((a) => `${a.agentId}: ${a.lostAt === undefined ? 'never saw its session end' : 'not back'} after ${a.attempts} attempts`),
  };
}

/** The command figures of the agents whose command came through each replica. */
export function commandPerReplica(timings: readonly AgentTiming[], t0: number, replicas: number): FanoutReport['commandPerReplica'] {
  return Array.from({ length: replicas }, (_, r) => {
    const mine = timings.filter((t) => t.replica === r);
    const since = (pick: (t: AgentTiming) => number | undefined) => mine.map(pick).filter((x): x is number => x !== undefined).map((x) => x - t0);
    return { replica: r + 1, agents: mine.length, issueToAckMs: latencySummary(since((t) => t.ackSentAt)), issueToRecordedMs: latencySummary(since((t) => t.recordedAt)) };
  });
}

/** Latencies and rates of the fan-out from the agents' timings and the issue time `t0` (epoch ms). */
export function fanoutFigures(timings: readonly AgentTiming[], t0: number, count: number) {
  const since = (pick: (t: AgentTiming) => number | undefined) => timings.map(pick).filter((x): x is number => x !== undefined).map((x) => x - t0);
  const receive = since((t) => t.receivedAt);
  const ack = since((t) => t.ackSentAt);
  const recorded = since((t) => t.recordedAt);
  const rate = (xs: number[]) => (xs.length === count && count > 0 ? Math.round(count / (Math.max(...xs) / 1000)) : 0);
  // Per command, from its own signed issuedAt (commands are issued in chunks, each with its own time).
  const fromIssued = (pick: (t: AgentTiming) => number | undefined) =>
    timings.flatMap((t) => {
      const at = pick(t);
      return at !== undefined && t.issuedAt !== undefined ? [at - t.issuedAt] : [];
    });
  const problems = timings.filter((t) => t.problem !== undefined || t.recordedAt === undefined).map((t) => `${t.agentId}: ${t.problem ?? (t.receivedAt === undefined ? 'no command arrived' : t.ackSentAt === undefined ? 'command received but not acknowledged' : 'acknowledgement not confirmed by the controller')}`);
  return {
    issueToReceiveMs: latencySummary(receive),
    issueToAckMs: latencySummary(ack),
    issueToRecordedMs: latencySummary(recorded),
    commandIssuedToAckMs: latencySummary(fromIssued((t) => t.ackSentAt)),
    commandIssuedToRecordedMs: latencySummary(fromIssued((t) => t.recordedAt)),
    acknowledged: ack.length,
    recorded: recorded.length,
    commandsPerSecond: rate(ack),
    recordedPerSecond: rate(recorded),
    problems: { count: problems.length, first: problems.slice(0, 5) },
  };
}

/** The controller's cap figures from its /metrics text (Prometheus exposition); a counter never incremented counts 0. */
export function capFigures(metricsText: string): Pick<FanoutReport, 'controllerAgentsMax' | 'controllerAgentsConnected' | 'controllerRefusals'> {
  const samples = parsePrometheus(metricsText);
  return {
    controllerAgentsMax: sampleValue(samples, 'patchfleet_agents_max') ?? null,
    controllerAgentsConnected: sampleValue(samples, 'patchfleet_agents_connected') ?? null,
    controllerRefusals: sampleValue(samples, 'patchfleet_agent_handshakes_total', { outcome: 'refused', code: 'PF_ERR_CONTROLLER_FULL' }) ?? 0,
  };
}

/** Controller CPU (seconds, before and after the connect phase) per agent connected, in ms; null when unknown. */
export function perAgentCpuMs(before: number | undefined, after: number | undefined, agents: number): number | null {
  if (before === undefined || after === undefined || agents <= 0) return null;
  return Math.round(((after - before) * 1000 * 1000) / agents) / 1000;
}

/** Controller RSS growth (bytes) per agent connected, in KiB; null when unknown. */
export function perAgentRssKiB(before: number | undefined, after: number | undefined, agents: number): number | null {
  if (before === undefined || after === undefined || agents <= 0) return null;
  return Math.round(((after - before) / 1024 / agents) * 10) / 10;
}

/** Splits per-process CPU seconds (controller first, then the agents' processes) into the report's two figures. */
export function cpuSplit(used: readonly (number | undefined)[]): FanoutReport['fanoutCpuSeconds'] {
  const r = (x: number) => Math.round(x * 100) / 100;
  const [controller, ...agents] = used;
  return {
    controller: controller === undefined ? null : r(controller),
    agents: agents.length === 0 || agents.some((a) => a === undefined) ? null : r(agents.reduce<number>((a, b) => a + (b as number), 0)),
  };
}

/** Controller CPU milliseconds per command, from the fan-out's controller CPU seconds and the commands issued. */
export function commandCpuMs(controllerSeconds: number | null, commands: number): number | null {
  return controllerSeconds === null || commands <= 0 ? null : Math.round((controllerSeconds * 1000 * 1000) / commands) / 1000;
}

/** A readable two-column table. */
export function formatTable(r: FanoutReport): string {
  const lat = (l: Latency) => `p50 ${l.p50} ms   p95 ${l.p95} ms   p99 ${l.p99} ms   max ${l.max} ms`;
  const two = r.controllers > 1;
  const perReplica: [string, string][] = two
    ? [
        ['controllers', `${r.controllers} replicas on one PostgreSQL database; agents bind ${r.sourceAddresses.join(', ')}`],
        ...r.connectPerReplica.map((c): [string, string] => [`  connect on replica ${c.replica}`, `${c.connected} in ${c.seconds} s (${c.perSecond}/s)`]),
      ]
    : [];
  const commandRows: [string, string][] = two
    ? r.commandPerReplica.flatMap((c): [string, string][] => [
        [`  agents on replica ${c.replica}: ack sent`, `${lat(c.issueToAckMs)} (${c.agents} agents)`],
        [`  agents on replica ${c.replica}: ack stored`, lat(c.issueToRecordedMs)],
      ])
    : [];
  const s = r.storm;
  const storm: [string, string][] = s
    ? [
        ['storm: replica 2 SIGKILLed', `${s.agents} agents on it; ${s.back} back on replica 1, ${s.failed} failed (waited up to ${s.waitSeconds} s)`],
        ['  all back after', s.allBackSeconds === null ? 'not all came back' : `${s.allBackSeconds} s`],
        ['  agents back per second', `${s.perSecond} overall, peak ${s.peakPerSecond} in one 1 s bucket`],
        ['  back in each second', s.backEachSecond.join(' ')],
        ['  kill -> session lost', lat(s.lostMs)],
        ['  kill -> back on replica 1', lat(s.backMs)],
        ['  connection attempts', `${s.attempts} (${s.agentsRetried} agents needed more than one)`],
        ['  replica 1 agents disturbed', `${s.othersLost} (sessions lost before the kill: ${s.endedBeforeKill})`],
        ['  replica 1 CPU in the storm', s.controller1CpuSeconds === null ? '?' : `${s.controller1CpuSeconds} s (${s.controller1CpuPercent}% of one core); agents ${s.agentsCpuSeconds ?? '?'} s`],
        ...(s.failedAgents.length ? [['  failed', s.failedAgents.join('; ')] as [string, string]] : []),
      ]
    : [];
  const rows: [string, string][] = [
    ['agents', `${r.agents} (${r.database}, ${r.workers === 0 ? 'in the bench process' : `${r.workers} worker processes`}, concurrency ${r.concurrency})`],
    ['enroll', `${r.enroll.seconds} s (${r.enroll.perSecond}/s)`],
    ['connect + authenticate', `${r.connect.connected} in ${r.connect.seconds} s (${r.connect.perSecond}/s)`],
    ['agents held by the process', `${r.agentsHeld} held, ${r.agentsRefused} refused (PF_ERR_CONTROLLER_FULL), ${r.agentsOtherFailures} other failures${r.otherFailures.length ? `: ${r.otherFailures.join('; ')}` : ''}`],
    ['controller cap', `${r.controllerAgentsMax ?? '?'} (patchfleet_agents_max; ${r.maxAgents === null ? 'its own, from the open-file limit' : `PATCHFLEET_MAX_AGENTS=${r.maxAgents}`}); open-files limit ${r.openFilesLimit ?? '?'}`],
    ...(r.controllerAgentsMax !== null && r.agentsHeld > r.controllerAgentsMax ? [['  held past the cap', `${r.agentsHeld - r.controllerAgentsMax} (handshakes in flight when the cap was reached may finish)`] as [string, string]] : []),
    ['controller counts', `${r.controllerAgentsConnected ?? '?'} connected (patchfleet_agents_connected), ${r.controllerRefusals} refused (patchfleet_agent_handshakes_total{code="PF_ERR_CONTROLLER_FULL"})`],
    ['controller CPU per handshake', r.handshakeCpuMs === null ? '?' : `${r.handshakeCpuMs} ms (handshakeCpuMs)`],
    ['controller RSS per agent', r.controllerRssPerAgentKiB === null ? '?' : `${r.controllerRssPerAgentKiB} KiB (controllerRssPerAgentKiB)`],
    ...perReplica,
    ['command issuedAt -> ack sent', lat(r.commandIssuedToAckMs)],
    ['command issuedAt -> ack stored', lat(r.commandIssuedToRecordedMs)],
    ['POST /api/v1/commands', `${r.issueRequestMs} ms (one request orders all ${r.agentsHeld}${r.agentsHeld === r.agents ? '' : ' held'})`],
    ['POST -> command received', lat(r.issueToReceiveMs)],
    ['POST -> ack sent', lat(r.issueToAckMs)],
    ['POST -> ack stored', lat(r.issueToRecordedMs)],
    ...commandRows,
    ['acknowledged / stored', `${r.acknowledged} / ${r.recorded} of ${r.agentsHeld}`],
    ['commands per second', `${r.commandsPerSecond} (acks sent), ${r.recordedPerSecond} (acks stored)`],
    ['controller check', `${r.controllerCheck.acknowledged} of ${r.controllerCheck.sampled} sampled hosts acknowledged`],
    ['issuedAt -> ack (sample)', lat(r.controllerCheck.issuedAtToAckMs)],
    ...storm,
    ['problems', r.problems.count === 0 ? 'none' : `${r.problems.count}: ${r.problems.first.join('; ')}`],
    ['CPU during the fan-out', `controller${two ? 's' : ''} ${r.fanoutCpuSeconds.controller ?? '?'} s, agents ${r.fanoutCpuSeconds.agents ?? '?'} s${r.workers === 0 ? ' (the bench process)' : ''}`],
    ['controller CPU per command', r.commandCpuMs === null ? '?' : `${r.commandCpuMs} ms`],
    ['controller peak RSS', `${r.controllerPeakRssMiB ?? '?'} MiB`],
    ['bench peak RSS', `${r.benchPeakRssMiB ?? '?'} MiB${r.workerPeakRssMiB.length ? ` (+ workers ${r.workerPeakRssMiB.map((m) => `${m ?? '?'} MiB`).join(', ')})` : ''}`],
    ['node / cpus / load', `${r.node} / ${r.cpus} / ${r.loadAverage1m}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
