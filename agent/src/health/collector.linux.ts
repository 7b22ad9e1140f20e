/**
 * The Linux health collector: journald (coredumps, kernel crashes, unit
 * failures, unexpected shutdowns), systemd units (failed units, restart
 * counters) and /var/crash (apport crash files), for one window.
 *
 * A source that cannot be read is named in `unavailable` and the counters
 * that rest only on it are left out: "no events" (a source read, nothing
 * found: 0) is never confused with "cannot read" (absent). A counter fed by
 * two sources (app crashes: journald and /var/crash; service failures:
 * journald and units) is present when either was read.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_HEALTH_EVENTS_PER_SAMPLE, type HealthEvent, type HealthSource } from '@patchfleet/shared/protocol';
import { clip } from '../collect/clip';
import { runCommand, type CommandResult, type RunCommandOptions } from '../collect/run-command';
import { BOOT_TAIL_ENTRIES, bootEndedCleanly, bootsBegunIn, parseListBootsJson, parseListBootsText, unexpectedShutdownEvent } from './boots.linux';
import { classifyJournal, journalUnreadable, journalWindowArgs, MAX_JOURNAL_ENTRIES, parseJournalJson, type JournalFindings } from './journal.linux';
import type { CollectedHealth, HealthCollector, HealthWindow } from './types';
import { mergeServiceFailures, parseRestartCounts, parseUnitList, UnitTracker, type UnitChanges } from './units.linux';
import { CRASH_HEAD_BYTES, crashSignal, crashSubject, dedupeCrashFiles } from './var-crash.linux';

export type RunFn = (file: string, args: readonly string[], opts: RunCommandOptions) => Promise<CommandResult>;

export interface LinuxHealthDeps {
  /** Runs a program (default: runCommand: no shell, timeout, bounded output). */
  run?: RunFn;
  /** Where apport writes crash files (default /var/crash). */
  crashDir?: string;
  /** Start of the running boot, ms since epoch. */
  bootTime: () => Promise<number>;
  /** Id of the running boot (a reboot resets the restart baseline). */
  bootId: () => Promise<string>;
  /** Reasons a source could not be read, for the log. */
  warn?: (message: string) => void;
  /** Longest one journalctl/systemctl run may take (default 60 s). */
  timeoutMs?: number;
}

/** Bound on any one command's output: a window's filtered journal is far smaller. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** Units per `systemctl show` call (argument list length). */
const SHOW_BATCH = 100;
/** A boot's first journal entry comes a little after the kernel's boot time; look for boots this much early. */
const BOOT_SLACK_MS = 5 * 60_000;

interface SourceResult<T> {
  ok: true;
  value: T;
}
interface SourceFailure {
  ok: false;
  reason: string;
}

const failure = (reason: string): SourceFailure => ({ ok: false, reason });

/** The newest entry of the running boot: is there a journal this agent can read at all? */
export const JOURNAL_ALIVE_ARGS = ['--no-pager', '-o', 'json', '--output-fields=MESSAGE', '--boot=0', '-n', '1'];

/** Builds a collector; it keeps the previous unit restart counts between windows. */
export function linuxHealthCollector(deps: LinuxHealthDeps): HealthCollector {
  const run = deps.run ?? runCommand;
  const timeoutMs = deps.timeoutMs ?? 60_000;
  const crashDir = deps.crashDir ?? '/var/crash';
  const tracker = new UnitTracker();
  const warn = deps.warn ?? (() => undefined);

  const exec = async (file: string, args: readonly string[]): Promise<CommandResult | SourceFailure> => {
    try {
      return await run(file, args, { timeoutMs, maxBuffer: MAX_OUTPUT_BYTES, env: { TZ: 'UTC' } });
    } catch (err) {
      return failure((err as Error).message);
    }
  };
  const isFailure = (r: CommandResult | SourceFailure): r is SourceFailure => 'ok' in r;

  async function journald(window: HealthWindow): Promise<SourceResult<{ findings: JournalFindings; shutdowns: HealthEvent[] | undefined }> | SourceFailure> {
    // journalctl answers a query on a missing journal with nothing at all (exit 0, no message): an empty window
    // means something only if the running boot's journal has at least one entry we can read.
    const alive = await exec('journalctl', JOURNAL_ALIVE_ARGS);
    if (isFailure(alive)) return alive;
    if (alive.code !== 0) return failure(`journalctl exited ${alive.code}: ${alive.stderr.trim().slice(0, 200)}`);
    const notAlive = journalUnreadable(alive.stderr) ?? (parseJournalJson(alive.stdout).length === 0 ? 'the journal holds no entry of the running boot (no journal files, or journald not running)' : undefined);
    if (notAlive) return failure(notAlive);
    const res = await exec('journalctl', journalWindowArgs(window));
    if (isFailure(res)) return res;
    if (res.code !== 0) return failure(`journalctl exited ${res.code}: ${res.stderr.trim().slice(0, 200)}`);
    const unreadable = journalUnreadable(res.stderr);
    if (unreadable) return failure(unreadable);
    const findings = classifyJournal(parseJournalJson(res.stdout), window);
    if (findings.entries >= MAX_JOURNAL_ENTRIES) warn(`journal window held more than ${MAX_JOURNAL_ENTRIES} matching entries: counts are a lower bound`);
    return { ok: true, value: { findings, shutdowns: await shutdowns(window) } };
  }

  /** Unexpected shutdowns in the window; undefined when it cannot be told. */
  async function shutdowns(window: HealthWindow): Promise<HealthEvent[] | undefined> {
    // Boots are sequential: if the running one began before the window, none began in it.
    if ((await deps.bootTime()) < window.from - BOOT_SLACK_MS) return [];
    let res = await exec('journalctl', ['--list-boots', '--no-pager', '-o', 'json']);
    // systemd before 251 may refuse JSON for --list-boots: its table (printed in UTC, TZ is set) reads as well.
    if (!isFailure(res) && res.code !== 0) res = await exec('journalctl', ['--list-boots', '--no-pager']);
    if (isFailure(res) || res.code !== 0) {
      warn(`journalctl --list-boots failed: ${isFailure(res) ? res.reason : res.stderr.trim().slice(0, 200)}`);
      return undefined;
    }
    const boots = parseListBootsJson(res.stdout) ?? parseListBootsText(res.stdout);
    const events: HealthEvent[] = [];
    for (const t of bootsBegunIn(boots, window)) {
      if (!t.previous) {
        warn(`the journal does not hold the boot before ${t.boot.bootId} (volatile or vacuumed journal): unexpected shutdowns unknown`);
        return undefined;
      }
      const tail = await exec('journalctl', ['--no-pager', '-o', 'json', '--output-fields=MESSAGE,MESSAGE_ID,SYSLOG_IDENTIFIER', '-b', t.previous.bootId, '-n', String(BOOT_TAIL_ENTRIES)]);
      if (isFailure(tail) || tail.code !== 0) return undefined;
      if (!bootEndedCleanly(tail.stdout)) events.push(unexpectedShutdownEvent({ boot: t.boot, previous: t.previous }));
    }
    return events;
  }

  async function units(): Promise<SourceResult<UnitChanges | undefined> | SourceFailure> {
    const failed = await exec('systemctl', ['list-units', '--state=failed', '--no-legend', '--plain', '--full']);
    if (isFailure(failed)) return failed;
    if (failed.code !== 0) return failure(`systemctl exited ${failed.code}: ${failed.stderr.trim().slice(0, 200)}`);
    const services = await exec('systemctl', ['list-units', '--type=service', '--all', '--no-legend', '--plain', '--full']);
    if (isFailure(services)) return services;
    if (services.code !== 0) return failure(`systemctl exited ${services.code}: ${services.stderr.trim().slice(0, 200)}`);
    const names = parseUnitList(services.stdout);
    const restarts = new Map<string, number>();
    for (let i = 0; i < names.length; i += SHOW_BATCH) {
      const shown = await exec('systemctl', ['show', '-p', 'Id', '-p', 'NRestarts', '--', ...names.slice(i, i + SHOW_BATCH)]);
      if (isFailure(shown)) return shown;
      if (shown.code !== 0) return failure(`systemctl show exited ${shown.code}: ${shown.stderr.trim().slice(0, 200)}`);
      for (const [unit, n] of parseRestartCounts(shown.stdout)) restarts.set(unit, n);
    }
    return { ok: true, value: tracker.observe(await deps.bootId(), restarts, parseUnitList(failed.stdout)) };
  }

  async function varCrash(window: HealthWindow): Promise<SourceResult<HealthEvent[]> | SourceFailure> {
    let names: string[];
    try {
      names = await readdir(crashDir);
    } catch (err) {
      return failure(`${crashDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const events: HealthEvent[] = [];
    for (const name of names.filter((n) => n.endsWith('.crash')).sort()) {
      const path = join(crashDir, name);
      try {
        const st = await stat(path);
        if (!st.isFile() || st.mtimeMs < window.from || st.mtimeMs >= window.to) continue;
        const head = await readHead(path);
        const signal = crashSignal(head);
        events.push({ kind: 'app-crash', at: Math.floor(st.mtimeMs), subject: crashSubject(name, head), message: `${name}${signal ? ` (${signal})` : ''}` });
      } catch (err) {
        // Removed between readdir and stat (apport's own cleanup): not a crash of this window.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return failure(`${path}: ${(err as Error).message}`);
      }
    }
    return { ok: true, value: events };
  }

  return async (window: HealthWindow): Promise<CollectedHealth> => {
    const [j, u, c] = await Promise.all([journald(window), units(), varCrash(window)]);
    const unavailable: HealthSource[] = [];
    const counters: CollectedHealth['counters'] = {};
    const events: HealthEvent[] = [];
    if (!j.ok) warn(`health source journald unavailable: ${j.reason}`);
    if (!u.ok) warn(`health source units unavailable: ${u.reason}`);
    if (!c.ok) warn(`health source var-crash unavailable: ${c.reason}`);

    if (j.ok) {
      counters.kernelCrashes = j.value.findings.kernelCrashes.length;
      events.push(...j.value.findings.kernelCrashes);
      if (j.value.shutdowns) {
        counters.unexpectedShutdowns = j.value.shutdowns.length;
        events.push(...j.value.shutdowns);
      }
    }
    if (!j.ok || !j.value.shutdowns) unavailable.push('journald');
    // Without journald, the units' first look (no baseline yet, after an agent start or a reboot) says nothing about the window.
    const unitsBlind = !u.ok || (!j.ok && u.value === undefined);
    if (unitsBlind) unavailable.push('units');
    if (!c.ok) unavailable.push('var-crash');

    if (j.ok || c.ok) {
      const coredumps = j.ok ? j.value.findings.appCrashes : [];
      const files = c.ok ? dedupeCrashFiles(c.value, coredumps) : [];
      counters.appCrashes = coredumps.length + files.length;
      events.push(...coredumps, ...files);
    }
    if (j.ok || !unitsBlind) {
      const failures = mergeServiceFailures(j.ok ? j.value.findings.serviceFailures : undefined, u.ok ? u.value : undefined, window.to - 1);
      counters.serviceFailures = failures.length;
      events.push(...failures);
    }
    return { counters, unavailable, events: newestFirst(events) };
  };
}

/** The newest events first, at most MAX_HEALTH_EVENTS_PER_SAMPLE, fitted to the wire limits. */
export function newestFirst(events: readonly HealthEvent[]): HealthEvent[] {
  return [...events]
    .sort((a, b) => b.at - a.at)
    .slice(0, MAX_HEALTH_EVENTS_PER_SAMPLE)
    .map((e) => ({ ...e, subject: clip(e.subject, 256), ...(e.message !== undefined ? { message: clip(e.message, 512) } : {}) }));
}

async function readHead(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(CRASH_HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, CRASH_HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}
