/**
 * The Prometheus metrics of one controller process, on a registry of its
 * own (several controllers in one test process never share series). Counters
 * are fed through the ports of `./ports.ts`; gauges are read when scraped:
 * connected agents from the session registry, commands and rollouts by state
 * from the database, the database pool from its driver. Node's default
 * metrics (event-loop lag, heap, GC, CPU, open files) come from prom-client.
 * Names are listed in the README ("Metrics").
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { PoolStats } from '../db/pool-stats';
import type { Logger } from '../logger';
import type { AgentLinkMetrics, GateMetrics, HandshakeOutcome } from './ports';

/** Where the scrape-time gauges read from (wired in server.ts). */
export interface MetricsSources {
  /** Agents authenticated on this process now. */
  connectedAgents(): number;
  /** Agent sessions this process may hold (its cap; net/connection-guard.ts). */
  maxAgents(): number;
  /** Commands in the database by state, every state present (zero when none). */
  commandsByState(): Promise<Record<string, number>>;
  /** Rollouts in the database by state, every state present. */
  rolloutsByState(): Promise<Record<string, number>>;
  /** The database connections of this process. */
  poolStats(): Promise<PoolStats>;
}

/** A scrape-time read that failed: its series are left out of this scrape, the failure counted and logged. */
type CollectSource = 'commands' | 'rollouts' | 'db_pool';

export class ControllerMetrics implements AgentLinkMetrics, GateMetrics {
  readonly registry = new Registry();
  private readonly handshakes: Counter<'outcome' | 'code'>;
  private readonly received: Counter<'type'>;
  private readonly sent: Counter<'type'>;
  private readonly gates: Counter<'kind' | 'outcome'>;
  private readonly collectErrors: Counter<'source'>;
  /** Children per frame type: a frame costs a map look-up, not a label hash. */
  private readonly receivedByType = new Map<string, { inc(): void }>();
  private readonly sentByType = new Map<string, { inc(): void }>();
  /** Scrape-time reads in progress. */
  private readonly reads = new Set<Promise<unknown>>();

  constructor(
    private readonly sources: MetricsSources,
    private readonly log: Logger,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.handshakes = new Counter({ name: 'patchfleet_agent_handshakes_total', help: 'Agent handshakes by how they ended (accepted, refused with a PF_ERR code, abandoned)', labelNames: ['outcome', 'code'], registers });
    this.received = new Counter({ name: 'patchfleet_agent_frames_received_total', help: 'Frames received from agents by protocol type (undecodable, rate-limited: not read)', labelNames: ['type'], registers });
    this.sent = new Counter({ name: 'patchfleet_agent_frames_sent_total', help: 'Frames written to agent sockets by protocol type', labelNames: ['type'], registers });
    this.gates = new Counter({ name: 'patchfleet_gate_evaluations_total', help: 'Health gate signals judged, by gate kind and outcome (passed, tripped)', labelNames: ['kind', 'outcome'], registers });
    new Gauge({
      name: 'patchfleet_agents_connected',
      help: 'Agents authenticated on this controller process',
      registers,
      collect() {
        this.set(sources.connectedAgents());
      },
    });
    new Gauge({
      name: 'patchfleet_agents_max',
      help: 'Agent sessions this controller process may hold (from its open-file limit or PATCHFLEET_MAX_AGENTS); past it agents are refused with PF_ERR_CONTROLLER_FULL',
      registers,
      collect() {
        this.set(sources.maxAgents());
      },
    });
    this.byState('patchfleet_commands', 'Commands in the database by state (the whole database: every replica reports the same)', 'commands', () => sources.commandsByState());
    this.byState('patchfleet_rollouts', 'Rollouts in the database by state (the whole database: every replica reports the same)', 'rollouts', () => sources.rolloutsByState());
    this.poolGauges();
    // Registered last: prom-client collects every metric at once, so it waits for this scrape's reads to count their failures.
    const reads = this.reads;
    this.collectErrors = new Counter({
      name: 'patchfleet_metrics_collect_errors_total',
      help: 'Scrape-time reads that failed (their series were left out of that scrape)',
      labelNames: ['source'],
      registers,
      async collect() {
        await Promise.allSettled([...reads]);
      },
    });
  }

  handshake(outcome: HandshakeOutcome, code?: string): void {
    this.handshakes.inc(code === undefined ? { outcome } : { outcome, code });
  }

  frameReceived(type: string): void {
    childOf(this.receivedByType, this.received, type).inc();
  }

  frameSent(type: string): void {
    childOf(this.sentByType, this.sent, type).inc();
  }

  gateEvaluated(kind: string, outcome: 'passed' | 'tripped'): void {
    this.gates.inc({ kind, outcome });
  }

  /** The exposition text and its content type, for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private byState(name: string, help: string, source: CollectSource, read: () => Promise<Record<string, number>>): void {
    const failed = (err: unknown) => this.collectFailed(source, err);
    const track = <T>(p: Promise<T>) => this.track(p);
    new Gauge({
      name,
      help,
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const [state, n] of Object.entries(await track(read()))) this.set({ state }, n);
        } catch (err) {
          failed(err);
        }
      },
    });
  }

  private poolGauges(): void {
    const registers = [this.registry];
    const sources = this.sources;
    const failed = (err: unknown) => this.collectFailed('db_pool', err);
    // prom-client collects every metric of a scrape at once: the three gauges share one read, started by the first.
    let pending: Promise<PoolStats | undefined> | undefined;
    const read = (): Promise<PoolStats | undefined> =>
      (pending ??= this.track(
        sources
          .poolStats()
          .catch((err: unknown) => {
            failed(err);
            return undefined;
          })
          .finally(() => {
            pending = undefined;
          }),
      ));
    new Gauge({
      name: 'patchfleet_db_pool_max_connections',
      help: 'Configured most database connections (PGlite: 1, one in-process connection)',
      labelNames: ['driver'],
      registers,
      async collect() {
        this.reset();
        const stats = await read();
        if (stats) this.set({ driver: stats.driver }, stats.max);
      },
    });
    new Gauge({
      name: 'patchfleet_db_pool_connections',
      help: "Open database connections by state (PostgreSQL: this process's rows of pg_stat_activity, with the scrape's own query and the LISTEN connection; PGlite: active while a statement or transaction runs)",
      labelNames: ['driver', 'state'],
      registers,
      async collect() {
        this.reset();
        const stats = await read();
        for (const [state, n] of Object.entries(stats?.connections ?? {})) this.set({ driver: stats?.driver ?? '', state }, n);
      },
    });
    new Gauge({
      name: 'patchfleet_db_pool_waiting',
      help: 'Statements or transactions queued for the connection (PGlite only; postgres.js does not expose its queue)',
      labelNames: ['driver'],
      registers,
      async collect() {
        this.reset();
        const stats = await read();
        if (stats?.waiting !== undefined) this.set({ driver: stats.driver }, stats.waiting);
      },
    });
  }

  /** Holds `p` among this scrape's reads until it settles. */
  private track<T>(p: Promise<T>): Promise<T> {
    this.reads.add(p);
    const done = () => this.reads.delete(p);
    p.then(done, done);
    return p;
  }

  private collectFailed(source: CollectSource, err: unknown): void {
    this.collectErrors.inc({ source });
    this.log.warn({ err, source }, 'metrics: a scrape-time read failed; its series are left out of this scrape');
  }
}

function childOf(cache: Map<string, { inc(): void }>, counter: Counter<'type'>, type: string): { inc(): void } {
  let child = cache.get(type);
  if (!child) {
    child = counter.labels({ type });
    cache.set(type, child);
  }
  return child;
}
