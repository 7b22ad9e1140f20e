import { uptime as osUptime } from 'node:os';
import { clip } from './clip';
import { readOptionalText } from './optional-file';
import type { WarnFn } from './with-timeout';

/** Boot identity and times of the running kernel. */
export interface BootFacts {
  /** Random id the kernel makes at each boot; '' when unreadable. */
  bootId: string;
  /** Boot time, ms since epoch. */
  bootTime: number;
  uptimeSec: number;
}

/** The `btime` line of /proc/stat (seconds since epoch), or undefined. */
export function parseBtime(procStat: string): number | undefined {
  const m = /^btime\s+(\d+)\s*$/m.exec(procStat);
  return m ? Number(m[1]) : undefined;
}

/**
 * Boot id from /proc/sys/kernel/random/boot_id, boot time from /proc/stat
 * `btime` (the kernel's own figure, so it does not wobble between reports as
 * `now - uptime` would), uptime from /proc/uptime. `now` is only used when
 * btime is missing.
 */
export async function collectBoot(now: () => number, warn: WarnFn): Promise<BootFacts> {
  const [bootIdText, statText, uptimeText] = await Promise.all([
    readOptionalText('/proc/sys/kernel/random/boot_id'),
    readOptionalText('/proc/stat'),
    readOptionalText('/proc/uptime'),
  ]);
  if (bootIdText === undefined) warn('/proc/sys/kernel/random/boot_id is not readable: bootId is empty');
  const uptimeFromProc = Number((uptimeText ?? '').split(' ')[0]);
  const uptimeSec = Math.floor(Number.isFinite(uptimeFromProc) && uptimeText ? uptimeFromProc : osUptime());
  const btime = statText === undefined ? undefined : parseBtime(statText);
  const bootTime = btime !== undefined ? btime * 1000 : Math.max(0, Math.floor(now() - uptimeSec * 1000));
  return { bootId: clip((bootIdText ?? '').trim(), 128), bootTime, uptimeSec: Math.max(0, uptimeSec) };
}
