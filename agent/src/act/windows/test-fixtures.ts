import { readFileSync } from 'node:fs';
import type { ExecFn, ExecOutcome } from '../../collect/windows/powershell';

/** Bytes of a file in ./fixtures (bytes: one fixture exists to test a code page). */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
}

/** One call a fake runner received. */
export interface RecordedCall {
  file: string;
  args: readonly string[];
  timeoutMs: number;
}

/** What a fake run prints and how it exits; defaults: no output, exit 0. */
export interface FakeRun {
  stdout?: string | Uint8Array;
  stderr?: string | Uint8Array;
  exitCode?: number | null;
  timedOut?: boolean;
  failure?: string;
}

const bytes = (v: string | Uint8Array | undefined): Uint8Array => (typeof v === 'string' ? Buffer.from(v, 'utf8') : (v ?? new Uint8Array()));

/** An ExecFn that answers each call with the next of `runs` and records the calls; one call too many fails the test. */
export function fakeExec(...runs: FakeRun[]): { exec: ExecFn; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const exec: ExecFn = async (file, args, opts) => {
    calls.push({ file, args, timeoutMs: opts.timeoutMs });
    const run = runs[calls.length - 1];
    if (run === undefined) throw new Error(`unexpected call ${calls.length}: ${file} ${args.join(' ')}`);
    const out: ExecOutcome = { stdout: bytes(run.stdout), stderr: bytes(run.stderr), exitCode: run.exitCode === undefined ? 0 : run.exitCode, timedOut: run.timedOut ?? false };
    if (run.failure !== undefined) out.failure = run.failure;
    return out;
  };
  return { exec, calls };
}
