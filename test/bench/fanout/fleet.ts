/**
 * A group of simulated agents in one process: connects them with a bound on
 * handshakes in flight and collects their timings once every one of them
 * has had its acknowledgement recorded (or the wait runs out).
 */
import { PinnedAgent } from '@patchfleet/shared';
import type { SimIdentity } from './enroll';
import { mapLimited } from './limit';
import { SimAgent, type AgentTiming } from './sim-agent';
import { epochMs } from './stats';

/** How the connect phase went in one process (epoch ms). */
export interface ConnectStats {
  connected: number;
  firstStartAt: number;
  lastWelcomeAt: number;
}

/** What a fleet needs to reach the controller. */
export interface FleetTarget {
  wssUrl: string;
  fingerprint: string;
  commandKey: string;
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
    this.agents = identities.map((id) => {
      const a = new SimAgent(id, target.commandKey);
      a.whenSettled(() => {
        this.unsettled -= 1;
        if (this.unsettled === 0) this.allSettled();
      });
      return a;
    });
  }

  async connect(concurrency: number, progress: (n: number) => void = () => undefined): Promise<ConnectStats> {
    const firstStartAt = epochMs();
    let connected = 0;
    const step = Math.max(1, Math.floor(this.agents.length / 10));
    try {
      await mapLimited(this.agents, concurrency, async (a) => {
        await a.connect(this.target.wssUrl, this.tls);
        connected += 1;
        if (connected % step === 0) progress(connected);
      });
    } catch (err) {
      throw explainSocketError(err);
    }
    return { connected, firstStartAt, lastWelcomeAt: epochMs() };
  }

  /** Resolves with every agent's timing when all are settled or after `timeoutMs` (the rest unsettled). */
  async timings(timeoutMs: number): Promise<AgentTiming[]> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return this.agents.map((a) => a.timing);
  }

  close(): void {
    for (const a of this.agents) a.close();
    this.tls.destroy();
  }
}
