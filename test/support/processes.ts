/**
 * Real processes for end-to-end tests: the controller (`patchfleet serve`)
 * and agents (`patchfleet-agent ...`), run from source with tsx exactly as
 * the README's commands run them.
 */
import { createServer } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONTROLLER_CLI = fileURLToPath(new URL('../../controller/src/cli.ts', import.meta.url));
const AGENT_CLI = fileURLToPath(new URL('../../agent/src/cli.ts', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function nodeArgs(cli: string, args: string[]): string[] {
  return ['--import', 'tsx', cli, ...args];
}

/** Runs a CLI to completion. */
export function runCli(which: 'controller' | 'agent', args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs(which === 'controller' ? CONTROLLER_CLI : AGENT_CLI, args), {
      cwd: REPO_ROOT,
      env: { ...process.env, PATCHFLEET_LOG_LEVEL: 'warn', ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${which} ${args[0]} did not finish in ${opts.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ControllerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `patchfleet serve` on a free port of 127.0.0.1 and waits until it listens. */
export function startControllerProcess(opts: {
  dataDir: string;
  databaseUrl?: string | undefined;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** A command the controller runs under, e.g. `['prlimit', '--nofile=512:512']` (limits that process only). */
  wrapper?: string[];
}): Promise<ControllerProcess> {
  const args = ['serve', '--data-dir', opts.dataDir, '--host', '127.0.0.1', '--port', '0', ...(opts.databaseUrl ? ['--database-url', opts.databaseUrl] : []), ...(opts.extraArgs ?? [])];
  const env: NodeJS.ProcessEnv = { ...process.env, PATCHFLEET_LOG_LEVEL: 'info', ...opts.env };
  if (!opts.databaseUrl) delete env.DATABASE_URL; // an explicit choice: PGlite unless a URL is given here
  const [command, ...wrapperArgs] = [...(opts.wrapper ?? []), process.execPath];
  const child = spawn(command as string, [...wrapperArgs, ...nodeArgs(CONTROLLER_CLI, args)], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`controller did not start in time:\n${out}`));
      // Seconds on an idle machine; a CI machine at load 10-19 once needed more than 60 s (health-gate, 14:16 UTC 2026-12-07).
    }, 120_000);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
      err += d.toString();
      const m = /patchfleet controller listening at (\S+)/.exec(err);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          child,
          output: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise((res) => {
              if (child.exitCode !== null) return res(child.exitCode);
              child.once('exit', (code) => res(code));
              child.kill(signal);
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`controller exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Starts a long-running agent (`run`); the caller stops it. */
export function startAgentProcess(stateDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output(): string; stop(): Promise<number | null> } {
  const child = spawn(process.execPath, nodeArgs(AGENT_CLI, ['run', '--state-dir', stateDir, ...extraArgs]), { cwd: REPO_ROOT, env: { ...process.env, PATCHFLEET_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
        child.once('exit', (code, signal) => {
          if (code !== 0) process.stderr.write(`agent exited with ${code ?? signal}; its output:\n${out.slice(-3000)}\n`);
          res(code);
        });
        child.kill('SIGTERM');
      }),
  };
}

/** A TCP port free on 127.0.0.1 right now (for a controller that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `check` until it returns a truthy value or the time is up. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
