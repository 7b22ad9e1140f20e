/**
 * The command journal: `<stateDir>/journal/`, one JSON record per command
 * (see {@link JournalEntry}), each written atomically (fsync + rename), plus
 * the executed-ids ledger. It is the truth about commands on this host: a
 * record is written in `acknowledged` before anything runs, the ledger line
 * and then `running` are written before the executor is called, so a crash
 * can never lead to running a command twice.
 *
 * Damaged records: a file that cannot be read back is moved aside to
 * `<file>.damaged-<n>` and logged; the agent keeps going. Whether that id may
 * have run is then answered by the ledger alone (see executed-ids.ts): an id
 * that reached the ledger never runs again; one that did not never started,
 * so accepting it again later is still at-most-once.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isTerminalAgentState, writeFileAtomic, type CommandResult, type SignedCommand } from '@patchfleet/shared';
import type { Clock } from '@patchfleet/shared/clock';
import type { Logger } from 'pino';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { ExecutedIds } from './executed-ids';
import { commandIdOfFile, entryFileName, entryProblem, isCommandId, type CommandError, type JournalEntry } from './journal-entry';

/** How long past `notAfter` a receipted record (and a ledger line) is kept. */
export const JOURNAL_RETENTION_MS = 7 * 24 * 60 * 60_000;

/** Name of the journal directory inside the state directory. */
export const JOURNAL_DIR = 'journal';

/** What {@link Journal.open} needs. */
export interface JournalOptions {
  stateDir: string;
  clock: Clock;
  log: Logger;
  /** Defaults to {@link JOURNAL_RETENTION_MS}. */
  retentionMs?: number;
  /**
   * Ids left `running` on purpose: an update-agent command the previous
   * agent process started, which this (new) process finishes once it has
   * confirmed a healthy session (agent/src/update). Not interrupted.
   */
  inheritRunning?: readonly string[];
}

/** A terminal state. */
export type TerminalState = 'succeeded' | 'failed' | 'refused';

/** Durable record of every command this agent holds. All methods are synchronous, like the outbox. */
export class Journal {
  /** Absolute path of the journal directory. */
  readonly dir: string;
  private readonly entries = new Map<string, JournalEntry>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly retentionMs: number;
  private ledger!: ExecutedIds;

  private constructor(opts: JournalOptions) {
    this.dir = join(opts.stateDir, JOURNAL_DIR);
    this.clock = opts.clock;
    this.log = opts.log;
    this.retentionMs = opts.retentionMs ?? JOURNAL_RETENTION_MS;
  }

  /**
   * Opens (creating) the journal: loads every record, moves damaged ones
   * aside, turns records left in `running` into `failed`
   * PF_ERR_COMMAND_INTERRUPTED (never re-run: the controller decides), and
   * prunes old receipted records. Throws PfError STATE_DIR only when the
   * directory itself is unusable.
   */
  static open(opts: JournalOptions): Journal {
    const journal = new Journal(opts);
    try {
      mkdirSync(journal.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new PfError(Errors.STATE_DIR, `cannot create journal ${journal.dir}: ${(err as Error).message}`);
    }
    const now = journal.clock.now();
    journal.ledger = ExecutedIds.open(journal.dir, now - journal.retentionMs, journal.log);
    journal.load();
    journal.recoverInterrupted(new Set(opts.inheritRunning ?? []));
    journal.prune();
    return journal;
  }

  /** The record of `commandId`, if any (a copy). */
  get(commandId: string): JournalEntry | undefined {
    const e = this.entries.get(commandId);
    return e ? structuredClone(e) : undefined;
  }

  /** True when `commandId` may have started here (ledger), whether or not its record survives. */
  mayHaveRun(commandId: string): boolean {
    return this.ledger.has(commandId);
  }

  /** True when `commandId` must not be accepted again: it has a record or a ledger line. */
  knows(commandId: string): boolean {
    return this.entries.has(commandId) || this.ledger.has(commandId);
  }

  /** Every record, oldest received first (copies). */
  list(): JournalEntry[] {
    return [...this.entries.values()]
      .sort((a, b) => a.receivedAt - b.receivedAt || a.commandId.localeCompare(b.commandId))
      .map((e) => structuredClone(e));
  }

  /**
   * Records a newly received command as `acknowledged` (it will run) or
   * `refused` (verified signature, but refused). Throws PfError STATE_DIR
   * when the record cannot be made durable: the command must then not run.
   */
  record(command: SignedCommand, signature: string, state: 'acknowledged' | 'refused', error?: CommandError): JournalEntry {
    if (!isCommandId(command.commandId)) throw new PfError(Errors.BAD_INPUT, 'command id does not match the wire pattern');
    if (this.entries.has(command.commandId)) throw new Error(`journal already holds ${command.commandId}`);
    const now = this.clock.now();
    const entry: JournalEntry = {
      v: 1,
      commandId: command.commandId,
      command,
      signature,
      state,
      receivedAt: now,
      stateAt: now,
      ...(state === 'refused' ? { finishedAt: now } : {}),
      ...(error ? { error } : {}),
      receipted: false,
    };
    this.write(entry);
    return structuredClone(entry);
  }

  /**
   * Marks an `acknowledged` command as started: the ledger line first, then
   * the record in `running`, both fsynced. Call right before the executor;
   * if this throws, do not run.
   */
  start(commandId: string): JournalEntry {
    const entry = this.require(commandId);
    if (entry.state !== 'acknowledged') throw new Error(`cannot start ${commandId} in state ${entry.state}`);
    this.ledger.add(commandId, entry.command.notAfter);
    const now = this.clock.now();
    const next: JournalEntry = { ...entry, state: 'running', stateAt: now, startedAt: now };
    this.write(next);
    return structuredClone(next);
  }

  /** Records a terminal state with its error and result. */
  finish(commandId: string, state: TerminalState, error?: CommandError, result?: CommandResult): JournalEntry {
    const entry = this.require(commandId);
    if (isTerminalAgentState(entry.state)) throw new Error(`${commandId} is already ${entry.state}`);
    const now = this.clock.now();
    const { error: _oldError, result: _oldResult, ...rest } = entry;
    const next: JournalEntry = { ...rest, state, stateAt: now, finishedAt: now, ...(error ? { error } : {}), ...(result ? { result } : {}), receipted: false };
    this.write(next);
    return structuredClone(next);
  }

  /**
   * Marks the terminal status of `commandId` as stored by the controller.
   * Returns false (nothing written) for an unknown id or a non-terminal
   * record: a receipt only ever answers a terminal status.
   */
  markReceipted(commandId: string): boolean {
    const entry = this.entries.get(commandId);
    if (!entry || !isTerminalAgentState(entry.state)) return false;
    if (entry.receipted) return true;
    this.write({ ...entry, receipted: true, receiptedAt: this.clock.now() });
    return true;
  }

  /**
   * Deletes receipted records whose `notAfter` is more than the retention in
   * the past: expiry refuses a replay of them, and the controller has their
   * outcome. Returns the ids removed.
   */
  prune(): string[] {
    const cutoff = this.clock.now() - this.retentionMs;
    const removed: string[] = [];
    for (const entry of this.entries.values()) {
      if (!entry.receipted || !(entry.command.notAfter < cutoff)) continue;
      try {
        rmSync(join(this.dir, entryFileName(entry.commandId)), { force: true });
      } catch (err) {
        this.log.warn({ commandId: entry.commandId, err: (err as Error).message }, 'journal: cannot prune record; kept');
        continue;
      }
      this.entries.delete(entry.commandId);
      removed.push(entry.commandId);
    }
    if (removed.length > 0) this.log.info({ count: removed.length }, 'journal: pruned old receipted records');
    return removed;
  }

  private require(commandId: string): JournalEntry {
    const entry = this.entries.get(commandId);
    if (!entry) throw new Error(`journal holds no ${commandId}`);
    return entry;
  }

  /** Writes a record durably, then updates memory (so memory never claims more than the disk). */
  private write(entry: JournalEntry): void {
    const path = join(this.dir, entryFileName(entry.commandId));
    try {
      writeFileAtomic(path, `${JSON.stringify(entry)}\n`, 0o600);
    } catch (err) {
      throw new PfError(Errors.STATE_DIR, `cannot write journal record ${path}: ${(err as Error).message}`, { commandId: entry.commandId }, { cause: err });
    }
    this.entries.set(entry.commandId, entry);
  }

  private load(): void {
    for (const name of readdirSync(this.dir)) {
      if (name.endsWith('.tmp')) {
        // Left by a write that crashed before its rename: the record it was replacing is still whole.
        rmSync(join(this.dir, name), { force: true });
        continue;
      }
      const commandId = commandIdOfFile(name);
      if (commandId === undefined) continue;
      const path = join(this.dir, name);
      let problem: string | undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(path, 'utf8'));
        problem = entryProblem(parsed, commandId);
      } catch (err) {
        problem = (err as Error).message;
      }
      if (problem === undefined) this.entries.set(commandId, parsed as JournalEntry);
      else this.setAside(path, commandId, problem);
    }
  }

  /** Moves a damaged record out of the way so it is neither read again nor overwritten. */
  private setAside(path: string, commandId: string, problem: string): void {
    let n = 1;
    while (existsSync(`${path}.damaged-${n}`)) n++;
    const target = `${path}.damaged-${n}`;
    const mayHaveRun = this.ledger.has(commandId);
    try {
      renameSync(path, target);
      this.log.error({ commandId, file: path, movedTo: target, problem, mayHaveRun }, 'journal: damaged record moved aside');
    } catch (err) {
      this.log.error({ commandId, file: path, problem, mayHaveRun, err: (err as Error).message }, 'journal: damaged record could not be moved aside; ignored');
    }
  }

  /**
   * A record in `running` means the agent died mid-run; one in `acknowledged`
   * whose id is in the ledger died between the two fsyncs of start(). Either
   * may have touched the host: report failed, never re-run.
   */
  private recoverInterrupted(inherited: ReadonlySet<string>): void {
    for (const entry of [...this.entries.values()]) {
      if (entry.state === 'running' && inherited.has(entry.commandId)) continue;
      const interrupted = entry.state === 'running' || (entry.state === 'acknowledged' && this.ledger.has(entry.commandId));
      if (!interrupted) continue;
      const error: CommandError = { code: Errors.COMMAND_INTERRUPTED.code, message: `the agent stopped while ${entry.commandId} was ${entry.state}; it is not run again` };
      this.finish(entry.commandId, 'failed', error);
      this.log.warn({ commandId: entry.commandId, code: error.code, was: entry.state }, 'command interrupted by an agent restart');
    }
  }
}
