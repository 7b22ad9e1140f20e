/**
 * The agent's single executables in tests and benches: a PATH holding every
 * tool of this machine but no `node`, and runs of an executable under it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Names a Node runtime could hide under on PATH. */
const NODE_NAMES = /^(node|nodejs|node\d+)$/;

/**
 * Makes `dir` a PATH directory with links to everything in /usr/sbin,
 * /usr/bin, /sbin and /bin (the agent calls dpkg-query, uname, ...) except
 * node: an executable that runs under it carries its own runtime.
 */
export function noNodePath(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  for (const from of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    let real: string;
    try {
      real = realpathSync(from);
    } catch {
      continue; // not on this machine
    }
    if (seen.has(real)) continue;
    seen.add(real);
    for (const name of readdirSync(real)) {
      if (NODE_NAMES.test(name)) continue;
      try {
        symlinkSync(join(real, name), join(dir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // the first directory on PATH wins, as it would
      }
    }
  }
  return dir;
}

/** The environment an executable runs with: that PATH, HOME, and nothing from this Node process (no NODE_OPTIONS). */
export function exeEnv(path: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: path, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', PATCHFLEET_LOG_LEVEL: 'info', ...extra };
}

export interface ExeResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `exe args` to completion. */
export function runExe(exe: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ExeResult> {
  return new Promise((resolve) => {
    execFile(exe, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? (err as unknown as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `exe run --state-dir dir` and keeps its output; the caller stops it. */
export function startExeAgent(exe: string, stateDir: string, env: NodeJS.ProcessEnv, extraArgs: string[] = []): { child: ChildProcess; output(): string; stop(): Promise<number | null> } {
  const child = spawn(exe, ['run', '--state-dir', stateDir, ...extraArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
        child.once('exit', (code) => res(code));
        child.kill('SIGTERM');
      }),
  };
}
