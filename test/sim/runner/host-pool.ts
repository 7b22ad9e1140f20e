/**
 * The runner's side of its host workers: forks them (tsx, like the runner),
 * deals the hosts out evenly (fleet index modulo the worker count), sends a
 * request to every worker and collects the answers, and counts the command
 * frames the workers report, so the runner can wait until every command the
 * controller says it sent has arrived.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker, WorkerInit } from './ipc';
import { addCounts, emptyCounts, type HostRecord, type SimIdentity, type StepCounts } from './sim-host';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

type Reply = Exclude<FromWorker, { type: 'received' } | { type: 'failed' }>;

class Worker {
  readonly child: ChildProcess;
  received = 0;
  private waiting: { type: Reply['type']; resolve: (m: Reply) => void; reject: (e: Error) => void } | undefined;
  failure: Error | undefined;

  constructor(
    index: number,
    private readonly onReceived: () => void,
    private readonly onFailure: (err: Error) => void,
    cpuProfDir?: string,
  ) {
    const execArgv = ['--import', 'tsx', ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [])];
    this.child = fork(WORKER, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    this.child.on('message', (m: FromWorker) => {
      if (m.type === 'received') {
        this.received = m.total;
        this.onReceived();
        return;
      }
      if (m.type === 'failed') return this.fail(new Error(`host worker ${index}: ${m.message}`));
      const w = this.waiting;
      if (!w) return this.fail(new Error(`host worker ${index}: unexpected answer ${m.type}`));
      this.waiting = undefined;
      if (m.type !== w.type) return w.reject(new Error(`host worker ${index}: answered ${m.type}, expected ${w.type}`));
      w.resolve(m);
    });
    // A worker gone without a word (a Ctrl-C reaches the whole process group): a send on its closed channel is a failure, not a crash.
    this.child.on('error', (err) => this.fail(new Error(`host worker ${index}: ${err.message}`)));
    this.child.on('exit', (code, signal) => {
      if (this.waiting || code !== 0) this.fail(new Error(`host worker ${index} (pid ${this.child.pid}) exited (${code ?? signal})`));
    });
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
    this.onFailure(err);
  }

  request<T extends Reply['type']>(msg: ToWorker, reply: T): Promise<Extract<Reply, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.child.connected) return Promise.reject(new Error(`host worker (pid ${this.child.pid}) is gone`));
    if (this.waiting) return Promise.reject(new Error(`host worker busy with ${this.waiting.type}`));
    return new Promise((resolve, reject) => {
      this.waiting = { type: reply, resolve: resolve as (m: Reply) => void, reject };
      this.child.send(msg);
    });
  }
}

export interface HostPool {
  readonly pids: number[];
  connect(t: number): Promise<StepCounts>;
  boundary(t: number, prev: number | null): Promise<StepCounts>;
  execute(t: number): Promise<StepCounts>;
  finish(t: number): Promise<HostRecord[]>;
  /** Command frames the hosts received so far, in all workers. */
  received(): number;
  /** Resolves once the hosts received `total` command frames; rejects after `timeoutMs` real ms, naming the shortfall. */
  waitForCommands(total: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
  kill(): void;
}

/** Forks `count` workers and gives each its share of `identities` (index i goes to worker i mod count); with `cpuProfDir` each writes a CPU profile there. */
export async function startHostPool(count: number, init: Omit<WorkerInit, 'identities'>, identities: readonly SimIdentity[], cpuProfDir?: string): Promise<HostPool> {
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const workers: Worker[] = Array.from(
    { length: count },
    (_, i) =>
      new Worker(
        i,
        () => wake?.(),
        (err) => {
          failure ??= err;
          wake?.();
        },
        cpuProfDir,
      ),
  );
  const shares = workers.map((_, w) => identities.filter((id) => id.index % count === w));
  await Promise.all(workers.map((w, i) => w.request({ type: 'init', init: { ...init, identities: shares[i]! } }, 'ready')));
  const all = async <T extends Reply['type']>(msg: ToWorker, reply: T): Promise<Extract<Reply, { type: T }>[]> => Promise.all(workers.map((w) => w.request(msg, reply)));
  const sum = (answers: { counts: StepCounts }[]): StepCounts => answers.reduce((a, m) => addCounts(a, m.counts), emptyCounts());
  const received = () => workers.reduce((a, w) => a + w.received, 0);
  return {
    pids: workers.map((w) => w.child.pid as number),
    connect: async (t) => sum(await all({ type: 'connect', t }, 'connected')),
    boundary: async (t, prev) => sum(await all({ type: 'boundary', t, prev }, 'boundaryDone')),
    execute: async (t) => sum(await all({ type: 'execute', t }, 'executed')),
    finish: async (t) => (await all({ type: 'finish', t }, 'finished')).flatMap((m) => m.records).sort((a, b) => a.index - b.index),
    received,
    async waitForCommands(total, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (received() < total) {
        if (failure) throw failure;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`the controller says it sent ${total} command frames, the simulated hosts received ${received()} after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 1000));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      if (received() > total) throw new Error(`the simulated hosts received ${received()} command frames, the controller says it sent ${total}`);
    },
    async close() {
      const exited = workers.map((w) => (w.child.exitCode !== null || w.child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => w.child.once('exit', () => resolve()))));
      await Promise.all(workers.filter((w) => !w.failure).map((w) => w.request({ type: 'close' }, 'closed').catch(() => undefined)));
      // Let them leave on their own (a CPU profile is written on the way out).
      await Promise.race([Promise.all(exited), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    },
    kill() {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    },
  };
}
