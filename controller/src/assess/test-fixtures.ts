import { readFileSync } from 'node:fs';

/** Bytes of a file in ./fixtures. */
export function assessFixture(name: string): Buffer {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
}

/** Bytes of one of the agent's Windows collector fixtures (Get-HotFix dumps), reused rather than copied. */
export function agentWindowsFixture(name: string): Buffer {
  return readFileSync(new URL(`../../../agent/src/collect/windows/fixtures/${name}`, import.meta.url));
}

/** The PfError `fn` throws, for checking its code, message and details; fails when it throws nothing or something else. */
export function thrownPfError(fn: () => unknown): { code: string; message: string; details: Record<string, unknown> | undefined } {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err as Error & { code: string; details: Record<string, unknown> | undefined };
    throw err;
  }
  throw new Error('expected a PfError, nothing was thrown');
}
