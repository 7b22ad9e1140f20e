/** The result of one run: built from the raw timings, printed as JSON or as a table. */
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
  /** CPU seconds used from just before the POST until every acknowledgement was confirmed (null where /proc is missing). */
  fanoutCpuSeconds: { controller: number | null; agents: number | null };
  controllerPeakRssMiB: number | null;
  benchPeakRssMiB: number | null;
  workerPeakRssMiB: (number | null)[];
  node: string;
  cpus: number;
  /** 1-minute load average when the fan-out started: other work on the machine skews the figures. */
  loadAverage1m: number;
}

type Latency = { p50: number; p95: number; max: number };

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

/** Splits per-process CPU seconds (controller first, then the agents' processes) into the report's two figures. */
export function cpuSplit(used: readonly (number | undefined)[]): FanoutReport['fanoutCpuSeconds'] {
  const r = (x: number) => Math.round(x * 100) / 100;
  const [controller, ...agents] = used;
  return {
    controller: controller === undefined ? null : r(controller),
    agents: agents.length === 0 || agents.some((a) => a === undefined) ? null : r(agents.reduce<number>((a, b) => a + (b as number), 0)),
  };
}

/** A readable two-column table. */
export function formatTable(r: FanoutReport): string {
  const lat = (l: Latency) => `p50 ${l.p50} ms   p95 ${l.p95} ms   max ${l.max} ms`;
  const rows: [string, string][] = [
    ['agents', `${r.agents} (${r.database}, ${r.workers === 0 ? 'in the bench process' : `${r.workers} worker processes`}, concurrency ${r.concurrency})`],
    ['enroll', `${r.enroll.seconds} s (${r.enroll.perSecond}/s)`],
    ['connect + authenticate', `${r.connect.connected} in ${r.connect.seconds} s (${r.connect.perSecond}/s)`],
    ['command issuedAt -> ack sent', lat(r.commandIssuedToAckMs)],
    ['command issuedAt -> ack stored', lat(r.commandIssuedToRecordedMs)],
    ['POST /api/v1/commands', `${r.issueRequestMs} ms (one request orders all ${r.agents})`],
    ['POST -> command received', lat(r.issueToReceiveMs)],
    ['POST -> ack sent', lat(r.issueToAckMs)],
    ['POST -> ack stored', lat(r.issueToRecordedMs)],
    ['acknowledged / stored', `${r.acknowledged} / ${r.recorded} of ${r.agents}`],
    ['commands per second', `${r.commandsPerSecond} (acks sent), ${r.recordedPerSecond} (acks stored)`],
    ['controller check', `${r.controllerCheck.acknowledged} of ${r.controllerCheck.sampled} sampled hosts acknowledged`],
    ['issuedAt -> ack (sample)', lat(r.controllerCheck.issuedAtToAckMs)],
    ['problems', r.problems.count === 0 ? 'none' : `${r.problems.count}: ${r.problems.first.join('; ')}`],
    ['CPU during the fan-out', `controller ${r.fanoutCpuSeconds.controller ?? '?'} s, agents ${r.fanoutCpuSeconds.agents ?? '?'} s${r.workers === 0 ? ' (the bench process)' : ''}`],
    ['controller peak RSS', `${r.controllerPeakRssMiB ?? '?'} MiB`],
    ['bench peak RSS', `${r.benchPeakRssMiB ?? '?'} MiB${r.workerPeakRssMiB.length ? ` (+ workers ${r.workerPeakRssMiB.map((m) => `${m ?? '?'} MiB`).join(', ')})` : ''}`],
    ['node / cpus / load', `${r.node} / ${r.cpus} / ${r.loadAverage1m}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
