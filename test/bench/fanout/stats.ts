/** Small statistics and process facts for the report. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Nearest-rank percentile (p in 0..100) of values sorted ascending; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** p50 / p95 / p99 / max of a list of milliseconds, rounded to 0.1 ms. */
export function latencySummary(values: readonly number[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50: r(percentile(sorted, 50)), p95: r(percentile(sorted, 95)), p99: r(percentile(sorted, 99)), max: r(sorted.at(-1) ?? Number.NaN) };
}

/** A file under /proc, or undefined where it is not there (not Linux, or the process is gone). */
function procText(path: string): string | undefined {
  try {
    return readFileSync(`/proc/${path}`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Peak resident set size of a live process in bytes (`VmHWM` in
 * /proc/<pid>/status), or undefined where /proc is not there (not Linux).
 */
export function peakRssBytes(pid: number | 'self' = 'self'): number | undefined {
  const text = procText(`${pid}/status`);
  if (text === undefined) return undefined;
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(text);
  return m?.[1] ? Number(m[1]) * 1024 : undefined;
}

/**
 * Resident set size of a live process now, in bytes (`VmRSS` in
 * /proc/<pid>/status), or undefined where /proc is not there.
 */
export function rssBytes(pid: number | 'self' = 'self'): number | undefined {
  const text = procText(`${pid}/status`);
  if (text === undefined) return undefined;
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m?.[1] ? Number(m[1]) * 1024 : undefined;
}

let clockTicks: number | undefined;

/**
 * CPU time (user + system) a live process has used, in seconds, from
 * /proc/<pid>/stat; undefined where /proc is not there (not Linux).
 */
export function cpuSeconds(pid: number | 'self' = 'self'): number | undefined {
  const text = procText(`${pid}/stat`);
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** The soft limit on open files of this process (`Max open files` in /proc/self/limits). */
export function openFilesLimit(): number | undefined {
  const text = procText('self/limits');
  if (text === undefined) return undefined;
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!m?.[1]) return undefined;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/** Wall-clock milliseconds since the epoch with sub-millisecond resolution, comparable across processes of one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export const toMiB = (bytes: number | undefined): number | null => (bytes === undefined ? null : Math.round(bytes / 2 ** 20));
