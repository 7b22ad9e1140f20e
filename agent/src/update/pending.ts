/**
 * The files a self-update leaves in `<state-dir>/update/`:
 * - `pending.json` {from, to, commandId, deadline, exe}: written by the old
 *   agent right before it starts the new executable; the new agent knows
 *   from it that it is on probation and which command it is to finish.
 * - `confirmed.json` {commandId, version, at}: written by the new agent once
 *   its session is healthy; the old agent waits for it, then exits.
 * - `staged-<version>`: the downloaded, verified executable.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@patchfleet/shared';

export interface PendingUpdate {
  from: string;
  to: string;
  commandId: string;
  /** ms since epoch: the old agent reverts if no confirmation came by then. */
  deadline: number;
  /** The executable path that was swapped. */
  exe: string;
}

export interface UpdateConfirmation {
  commandId: string;
  version: string;
  at: number;
}

export function updateDir(stateDir: string): string {
  return join(stateDir, 'update');
}

export function ensureUpdateDir(stateDir: string): string {
  const dir = updateDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

const pendingPath = (stateDir: string) => join(updateDir(stateDir), 'pending.json');
const confirmedPath = (stateDir: string) => join(updateDir(stateDir), 'confirmed.json');

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined; // half-written or damaged: treated as absent (writes are atomic, so only tampering gets here)
  }
}

export function readPending(stateDir: string): PendingUpdate | undefined {
  const p = readJson<PendingUpdate>(pendingPath(stateDir));
  return p && typeof p.commandId === 'string' && typeof p.to === 'string' && typeof p.from === 'string' ? p : undefined;
}

export function writePending(stateDir: string, pending: PendingUpdate): void {
  ensureUpdateDir(stateDir);
  writeFileAtomic(pendingPath(stateDir), `${JSON.stringify(pending)}\n`, 0o600);
}

export function clearPending(stateDir: string): void {
  rmSync(pendingPath(stateDir), { force: true });
}

/** The confirmation of `commandId`, if the new agent wrote it. */
export function readConfirmation(stateDir: string, commandId: string): UpdateConfirmation | undefined {
  const c = readJson<UpdateConfirmation>(confirmedPath(stateDir));
  return c?.commandId === commandId ? c : undefined;
}

export function writeConfirmation(stateDir: string, confirmation: UpdateConfirmation): void {
  ensureUpdateDir(stateDir);
  writeFileAtomic(confirmedPath(stateDir), `${JSON.stringify(confirmation)}\n`, 0o600);
}

export function clearConfirmation(stateDir: string): void {
  rmSync(confirmedPath(stateDir), { force: true });
}
