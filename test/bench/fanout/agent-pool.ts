/**
 * Where the simulated agents live: in the bench process itself
 * (`--workers 0`) or split over worker processes. Both look the same to
 * the bench: connect, collect timings, close.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimIdentity } from './enroll';
import { Fleet, type ConnectStats, type FleetTarget, type StormResult } from './fleet';
import type { FromWorker, ToWorker } from './ipc';
import type { AgentTiming } from './sim-agent';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface AgentPool {
  /** Connects every agent; `progress` gets the running total; `oneTry`: each tries once, failures counted (Fleet.connect). */
  connect(target: FleetTarget, concurrency: number, progress: (connected: number) => void, oneTry?: boolean): Promise<ConnectStats>;
  /** The agents whose session is open now; only they take part in the commands phase (Fleet.keepHeld). */
  keepHeld(): Promise<string[]>;
  timings(timeoutMs: number): Promise<AgentTiming[]>;
  /** Remembers the agents whose session is on `url` (about to be killed); resolves with how many. */
  mark(url: string): Promise<number>;
  /** After the kill: waits for the marked agents to be back elsewhere (at most `timeoutMs`). */
  storm(killAt: number, timeoutMs: number): Promise<StormResult>;
  /** Closes the sockets; returns the peak RSS of each worker process (none in-process). */
  close(): Promise<(number | undefined)[]>;
  /** Kills worker processes at once (failure path). */
  kill(): void;
  /** Processes holding the agents (the bench's own pid for the in-process pool). */
  readonly pids: number[];
}

/** Agents in the bench process. */
export function localPool(identities: readonly SimIdentity[]): AgentPool {
  let fleet: Fleet | undefined;
  return {
    async connect(target, concurrency, progress, oneTry = false) {
      fleet = new Fleet(identities, target);
      return fleet.connect(concurrency, progress, oneTry);
    },
    keepHeld: async () => (fleet ? fleet.keepHeld() : []),
    timings: async (timeoutMs) => (fleet ? fleet.timings(timeoutMs) : []),
    mark: async (url) => (fleet ? fleet.mark(url) : 0),
    storm: async (killAt, timeoutMs) => (fleet ? fleet.storm(killAt, timeoutMs) : { agents: [], othersLost: 0, endedBeforeKill: 0 }),
    async close() {
      fleet?.close();
      return [];
    },
    kill: () => fleet?.close(),
    pids: [process.pid],
  };
}

/** One worker process and a way to wait for its next message of a kind. */
class Worker {
  readonly child: ChildProcess;
  private readonly waiters = new Map<FromWorker['type'], (m: FromWorker) => void>();
  private failure: Error | undefined;
  private readonly onFail = new Set<(err: Error) => void>();

  constructor(onProgress: (connected: number) => void, cpuProfDir?: string) {
    // The same loader as the bench (tsx), so the worker runs from source too.
    const execArgv = ['--import', 'tsx', ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [])];
    this.child = fork(WORKER, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    this.child.on('message', (m: FromWorker) => {
      if (m.type === 'progress') return onProgress(m.connected);
      if (m.type === 'failed') return this.fail(new Error(m.message));
      const w = this.waiters.get(m.type);
      this.waiters.delete(m.type);
      w?.(m);
    });
    this.child.on('exit', (code, signal) => {
      if (this.waiters.size > 0) this.fail(new Error(`agent worker ${this.child.pid} exited (${code ?? signal}) while the bench waited for it`));
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const f of this.onFail) f(err);
  }

  request<T extends FromWorker['type']>(msg: ToWorker, reply: T): Promise<Extract<FromWorker, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const onFail = (err: Error) => {
        this.onFail.delete(onFail);
        reject(err);
      };
      this.onFail.add(onFail);
      this.waiters.set(reply, (m) => {
        this.onFail.delete(onFail);
        resolve(m as Extract<FromWorker, { type: T }>);
      });
      this.child.send(msg);
    });
  }
}

/** Agents split evenly over `count` worker processes. */
export function workerPool(identities: readonly SimIdentity[], count: number, cpuProfDir?: string): AgentPool {
  const perWorker = new Map<Worker, number>();
  const workers = Array.from({ length: count }, () => {
    const w: Worker = new Worker((n) => {
      perWorker.set(w, n);
      progressTotal?.([...perWorker.values()].reduce((a, b) => a + b, 0));
    }, cpuProfDir);
    return w;
  });
  let progressTotal: ((n: number) => void) | undefined;
  const shares = workers.map((_, i) => identities.filter((_, j) => j % count === i));
  return {
    async connect(target, concurrency, progress, oneTry = false) {
      progressTotal = progress;
      const lanes = Math.max(1, Math.ceil(concurrency / count));
      const all = await Promise.all(workers.map((w, i) => w.request({ type: 'connect', target, identities: shares[i] as SimIdentity[], concurrency: lanes, oneTry }, 'connected')));
      const perReplica = target.wssUrls.map((_, r) => {
        const parts = all.map((m) => m.stats.perReplica[r]).filter((p) => p !== undefined && p.connected > 0) as ConnectStats['perReplica'];
        return parts.length === 0
          ? { connected: 0, firstStartAt: 0, lastWelcomeAt: 0 }
          : { connected: parts.reduce((a, p) => a + p.connected, 0), firstStartAt: Math.min(...parts.map((p) => p.firstStartAt)), lastWelcomeAt: Math.max(...parts.map((p) => p.lastWelcomeAt)) };
      });
      return {
        connected: all.reduce((a, m) => a + m.stats.connected, 0),
        firstStartAt: Math.min(...all.map((m) => m.stats.firstStartAt)),
        lastWelcomeAt: Math.max(...all.map((m) => m.stats.lastWelcomeAt)),
        perReplica,
        refused: all.reduce((a, m) => a + m.stats.refused, 0),
        otherFailures: all.reduce((a, m) => a + m.stats.otherFailures, 0),
        failures: all.flatMap((m) => m.stats.failures),
      };
    },
    async keepHeld() {
      const all = await Promise.all(workers.map((w) => w.request({ type: 'keepHeld' }, 'held')));
      return all.flatMap((m) => m.agentIds);
    },
    async mark(url) {
      const all = await Promise.all(workers.map((w) => w.request({ type: 'mark', url }, 'marked')));
      return all.reduce((a, m) => a + m.count, 0);
    },
    async storm(killAt, timeoutMs) {
      const all = await Promise.all(workers.map((w) => w.request({ type: 'storm', killAt, timeoutMs }, 'stormed')));
      return { agents: all.flatMap((m) => m.result.agents), othersLost: all.reduce((a, m) => a + m.result.othersLost, 0), endedBeforeKill: all.reduce((a, m) => a + m.result.endedBeforeKill, 0) };
    },
    async timings(timeoutMs) {
      const all = await Promise.all(workers.map((w) => w.request({ type: 'collect', timeoutMs }, 'timings')));
      return all.flatMap((m) => m.timings);
    },
    async close() {
      const all = await Promise.all(workers.map((w) => w.request({ type: 'close' }, 'closed')));
      return all.map((m) => m.peakRssBytes);
    },
    kill() {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    },
    pids: workers.map((w) => w.child.pid as number),
  };
}
