/**
 * /var/crash as a health source: apport (Ubuntu) writes one `*.crash` file
 * per crashed program there, instead of (or as well as) systemd-coredump.
 * A file whose modification time falls in the window is one app crash.
 */
import type { HealthEvent } from '@patchfleet/shared/protocol';

/** How much of a crash file is read: the header lines come first, the core dump last. */
export const CRASH_HEAD_BYTES = 8192;

/** The crashed program from the head of an apport crash file, or from its name (`_usr_bin_foo.1000.crash`). */
export function crashSubject(fileName: string, head: string | undefined): string {
  const exe = head ? /^ExecutablePath: (.+)$/m.exec(head)?.[1]?.trim() : undefined;
  if (exe) return exe;
  const base = fileName.replace(/\.crash$/, '').replace(/\.\d+$/, '');
  return base.startsWith('_') ? base.replace(/_/g, '/') : base;
}

/** Signal name from the head of a crash file, if written. */
export function crashSignal(head: string | undefined): string | undefined {
  return head ? /^SignalName: (\S+)$/m.exec(head)?.[1] : undefined;
}

/** A coredump and an apport file of the same program this close together are one crash. */
export const SAME_CRASH_MS = 120_000;

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/**
 * Crash-file events that journald has not already counted: a file of the
 * same executable (by name, since apport may record the interpreter's full
 * path and coredump the resolved one) within SAME_CRASH_MS of a coredump is
 * that coredump.
 */
export function dedupeCrashFiles(files: readonly HealthEvent[], coredumps: readonly HealthEvent[]): HealthEvent[] {
  const used = new Set<number>();
  return files.filter((f) => {
    const i = coredumps.findIndex((c, idx) => !used.has(idx) && base(c.subject) === base(f.subject) && Math.abs(c.at - f.at) <= SAME_CRASH_MS);
    if (i < 0) return true;
    used.add(i);
    return false;
  });
}
