/**
 * A controller process forked with a Node IPC channel, as a fleet simulator
 * runs it: `patchfleet serve --simulation` on a stepped virtual clock that
 * this side moves with `sim.advance` / `sim.settle`
 * (controller/src/sim/control.ts), or without `--simulation` to see it refuse.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimAdvanced, SimError } from '@patchfleet/controller/src/sim/control';
import { REPO_ROOT } from './processes';

const CONTROLLER_CLI = fileURLToPath(new URL('../../controller/src/cli.ts', import.meta.url));

export type SimRequest = { type: 'sim.advance'; to: number } | { type: 'sim.settle' };
export type SimAnswer = SimAdvanced | SimError;

export interface ForkedController {
  url: string;
  child: ChildProcess;
  /** Resolves with the URL once the controller listens (in simulation mode: and logged SIMULATION MODE). */
  listening: Promise<string>;
  output(): string;
  /** Sends one request over IPC and resolves with its answer (matched by id). */
  request(msg: SimRequest, timeoutMs?: number): Promise<SimAnswer>;
  /** `request`, failing unless the answer is `sim.advanced`. */
  step(msg: SimRequest, timeoutMs?: number): Promise<SimAdvanced>;
  stop(): Promise<number | null>;
}

type ForkOptions = {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** `--simulation --sim-start <ISO> [--sim-tick-sec N]`; absent: a controller on the system clock. */
  simulation?: { start: string; tickSec?: number };
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
};

/** Forks `patchfleet serve` on a free port of 127.0.0.1 (PGlite unless `databaseUrl`) and waits until it listens. */
export async function forkControllerProcess(opts: ForkOptions): Promise<ForkedController> {
  const forked = forkController(opts);
  forked.url = await forked.listening;
  return forked;
}

/** Forks `patchfleet serve` without waiting: requests sent before it listens are read once it reads its channel. */
export function forkController(opts: ForkOptions): ForkedController {
  const sim = opts.simulation ? ['--simulation', '--sim-start', opts.simulation.start, ...(opts.simulation.tickSec ? ['--sim-tick-sec', String(opts.simulation.tickSec)] : [])] : [];
  const args = ['serve', '--data-dir', opts.dataDir, '--host', '127.0.0.1', '--port', '0', ...(opts.databaseUrl ? ['--database-url', opts.databaseUrl] : []), ...sim, ...(opts.extraArgs ?? [])];
  const env: NodeJS.ProcessEnv = { ...process.env, PATCHFLEET_LOG_LEVEL: 'warn', ...opts.env };
  if (!opts.databaseUrl) delete env.DATABASE_URL;
  const child = fork(CONTROLLER_CLI, args, { cwd: REPO_ROOT, env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const waiting = new Map<string, (answer: SimAnswer) => void>();
  child.on('message', (m) => {
    const answer = m as SimAnswer;
    const resolve = answer.id === undefined ? undefined : waiting.get(answer.id);
    if (resolve && answer.id !== undefined) {
      waiting.delete(answer.id);
      resolve(answer);
    }
  });
  let next = 0;
  const request = (msg: SimRequest, timeoutMs = 60_000): Promise<SimAnswer> =>
    new Promise((resolve, reject) => {
      const id = `r${++next}`;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`no answer to ${msg.type} in ${timeoutMs} ms:\n${out.slice(-3000)}`));
      }, timeoutMs);
      waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      child.send({ ...msg, id });
    });
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`controller did not start in time:\n${out}`));
    }, 60_000);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
      err += d.toString();
      const m = /patchfleet controller listening at (\S+)/.exec(err);
      if (m?.[1] && (!opts.simulation || /SIMULATION MODE/.test(err))) {
        clearTimeout(timer);
        err = '';
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`controller exited with ${code} before listening:\n${out}`));
    });
  });
  listening.catch(() => undefined); // a caller that only sends requests need not wait for it
  return {
    url: '',
    child,
    listening,
    output: () => out,
    request,
    async step(msg, timeoutMs) {
      const answer = await request(msg, timeoutMs);
      if (answer.type !== 'sim.advanced') throw new Error(`${msg.type} refused: ${answer.code} ${answer.message}`);
      return answer;
    },
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
        child.once('exit', (code) => res(code));
        child.kill('SIGTERM');
      }),
  };
}
