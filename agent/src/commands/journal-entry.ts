/**
 * One journal record (`<stateDir>/journal/<commandId>.json`): the signed
 * command as received, where it stands, and whether the controller has
 * stored its terminal status. Also the mapping from command ids to file
 * names, and the shape check applied when a file is read back.
 */
import { AGENT_COMMAND_STATES, type AgentCommandState, type CommandResult, type SignedCommand } from '@patchfleet/shared';

/** Error carried by a status: the wire's `{ code, message }`. */
export interface CommandError {
  code: string;
  message: string;
}

/** A journal record. Times are agent clock, ms since epoch. */
export interface JournalEntry {
  /** Format version of this file. */
  v: 1;
  commandId: string;
  /** The command exactly as signed (kept so the record can be re-verified or audited). */
  command: SignedCommand;
  /** The controller's signature over it, base64. */
  signature: string;
  state: AgentCommandState;
  /** When the command was received. */
  receivedAt: number;
  /** When the current `state` was reached: the status frame's `at`. */
  stateAt: number;
  /** When the executor was called. */
  startedAt?: number;
  /** When a terminal state was reached. */
  finishedAt?: number;
  error?: CommandError;
  result?: CommandResult;
  /** The controller has stored the terminal status (commandReceipt): stop repeating it. */
  receipted: boolean;
  receiptedAt?: number;
}

/** The wire pattern of ids (shared/src/protocol/command.ts); checked before an id names a file. */
export const COMMAND_ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** True when `id` is a command id as the wire allows it. */
export function isCommandId(id: unknown): id is string {
  return typeof id === 'string' && COMMAND_ID_RE.test(id);
}

const KEEP_RE = /[a-z0-9_.-]/;
// Windows opens a device instead of a file for these names, whatever the extension.
const WINDOWS_DEVICE_RE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/;

/**
 * File name of a command's record: `<commandId>.json` for lower-case ids;
 * any other character becomes `%XX`. Why: ':' names an NTFS alternate data
 * stream and Windows/macOS file systems fold case, so two distinct ids must
 * never share a file. `%` is outside the id alphabet, so the mapping is
 * reversible and cannot collide. The id must already match {@link COMMAND_ID_RE}.
 */
export function entryFileName(commandId: string): string {
  if (!isCommandId(commandId)) throw new TypeError('not a command id');
  let out = '';
  for (const ch of commandId) out += KEEP_RE.test(ch) ? ch : `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  if (WINDOWS_DEVICE_RE.test(out)) out = `%${out.charCodeAt(0).toString(16).toUpperCase()}${out.slice(1)}`;
  return `${out}.json`;
}

const ENTRY_FILE_RE = /^((?:[a-z0-9_.-]|%[0-9A-F]{2}){1,192})\.json$/;

/** The command id a journal file name stands for, or undefined for any other file. */
export function commandIdOfFile(name: string): string | undefined {
  const m = ENTRY_FILE_RE.exec(name);
  if (!m?.[1]) return undefined;
  const id = m[1].replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return isCommandId(id) && entryFileName(id) === name ? id : undefined;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Says what is wrong with a parsed journal file, or undefined when it is a
 * record of `commandId`. Only what the agent relies on is checked: the
 * command was verified before it was written.
 */
export function entryProblem(value: unknown, commandId: string): string | undefined {
  if (!isObj(value)) return 'not a JSON object';
  if (value.v !== 1) return `unknown format version ${String(value.v).slice(0, 20)}`;
  if (value.commandId !== commandId) return 'commandId does not match the file name';
  const cmd = value.command;
  if (!isObj(cmd) || cmd.commandId !== commandId) return 'command missing or for another id';
  if (typeof cmd.action !== 'string' || !isNum(cmd.notAfter) || !isNum(cmd.issuedAt) || !isObj(cmd.params)) return 'command fields missing';
  if (typeof value.signature !== 'string') return 'signature missing';
  if (!(AGENT_COMMAND_STATES as readonly unknown[]).includes(value.state)) return 'unknown state';
  if (!isNum(value.receivedAt) || !isNum(value.stateAt)) return 'timestamps missing';
  if (typeof value.receipted !== 'boolean') return 'receipted missing';
  if (value.error !== undefined && (!isObj(value.error) || typeof value.error.code !== 'string' || typeof value.error.message !== 'string')) return 'bad error';
  if (value.result !== undefined && !isObj(value.result)) return 'bad result';
  return undefined;
}
