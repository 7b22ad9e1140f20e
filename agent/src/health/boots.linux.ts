/**
 * Unexpected shutdowns from the journal's list of boots.
 *
 * A boot that begins inside the window ends the boot before it. That
 * earlier boot shut down cleanly when the last entries it wrote include
 * systemd's or journald's shutdown records ("Reached target ... Shutdown /
 * Reboot / Power-Off", "System is powering down / rebooting", "Shutting
 * down.", "Journal stopped", the shutdown MESSAGE_ID): a power loss, a hard
 * reset, a panic or a watchdog reboot leaves none of them, because nothing
 * ran to write them. Each boot that begins in the window after a boot
 * without such a record is one unexpected shutdown, dated when the new boot
 * began (inside the window), its message naming when the old one stopped.
 *
 * When the window holds a new boot but the journal does not hold the boot
 * before it (a volatile journal in /run, or vacuumed), nothing can be said:
 * the counter is unknown, never 0.
 */
import type { HealthEvent } from '@patchfleet/shared/protocol';
import { parseJournalJson } from './journal.linux';
import type { HealthWindow } from './types';

/** One boot in the journal. Times in µs since epoch. */
export interface JournalBoot {
  bootId: string;
  firstUs: number;
  lastUs: number;
}

/** systemd: "System is shutting down / rebooting" (SD_MESSAGE_SHUTDOWN). */
export const MESSAGE_ID_SHUTDOWN = '98268866d1d54a499c4e98921d93bc40';
/** journald: "Journal stopped" (SD_MESSAGE_JOURNAL_STOP): written when journald is stopped at shutdown. */
export const MESSAGE_ID_JOURNAL_STOP = 'd93fb3c9c24d451a97cea615ce59c00b';
/** How many of a boot's last entries are searched for a shutdown record. */
export const BOOT_TAIL_ENTRIES = 300;

const CLEAN_MESSAGE_RE =
  /^Reached target .*\b(Shutdown|Power-Off|Power Off|Reboot|Halt|Kexec|Final Step)\b|^System is (powering down|powering off|rebooting|halting)|^Shutting down\.?$|^Journal stopped$|^Syncing filesystems and block devices/;

/** `journalctl --list-boots -o json` (systemd >= 251). */
export function parseListBootsJson(text: string): JournalBoot[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) return undefined;
  try {
    const rows = JSON.parse(trimmed) as { boot_id?: unknown; first_entry?: unknown; last_entry?: unknown }[];
    return rows
      .filter((r) => typeof r.boot_id === 'string' && Number.isSafeInteger(r.first_entry) && Number.isSafeInteger(r.last_entry))
      .map((r) => ({ bootId: r.boot_id as string, firstUs: r.first_entry as number, lastUs: r.last_entry as number }))
      .sort((a, b) => a.firstUs - b.firstUs);
  } catch {
    return undefined;
  }
}

const TEXT_ROW_RE = /^\s*-?\d+\s+([0-9a-f]{32})\s+\w{3},? (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC\s*(?:—|-|\s)\s*\w{3},? (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC\s*$/;

/** The text table of older systemd, printed with TZ=UTC (the collector sets it). */
export function parseListBootsText(text: string): JournalBoot[] {
  const out: JournalBoot[] = [];
  for (const line of text.split('\n')) {
    const m = TEXT_ROW_RE.exec(line);
    if (!m?.[1] || !m[2] || !m[3]) continue;
    const first = Date.parse(`${m[2].replace(' ', 'T')}Z`);
    const last = Date.parse(`${m[3].replace(' ', 'T')}Z`);
    if (Number.isNaN(first) || Number.isNaN(last)) continue;
    out.push({ bootId: m[1], firstUs: first * 1000, lastUs: last * 1000 });
  }
  return out.sort((a, b) => a.firstUs - b.firstUs);
}

/** Whether the last entries of a boot (`journalctl -b ID -n N -o json`) include a clean shutdown record. */
export function bootEndedCleanly(tailJson: string): boolean {
  return parseJournalJson(tailJson).some((e) => {
    const id = e.fields.MESSAGE_ID;
    if (id === MESSAGE_ID_SHUTDOWN || id === MESSAGE_ID_JOURNAL_STOP) return true;
    const ident = e.fields.SYSLOG_IDENTIFIER;
    if (ident === 'systemd-shutdown') return true;
    return (ident === 'systemd' || ident === 'systemd-logind' || ident === 'systemd-journald') && CLEAN_MESSAGE_RE.test(e.fields.MESSAGE ?? '');
  });
}

/** A boot that began in the window and the boot before it (undefined: not in the journal). */
export interface BootTransition {
  boot: JournalBoot;
  previous: JournalBoot | undefined;
}

/** The boots that began in [from, to), each with the boot before it. */
export function bootsBegunIn(boots: readonly JournalBoot[], window: HealthWindow): BootTransition[] {
  const sorted = [...boots].sort((a, b) => a.firstUs - b.firstUs);
  const out: BootTransition[] = [];
  sorted.forEach((boot, i) => {
    if (boot.firstUs >= window.from * 1000 && boot.firstUs < window.to * 1000) out.push({ boot, previous: sorted[i - 1] });
  });
  return out;
}

/** The event for a boot that followed one without a clean shutdown. */
export function unexpectedShutdownEvent(t: { boot: JournalBoot; previous: JournalBoot }): HealthEvent {
  return {
    kind: 'unexpected-shutdown',
    at: Math.floor(t.boot.firstUs / 1000),
    subject: `boot ${t.previous.bootId}`,
    message: `boot ${t.previous.bootId} ended without a clean shutdown (last journal entry ${new Date(Math.floor(t.previous.lastUs / 1000)).toISOString()}); next boot ${t.boot.bootId}`,
  };
}
