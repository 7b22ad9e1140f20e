import { execFile } from 'node:child_process';
import { Errors, PfError } from '@patchfleet/shared/errors';

/** What a finished command printed and how it exited. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when the process was ended by a signal. */
  code: number | null;
}

export interface RunCommandOptions {
  /** The process is killed after this long; the call then fails. */
  timeoutMs: number;
  /** Largest stdout accepted, in bytes; more fails the call. */
  maxBuffer?: number;
  /** Extra environment variables (merged over the agent's). */
  env?: Record<string, string>;
}

/**
 * Runs a program without a shell (arguments are passed as an array, so
 * nothing is interpreted) and resolves with its output and exit code, whatever
 * the code. Fails with PF_ERR_COLLECT_FAILED when the program cannot be
 * started, times out or prints more than `maxBuffer`.
 *
 * A non-zero exit is not an error here because some tools answer with their
 * exit code (`needs-restarting -r` exits 1 when a reboot is needed).
 */
export function runCommand(file: string, args: readonly string[], opts: RunCommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        encoding: 'utf8',
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: opts.maxBuffer ?? 4 * 1024 * 1024,
        // C locale: the output we parse must not be translated.
        env: { ...process.env, LC_ALL: 'C', ...opts.env },
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, stderr, code: 0 });
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: NodeJS.Signals | null };
        const what = `${file} ${args.join(' ')}`.slice(0, 200);
        if (e.killed || e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' || typeof e.code === 'string') {
          const why = e.killed ? `timed out after ${opts.timeoutMs} ms` : e.message;
          reject(new PfError(Errors.COLLECT_FAILED, `${what}: ${why}`, { file }, { cause: err }));
          return;
        }
        resolve({ stdout, stderr, code: typeof e.code === 'number' ? e.code : null });
      },
    );
  });
}
