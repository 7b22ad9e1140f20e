/**
 * A group of simulated agents in one process: connects them with a bound on
 * handshakes in flight and collects their timings once every one of them
 * has had its acknowledgement recorded (or the wait runs out).
 */
import { nodeEd25519, PinnedAgent } from '@patchfleet/shared';
import type { SimIdentity } from './enroll';
import { mapLimited } from './limit';
import { Errors } from '@patchfleet/shared/errors';
import { ConnectFailure, SimAgent, type AgentTiming, type SimLink } from './sim-agent';
import { epochMs } from './stats';

/** How the connect phase went in one process (epoch ms). */
export interface ConnectStats {
  connected: number;
  firstStartAt: number;
  lastWelcomeAt: number;
  /** The same per controller replica (index as in FleetTarget.wssUrls); a replica no agent started on has connected 0. */
  perReplica: { connected: number; firstStartAt: number; lastWelcomeAt: number }[];
  /** With `oneTry`: agents refused with PF_ERR_CONTROLLER_FULL, and those that failed otherwise (the first few reasons). */
  refused: number;
  otherFailures: number;
  failures: string[];
}

/** How many failure reasons a connect phase keeps. */
const FAILURES_KEPT = 5;

/** What a fleet needs to reach the controllers. */
export interface FleetTarget {
  /** One URL per replica, all pinned to the same certificate and command key. Agent i starts on replica i mod n. */
  wssUrls: string[];
  fingerprint: string;
  commandKey: string;
  /** Loopback source addresses to bind, spread over the agents (none: the system's choice). */
  sourceAddresses: string[];
}

/** Agents of one process whose session was on the replica about to be killed. */
export interface StormAgent {
  agentId: string;
  /** The session on the killed replica ended (epoch ms). */
  lostAt?: number;
  /** Authenticated again, on another replica, after the kill (epoch ms). */
  backAt?: number;
  /** Connection attempts from the kill until back (or until the wait ran out). */
  attempts: number;
}

export interface StormResult {
  agents: StormAgent[];
  /** Agents that were on other replicas and lost their session after the kill (should be 0). */
  othersLost: number;
  /** Sessions (of any agent) that ended before the kill: the agent failed over by itself, unasked (should be 0). */
  endedBeforeKill: number;
}

/** Agents per loopback source address (about 28,000 ephemeral ports each; the rest is headroom for sockets in TIME_WAIT). */
const AGENTS_PER_SOURCE_ADDRESS = 10_000;

/** 127.0.0.2 ... : enough source addresses that no one of them runs out of ephemeral ports. */
export function sourceAddresses(agents: number): string[] {
  const count = Math.max(2, Math.ceil(agents / AGENTS_PER_SOURCE_ADDRESS));
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
}

/** Turns "too many open files" into advice; other errors pass through. */
export function explainSocketError(err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EMFILE' || e?.code === 'ENFILE') {
    return new Error(`out of file descriptors (${e.code}) while opening agent sockets: raise the limit (ulimit -n) above the agent count plus a few hundred, for this shell and the controller, then run again`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

export class Fleet {
  private readonly agents: SimAgent[];
  private readonly tls: PinnedAgent;
  private unsettled: number;
  private allSettled: () => void = () => undefined;
  private readonly settled: Promise<void>;

  constructor(
    identities: readonly SimIdentity[],
    private readonly target: FleetTarget,
  ) {
    // One pinned agent for every upgrade request; sockets leave it once upgraded.
    this.tls = new PinnedAgent(target.fingerprint);
    this.unsettled = identities.length;
    this.settled = new Promise<void>((resolve) => (this.allSettled = resolve));
    if (this.unsettled === 0) this.allSettled();
    const replicaOf = new Map(target.wssUrls.map((u, i) => [u, i]));
    const n = target.wssUrls.length;
    this.agents = identities.map((id, i) => {
      // Load the key before the connect phase, as a real agent loads its identity once at start: node:crypto
      // caches the imported key (0.36 ms of CPU a key), so the handshakes measured are the handshakes alone.
      nodeEd25519.sign(new Uint8Array(0), id.secretKey);
      // Start on replica i mod n, the others after it in order (each agent's own failover list).
      const home = i % n;
      const link: SimLink = {
        urls: [...target.wssUrls.slice(home), ...target.wssUrls.slice(0, home)],
        replicaOf,
        localAddress: target.sourceAddresses.length ? target.sourceAddresses[Math.floor(i / n) % target.sourceAddresses.length] : undefined,
      };
      const a = new SimAgent(id, target.commandKey, link, this.tls);
      a.whenSettled(() => {
        this.unsettled -= 1;
        if (this.unsettled === 0) this.allSettled();
      });
      return a;
    });
    this.commanded = this.agents;
  }

  /**
   * Connects every agent with at most `concurrency` handshakes in flight. By default the first failure
   * stops the phase and rejects; with `oneTry` each agent tries once and a failure is counted instead
   * (a refusal with PF_ERR_CONTROLLER_FULL apart from the rest), never retried.
   */
  async connect(concurrency: number, progress: (n: number) => void = () => undefined, oneTry = false): Promise<ConnectStats> {
    const firstStartAt = epochMs();
    let connected = 0;
    let refused = 0;
    let otherFailures = 0;
    const failures: string[] = [];
    const n = this.target.wssUrls.length;
    const perReplica = this.target.wssUrls.map(() => ({ connected: 0, firstStartAt: 0, lastWelcomeAt: 0 }));
    const step = Math.max(1, Math.floor(this.agents.length / 10));
    try {
      await mapLimited(this.agents, concurrency, async (a, i) => {
        const r = perReplica[i % n] as ConnectStats['perReplica'][number];
        if (r.firstStartAt === 0) r.firstStartAt = epochMs();
        if (oneTry) {
          try {
            await a.connect();
          } catch (err) {
            if (err instanceof ConnectFailure && err.code === Errors.CONTROLLER_FULL.code) refused += 1;
            else {
              otherFailures += 1;
              if (failures.length < FAILURES_KEPT) failures.push(explainSocketError(err).message);
            }
            return;
          }
        } else await a.connect();
        r.connected += 1;
        r.lastWelcomeAt = epochMs();
        connected += 1;
        if (connected % step === 0) progress(connected);
      });
    } catch (err) {
      throw explainSocketError(err);
    }
    return { connected, firstStartAt, lastWelcomeAt: epochMs(), perReplica, refused, otherFailures, failures };
  }

  /** The agents the commands phase waits for: all, or after {@link keepHeld} the ones held then. */
  private commanded: readonly SimAgent[] = [];

  /**
   * After a connect phase with refusals: the ids of the agents whose session is open now. Only they
   * take part in the commands phase; the others are left out (settled, and not in the timings).
   */
  keepHeld(): string[] {
    const held = this.agents.filter((a) => a.session !== undefined);
    const heldSet = new Set(held);
    for (const a of this.agents) if (!heldSet.has(a)) a.leaveOut();
    this.commanded = held;
    return held.map((a) => a.timing.agentId);
  }

  /** Resolves with every commanded agent's timing when all are settled or after `timeoutMs` (the rest unsettled). */
  async timings(timeoutMs: number): Promise<AgentTiming[]> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return this.commanded.map((a) => a.timing);
  }

  private marked: { agent: SimAgent; attemptsBefore: number }[] = [];
  private killedUrl = '';

  /** Before a replica is killed: remembers the agents whose session is on `url`; returns how many. */
  mark(url: string): number {
    this.killedUrl = url;
    this.marked = this.agents.filter((a) => a.session?.url === url).map((agent) => ({ agent, attemptsBefore: agent.failoverAttempts }));
    return this.marked.length;
  }

  /**
   * After the kill at `killAt` (epoch ms): waits (polling every 50 ms, at most `timeoutMs`) until every
   * marked agent is authenticated again on another replica, then reports each one.
   */
  async storm(killAt: number, timeoutMs: number): Promise<StormResult> {
    const backAt = (a: SimAgent) => a.sessions.find((s) => s.welcomedAt >= killAt && s.url !== this.killedUrl)?.welcomedAt;
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline && this.marked.some(({ agent }) => backAt(agent) === undefined)) await new Promise((r) => setTimeout(r, 50));
    const markedSet = new Set(this.marked.map((m) => m.agent));
    return {
      agents: this.marked.map(({ agent, attemptsBefore }) => {
        const lost = agent.sessions.find((s) => s.url === this.killedUrl && s.welcomedAt < killAt);
        const back = backAt(agent);
        return { agentId: agent.timing.agentId, ...(lost?.endedAt !== undefined ? { lostAt: lost.endedAt } : {}), ...(back !== undefined ? { backAt: back } : {}), attempts: agent.failoverAttempts - attemptsBefore };
      }),
      othersLost: this.agents.filter((a) => !markedSet.has(a) && a.sessions.some((s) => s.endedAt !== undefined && s.endedAt >= killAt)).length,
      endedBeforeKill: this.agents.reduce((n, a) => n + a.sessions.filter((s) => s.endedAt !== undefined && s.endedAt < killAt).length, 0),
    };
  }

  close(): void {
    for (const a of this.agents) a.close();
    this.tls.destroy();
  }
}
