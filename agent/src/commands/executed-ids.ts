/**
 * The executed-ids ledger: `<stateDir>/journal/executed-ids`, one line
 * `<commandId> <notAfter>` per command that may have started, appended and
 * fsynced BEFORE the journal says `running` and before the executor is
 * called. It is the backstop of at-most-once: when a journal record is
 * damaged and moved aside, the ledger still says the id may have run, so it
 * never runs again. Lines of commands expired for longer than the retention
 * are dropped on open (expiry then refuses a replay on its own).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@patchfleet/shared';
import type { Logger } from 'pino';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { isCommandId } from './journal-entry';

/** File name of the ledger inside the journal directory. */
export const EXECUTED_IDS_FILE = 'executed-ids';

// A line whose notAfter cannot be read is kept for good: better an id blocked forever than run twice.
const KEEP_FOREVER = Number.MAX_SAFE_INTEGER;

/** Append-only set of command ids that may have started. */
export class ExecutedIds {
  private readonly path: string;
  private readonly ids = new Map<string, number>();

  private constructor(dir: string) {
    this.path = join(dir, EXECUTED_IDS_FILE);
  }

  /**
   * Reads the ledger in `dir` (creating it empty), repairs a torn last line
   * and drops lines whose `notAfter` is before `pruneBefore`.
   */
  static open(dir: string, pruneBefore: number, log: Logger): ExecutedIds {
    const ledger = new ExecutedIds(dir);
    let text = '';
    try {
      if (existsSync(ledger.path)) text = readFileSync(ledger.path, 'utf8');
    } catch (err) {
      throw new PfError(Errors.STATE_DIR, `cannot read ${ledger.path}: ${(err as Error).message}`);
    }
    const lines = text.split('\n');
    // The last piece is '' after a final newline; anything else is a torn append whose fsync never
    // returned, so that command never started: drop it (and rewrite, or the next append would glue onto it).
    const torn = lines.pop() ?? '';
    let rewrite = torn !== '' || !existsSync(ledger.path);
    for (const line of lines) {
      const [id, notAfterText] = line.split(' ');
      if (!isCommandId(id)) {
        if (line.trim() !== '') log.warn({ file: ledger.path, line: line.slice(0, 100) }, 'executed-ids: unreadable line dropped');
        rewrite ||= line.trim() !== '';
        continue;
      }
      const notAfter = Number(notAfterText);
      const keepUntil = Number.isSafeInteger(notAfter) ? notAfter : KEEP_FOREVER;
      if (keepUntil < pruneBefore) {
        rewrite = true;
        continue;
      }
      ledger.ids.set(id, Math.max(keepUntil, ledger.ids.get(id) ?? 0));
    }
    if (torn !== '') log.warn({ file: ledger.path, line: torn.slice(0, 100) }, 'executed-ids: torn last line dropped');
    if (rewrite) ledger.rewrite();
    return ledger;
  }

  /** True when `commandId` may have started on this host. */
  has(commandId: string): boolean {
    return this.ids.has(commandId);
  }

  /** Records durably (fsync) that `commandId` is about to start. Throws PfError STATE_DIR when it cannot. */
  add(commandId: string, notAfter: number): void {
    if (!isCommandId(commandId)) throw new TypeError('not a command id');
    let fd: number | undefined;
    try {
      // The file exists (open() creates it and fsyncs the directory), so fsyncing the file is enough.
      fd = openSync(this.path, 'a', 0o600);
      writeSync(fd, `${commandId} ${Math.floor(notAfter)}\n`);
      fsyncSync(fd);
    } catch (err) {
      throw new PfError(Errors.STATE_DIR, `cannot append to ${this.path}: ${(err as Error).message}`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    this.ids.set(commandId, notAfter);
  }

  private rewrite(): void {
    const body = [...this.ids].map(([id, notAfter]) => `${id} ${notAfter}\n`).join('');
    try {
      writeFileAtomic(this.path, body, 0o600);
    } catch (err) {
      throw new PfError(Errors.STATE_DIR, `cannot write ${this.path}: ${(err as Error).message}`);
    }
  }
}
