/**
 * journald as a health source: what to ask `journalctl` for and how to read
 * its `-o json` lines. Pure functions; the collector runs the commands.
 *
 * One query per window fetches only the entries that can count:
 * systemd-coredump records, systemd's "Failed with result" records and
 * kernel lines; the classification below picks the crashes and failures.
 */
import type { HealthEvent } from '@patchfleet/shared/protocol';
import type { HealthWindow } from './types';

/** systemd-coredump: "Process N (comm) of user U dumped core." */
export const MESSAGE_ID_COREDUMP = 'fc2e22bc6ee647b6b90729ab34a250b1';
/** systemd (>= 236): "<unit>: Failed with result '<result>'." (SD_MESSAGE_UNIT_FAILURE_RESULT). */
export const MESSAGE_ID_UNIT_FAILURE_RESULT = 'd9b373ed55a64feb8242e02dbe79a49c';

/** Most entries one window query may return (newest kept): bounds time and memory on a noisy kernel. */
export const MAX_JOURNAL_ENTRIES = 5000;

const FIELDS = ['MESSAGE', 'MESSAGE_ID', 'SYSLOG_IDENTIFIER', '_TRANSPORT', 'UNIT', 'USER_UNIT', 'UNIT_RESULT', 'COREDUMP_EXE', 'COREDUMP_COMM', 'COREDUMP_SIGNAL_NAME', 'COREDUMP_UNIT'];

/**
 * journalctl arguments for the entries of one window. The query is a
 * second wider on each side (journalctl takes whole seconds); the exact
 * half-open window is applied on the entries' own microsecond timestamps.
 * Same-field matches are ORed by journalctl and `+` ORs the groups.
 */
export function journalWindowArgs(window: HealthWindow): string[] {
  return [
    '--no-pager',
    '-o', 'json',
    `--output-fields=${FIELDS.join(',')}`,
    '--since', `@${Math.floor(window.from / 1000) - 1}`,
    '--until', `@${Math.ceil(window.to / 1000) + 1}`,
    '-n', String(MAX_JOURNAL_ENTRIES),
    `MESSAGE_ID=${MESSAGE_ID_COREDUMP}`,
    `MESSAGE_ID=${MESSAGE_ID_UNIT_FAILURE_RESULT}`,
    '+', 'SYSLOG_IDENTIFIER=systemd-coredump',
    // Kernel lines of warning priority or worse: oops, BUG and panic lines are printed at 0-4,
    // the chatter that could crowd them out of the bound (link state, USB) at 5-7.
    '+', '_TRANSPORT=kernel', 'PRIORITY=0', 'PRIORITY=1', 'PRIORITY=2', 'PRIORITY=3', 'PRIORITY=4',
  ];
}

/** One journal entry as `journalctl -o json` prints it (the fields we read). */
export interface JournalEntry {
  /** µs since epoch */
  realtimeUs: number;
  bootId: string;
  fields: Record<string, string>;
}

/** journalctl prints a field that is not valid UTF-8 as an array of byte values. */
function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((b) => typeof b === 'number')) return Buffer.from(value as number[]).toString('utf8');
  return undefined; // null: a field too large (journalctl without --all) or repeated
}

/** Parses `journalctl -o json` output (one object a line); lines that are not entries are skipped. */
export function parseJournalJson(text: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line cut by the output bound: the others still count
    }
    const realtimeUs = Number(raw.__REALTIME_TIMESTAMP);
    if (!Number.isSafeInteger(realtimeUs)) continue;
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) {
      const text = fieldText(value);
      if (text !== undefined) fields[key] = text;
    }
    out.push({ realtimeUs, bootId: fields._BOOT_ID ?? '', fields });
  }
  return out;
}

/** Kernel lines that mean the kernel itself crashed (one oops prints several of them). */
const KERNEL_CRASH_RE = /\bOops: |\bOops\b.*\[#\d+\]|kernel BUG at|Kernel panic - not syncing|general protection fault|BUG: unable to handle|BUG: kernel NULL pointer dereference/;
/** Lines of one oops arrive within this long of its first line: counted once. */
const KERNEL_CRASH_GAP_US = 30_000_000;
/** "entered failed state" and "Failed with result" for one failure arrive together (older systemd logs both). */
const UNIT_FAILURE_GAP_US = 2_000_000;

/** What journald says about one window. */
export interface JournalFindings {
  appCrashes: HealthEvent[];
  kernelCrashes: HealthEvent[];
  serviceFailures: HealthEvent[];
  /** Entries returned: equal to MAX_JOURNAL_ENTRIES means the window was cut (counts are a lower bound). */
  entries: number;
}

const msOf = (us: number) => Math.floor(us / 1000);
const firstLine = (text: string) => text.split('\n', 1)[0] ?? '';

/**
 * Sorts a window's entries into app crashes (coredumps), kernel crashes
 * (oops/BUG/panic lines, one per burst) and service failures (system units
 * only: a user session's units are not the host's services). Entries outside
 * [from, to) are ignored.
 */
export function classifyJournal(entries: readonly JournalEntry[], window: HealthWindow): JournalFindings {
  const fromUs = window.from * 1000;
  const toUs = window.to * 1000;
  const inWindow = entries.filter((e) => e.realtimeUs >= fromUs && e.realtimeUs < toUs).sort((a, b) => a.realtimeUs - b.realtimeUs);
  const found: JournalFindings = { appCrashes: [], kernelCrashes: [], serviceFailures: [], entries: entries.length };
  let lastKernelCrashUs = -Infinity;
  let lastKernelBoot = '';
  const lastUnitFailureUs = new Map<string, number>();
  for (const e of inWindow) {
    const f = e.fields;
    const message = f.MESSAGE ?? '';
    if (f.MESSAGE_ID === MESSAGE_ID_COREDUMP || (f.SYSLOG_IDENTIFIER === 'systemd-coredump' && / dumped core\b/.test(message))) {
      const subject = f.COREDUMP_EXE ?? f.COREDUMP_COMM ?? (/\(([^)]+)\)/.exec(message)?.[1] ?? 'unknown');
      const signal = f.COREDUMP_SIGNAL_NAME ? ` (${f.COREDUMP_SIGNAL_NAME})` : '';
      found.appCrashes.push({ kind: 'app-crash', at: msOf(e.realtimeUs), subject, message: `${firstLine(message)}${signal}` });
      continue;
    }
    if (f._TRANSPORT === 'kernel') {
      if (!KERNEL_CRASH_RE.test(message)) continue;
      if (e.bootId === lastKernelBoot && e.realtimeUs - lastKernelCrashUs < KERNEL_CRASH_GAP_US) continue;
      lastKernelCrashUs = e.realtimeUs;
      lastKernelBoot = e.bootId;
      found.kernelCrashes.push({ kind: 'kernel-crash', at: msOf(e.realtimeUs), subject: 'kernel', message: firstLine(message) });
      continue;
    }
    if (f.MESSAGE_ID === MESSAGE_ID_UNIT_FAILURE_RESULT || (f.SYSLOG_IDENTIFIER === 'systemd' && /entered failed state|Failed with result/.test(message))) {
      const unit = f.UNIT;
      if (!unit) continue; // USER_UNIT: a user manager's unit
      const last = lastUnitFailureUs.get(unit);
      if (last !== undefined && e.realtimeUs - last < UNIT_FAILURE_GAP_US) continue;
      lastUnitFailureUs.set(unit, e.realtimeUs);
      found.serviceFailures.push({ kind: 'service-failure', at: msOf(e.realtimeUs), subject: unit, message: firstLine(message) });
    }
  }
  return found;
}

/**
 * Whether journalctl could read the system journal, from its stderr. It
 * exits 0 both when there is no journal at all and when it shows only the
 * caller's own entries; either way the window's silence means nothing.
 */
export function journalUnreadable(stderr: string): string | undefined {
  if (/No journal files were found/i.test(stderr)) return 'no journal files were found';
  if (/not seeing messages from other users and the system/i.test(stderr)) return 'the system journal is not readable by this user';
  return undefined;
}
