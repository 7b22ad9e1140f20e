/**
 * One process per embedded database. PGlite serves exactly one process: a
 * second one opening the same `pgdata` (a `catalog import` or `assess` next
 * to a running `serve`) writes pages the first never sees and, on close,
 * deletes the first one's `postmaster.pid`. PGlite's own `postmaster.pid`
 * holds a fixed fake pid (-42), so it cannot tell who is there; this lock
 * file can: `<dataDir>/pgdata.lock` holds the pid, host and command of the
 * process that has the database open, is created exclusively, and is
 * removed on close. A lock whose process is gone (a crash, a kill -9) is
 * taken over.
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PfError, Errors } from '@patchfleet/shared/errors';

/** What the lock file says about its holder. */
export interface DataDirLockHolder {
  pid: number;
  hostname: string;
  /** The CLI command that holds it, e.g. `serve` or `catalog import`. */
  command: string;
  startedAt: string;
}

export interface DataDirLock {
  path: string;
  /** Removes the lock file if it is still ours. */
  release(): void;
}

export function dataDirLockPath(dataDir: string): string {
  return join(dataDir, 'pgdata.lock');
}

/** `serve`, `catalog import`: the words of argv before the first flag. */
function currentCommand(): string {
  const words: string[] = [];
  for (const arg of process.argv.slice(2)) {
    if (arg.startsWith('-') || words.length === 2) break;
    words.push(arg);
  }
  return words.join(' ') || 'node';
}

function readHolder(path: string): DataDirLockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DataDirLockHolder>;
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, hostname: parsed.hostname ?? '', command: parsed.command ?? 'unknown', startedAt: parsed.startedAt ?? '' };
  } catch (err) {
    // Missing (released meanwhile) or half-written by a crash: either way not a holder we can name.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { pid: -1, hostname: '', command: 'unknown (unreadable lock file)', startedAt: '' };
  }
}

/** Whether the holder's process still runs. On another host we cannot tell, so it counts as running. */
function holderAlive(holder: DataDirLockHolder): boolean {
  if (holder.hostname !== '' && holder.hostname !== hostname()) return true;
  if (holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** The controller's URL from its bootstrap.json, to name the fix; undefined before its first start. */
function controllerUrl(dataDir: string): string | undefined {
  const path = join(dataDir, 'bootstrap.json');
  if (!existsSync(path)) return undefined;
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { url?: string }).url;
  } catch {
    return undefined; // the message then gives the flag without a value
  }
}

/** The refusal: who holds the directory, and what to do instead. */
export function dataDirInUseError(dataDir: string, holder: DataDirLockHolder): PfError {
  const who = `${holder.command === 'serve' ? 'a running controller' : `another patchfleet process (${holder.command})`} (pid ${holder.pid}${holder.hostname && holder.hostname !== hostname() ? ` on ${holder.hostname}` : ''})`;
  const url = controllerUrl(dataDir) ?? 'URL';
  const fix =
    holder.command === 'serve'
      ? `Import through the controller instead: pnpm patchfleet catalog import --server ${url} --data-dir ${dataDir} <feed flags>; ` +
        `read through its API (pnpm patchfleet catalog status --server ${url} --data-dir ${dataDir}); or stop the controller first`
      : 'wait for it to finish, then run this again';
  return new PfError(
    Errors.DATA_DIR_IN_USE,
    `${dataDir} is in use by ${who}: its embedded database serves one process, so nothing was read or changed. ${fix}.`,
    { dataDir, holderPid: holder.pid, holderCommand: holder.command },
  );
}

/**
 * Takes the data directory's lock or throws PF_ERR_DATA_DIR_IN_USE naming
 * the holder and the fix. Released by `release()` and, should the process
 * end without closing, on exit.
 */
export function acquireDataDirLock(dataDir: string, now: Date): DataDirLock {
  const path = dataDirLockPath(dataDir);
  const mine: DataDirLockHolder = { pid: process.pid, hostname: hostname(), command: currentCommand(), startedAt: now.toISOString() };
  // Two rounds: a stale lock is removed once, then created; losing that race to another process refuses.
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder !== undefined && holderAlive(holder)) throw dataDirInUseError(dataDir, holder);
      try {
        unlinkSync(path); // its process is gone: a stale lock from a crash
      } catch (unlinkErr) {
        if ((unlinkErr as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkErr;
      }
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(mine)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      process.off('exit', release);
      if (readHolder(path)?.pid !== process.pid) return; // taken over meanwhile: not ours to remove
      try {
        unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    };
    process.on('exit', release);
    return { path, release };
  }
  const holder = readHolder(path) ?? { pid: -1, hostname: '', command: 'unknown', startedAt: '' };
  throw dataDirInUseError(dataDir, holder);
}
