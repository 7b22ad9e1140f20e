/**
 * The agent's side of signed commands: verifies each `command` frame, keeps
 * the journal, runs accepted commands one at a time (FIFO) and reports every
 * state as a `commandStatus` body. The journal is the truth; `send` may fail
 * while offline and {@link CommandProcessor.resendPending} catches up after a
 * reconnect.
 */
import { canonicalJson, isTerminalAgentState, type Body, type CommandResult, type SignedCommand, toStorable } from '@patchfleet/shared';
import type { Clock } from '@patchfleet/shared/clock';
import type { Logger } from 'pino';
import { Errors, isPfError, type PfError } from '@patchfleet/shared/errors';
import type { CommandExecutors, ExecOutcome } from './executors';
import { Journal, type TerminalState } from './journal';
import { isCommandId, type CommandError, type JournalEntry } from './journal-entry';
import { DEFAULT_MAX_CLOCK_SKEW_MS, verifyCommand, type CommandEnvelope } from './verify';

/** Body of a `commandStatus` frame (the link adds the envelope). */
export type CommandStatusBody = Body<'commandStatus'>;

/** What a {@link CommandProcessor} needs. */
export interface CommandProcessorOptions {
  stateDir: string;
  agentId: string;
  /** The controller's command public key (base64), pinned at enrollment. */
  commandKey: string;
  clock: Clock;
  log: Logger;
  executors: CommandExecutors;
  /** Sends a status to the controller. May throw or reject when offline: the journal keeps the truth. */
  send(status: CommandStatusBody): void | Promise<void>;
  /** Defaults to {@link DEFAULT_MAX_CLOCK_SKEW_MS}. */
  maxClockSkewMs?: number;
  /** How long past `notAfter` receipted records are kept; defaults to 7 days. */
  retentionMs?: number;
  /** An update-agent command a previous agent process left running for this one to finish (see {@link CommandProcessor.finishInherited}). */
  inheritRunning?: string;
  /**
   * Start held: accepted commands are journaled but none runs until
   * {@link CommandProcessor.release} (a new agent that may still be reverted
   * must not start anything the old one could run again).
   */
  hold?: boolean;
}

/** What {@link CommandProcessor.receive} did with a frame. */
export interface ReceiveOutcome {
  commandId: string;
  outcome: 'accepted' | 'replayed' | 'refused';
  /** Why it was refused (or, for a replay, PF_ERR_COMMAND_REPLAYED). */
  error?: CommandError;
}

// Limits of the commandStatus frame (shared/src/protocol/messages.ts, command.ts): a status the
// controller's codec refuses would be re-sent forever.
const ERROR_CODE_RE = /^PF_ERR_[A-Z0-9_]+$/;
const MAX_ERROR_CODE = 64;
const MAX_ERROR_MESSAGE = 2048;
const MAX_OUTPUT = 65_536;

/** Verifies, journals and runs signed commands, serially. */
export class CommandProcessor {
  private readonly journal: Journal;
  private readonly agentId: string;
  private readonly commandKey: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly executors: CommandExecutors;
  private readonly sendStatus: (status: CommandStatusBody) => void | Promise<void>;
  private readonly maxClockSkewMs: number;
  private readonly queue: string[] = [];
  private draining: Promise<void> | undefined;
  private held: boolean;

  /**
   * Opens the journal in `stateDir` (records left `running` become failed
   * PF_ERR_COMMAND_INTERRUPTED) and queues records still `acknowledged`:
   * they were accepted but never started, so running them now is still
   * at-most-once. Throws PfError STATE_DIR when the journal is unusable.
   */
  constructor(opts: CommandProcessorOptions) {
    this.agentId = opts.agentId;
    this.commandKey = opts.commandKey;
    this.clock = opts.clock;
    this.log = opts.log.child({ component: 'commands', agentId: opts.agentId });
    this.executors = opts.executors;
    this.sendStatus = opts.send;
    this.maxClockSkewMs = opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
    this.held = opts.hold === true;
    this.journal = Journal.open({
      stateDir: opts.stateDir,
      clock: opts.clock,
      log: this.log,
      ...(opts.retentionMs !== undefined ? { retentionMs: opts.retentionMs } : {}),
      ...(opts.inheritRunning !== undefined ? { inheritRunning: [opts.inheritRunning] } : {}),
    });
    for (const entry of this.journal.list()) {
      if (entry.state !== 'acknowledged') continue;
      this.log.info({ commandId: entry.commandId, action: entry.command.action }, 'command accepted before a restart: queued');
      this.queue.push(entry.commandId);
    }
    if (this.queue.length > 0) this.kick();
  }

  /**
   * Handles a `command` frame. A known id (journal or executed-ids ledger) is
   * never run again: its current status is re-sent instead. A refused
   * command is journaled only when its signature verified, so forgeries can
   * neither fill the disk nor block a real id.
   */
  receive(frame: CommandEnvelope): ReceiveOutcome {
    const command = frame.command;
    const commandId = command?.commandId;
    if (!isCommandId(commandId)) {
      // No status can name a malformed id; the link's codec should never let one through.
      this.log.warn({ commandId: String(commandId).slice(0, 80) }, 'command frame with a malformed id dropped');
      return { commandId: String(commandId), outcome: 'refused', error: { code: Errors.BAD_INPUT.code, message: 'malformed command id' } };
    }
    const verdict = verifyCommand(frame, { agentId: this.agentId, commandKey: this.commandKey, now: this.clock.now(), maxClockSkewMs: this.maxClockSkewMs });

    // The journal comes before the verdict: a command that ran and later expired must still
    // report its real outcome when the controller re-sends it, never "refused".
    if (this.journal.knows(commandId)) return this.replayed(frame, verdict.ok ? undefined : verdict.error);

    if (!verdict.ok) return this.refuse(command, frame.signature, toCommandError(verdict.error), verdict.signatureValid);
    if (command.action === 'update-agent' && !this.executors.updateAgent) {
      const message =
        'update-agent needs the agent single executable (patchfleet-agent-linux-x64 or -win-x64.exe, built with a pinned release key) on linux-x64 or win-x64; this agent runs from the JavaScript bundle or from source, or on another platform';
      return this.refuse(command, frame.signature, { code: Errors.COMMAND_UNSUPPORTED.code, message }, true);
    }

    let entry: JournalEntry;
    try {
      entry = this.journal.record(command, frame.signature, 'acknowledged');
    } catch (err) {
      // Not journaled means it must not run; the refusal is not journaled either (it could not be).
      this.log.error({ commandId, err: (err as Error).message }, 'cannot journal command: refused');
      const error = { code: Errors.STATE_DIR.code, message: clip(`cannot journal the command: ${(err as Error).message}`, MAX_ERROR_MESSAGE) };
      this.emit({ commandId, state: 'refused', at: this.clock.now(), error });
      return { commandId, outcome: 'refused', error };
    }
    this.log.info({ commandId, action: command.action, target: command.target }, 'command accepted');
    this.emit(statusOf(entry));
    this.queue.push(commandId);
    this.kick();
    return { commandId, outcome: 'accepted' };
  }

  /**
   * Re-sends, after a (re)connect, the status of every record the controller
   * has not receipted: terminal ones until receipted, and the current state
   * of commands still queued or running. Returns how many were sent.
   */
  resendPending(): number {
    try {
      this.journal.prune();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'journal prune failed');
    }
    let sent = 0;
    for (const entry of this.journal.list()) {
      if (entry.receipted) continue;
      this.emit(statusOf(entry));
      sent++;
    }
    return sent;
  }

  /**
   * Records that the controller stored the terminal status of `commandId`
   * (a `commandReceipt`). Returns false when nothing was marked (unknown id,
   * non-terminal record, or the write failed: the status is then repeated
   * and receipted again).
   */
  receipted(commandId: string): boolean {
    try {
      const marked = this.journal.markReceipted(commandId);
      if (!marked) this.log.debug({ commandId }, 'receipt for an unknown or unfinished command ignored');
      return marked;
    } catch (err) {
      this.log.warn({ commandId, err: (err as Error).message }, 'cannot journal a receipt');
      return false;
    }
  }

  /**
   * Finishes a command a previous agent process started and left running
   * for this one (update-agent, once the new agent confirmed). Returns false
   * when the journal holds no such running command.
   */
  finishInherited(commandId: string, state: TerminalState, error?: CommandError, result?: CommandResult): boolean {
    if (this.journal.get(commandId)?.state !== 'running') return false;
    this.terminal(commandId, state, error, result);
    return true;
  }

  /** Lets held commands run (see {@link CommandProcessorOptions.hold}). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.queue.length > 0) this.kick();
  }

  /** Resolves once no command is queued or running. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Every journal record, oldest first, for the CLI `status` view. */
  list(): JournalEntry[] {
    return this.journal.list();
  }

  private replayed(frame: CommandEnvelope, verifyError: PfError | undefined): ReceiveOutcome {
    const commandId = frame.command.commandId;
    const entry = this.journal.get(commandId);
    // A different command under a known id is a controller bug or an attack; either way it does not run.
    const differs = entry ? !sameCommand(entry.command, frame.command) : undefined;
    this.log.warn(
      { commandId, code: Errors.COMMAND_REPLAYED.code, state: entry?.state ?? 'unknown', differs, verifyCode: verifyError?.code },
      'command id already received: not run again; status re-sent',
    );
    if (entry) {
      this.emit(statusOf(entry));
    } else {
      // Only the ledger knows it: its record was damaged. It may have run; say so, terminally.
      this.emit({ commandId, state: 'failed', at: this.clock.now(), error: { code: Errors.COMMAND_JOURNAL_DAMAGED.code, message: Errors.COMMAND_JOURNAL_DAMAGED.message } });
    }
    return { commandId, outcome: 'replayed', error: { code: Errors.COMMAND_REPLAYED.code, message: Errors.COMMAND_REPLAYED.message } };
  }

  private refuse(command: SignedCommand, signature: string, error: CommandError, signatureValid: boolean): ReceiveOutcome {
    const { commandId } = command;
    this.log.warn({ commandId, code: error.code, reason: error.message, journaled: signatureValid }, 'command refused');
    let at = this.clock.now();
    if (signatureValid) {
      try {
        at = this.journal.record(command, signature, 'refused', error).stateAt;
      } catch (err) {
        this.log.error({ commandId, err: (err as Error).message }, 'cannot journal a refusal');
      }
    }
    this.emit({ commandId, state: 'refused', at, error });
    return { commandId, outcome: 'refused', error };
  }

  private kick(): void {
    if (this.draining || this.held) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) this.kick(); // queued between the loop's end and this callback
    });
  }

  private async drain(): Promise<void> {
    // Let receive() return (its `acknowledged` status is already out) before the first run starts.
    await Promise.resolve();
    for (let id = this.queue.shift(); id !== undefined; id = this.queue.shift()) {
      try {
        await this.run(id);
      } catch (err) {
        this.log.error({ commandId: id, err: (err as Error).message }, 'command processing failed unexpectedly');
      }
    }
  }

  private async run(commandId: string): Promise<void> {
    const queued = this.journal.get(commandId);
    if (!queued || queued.state !== 'acknowledged') return;
    const { command } = queued;
    if (this.clock.now() > command.notAfter) {
      // It waited (behind other commands or across a restart) past its window: acting now would not be what was signed for.
      this.terminal(commandId, 'refused', { code: Errors.COMMAND_EXPIRED.code, message: `command expired at ${command.notAfter} before it could start` });
      return;
    }

    let running: JournalEntry;
    try {
      running = this.journal.start(commandId);
    } catch (err) {
      this.log.error({ commandId, err: (err as Error).message }, 'cannot journal the start of a command: not run');
      this.terminal(commandId, 'failed', { code: Errors.STATE_DIR.code, message: clip(`cannot journal the start: ${(err as Error).message}`, MAX_ERROR_MESSAGE) });
      return;
    }
    this.emit(statusOf(running));
    this.log.info({ commandId, action: command.action, target: command.target }, 'command running');

    const outcome = await this.execute(command);
    const result = cleanResult(outcome.result, this.clock.now() - (running.startedAt ?? running.stateAt));
    if (outcome.ok) this.terminal(commandId, 'succeeded', undefined, result);
    else this.terminal(commandId, 'failed', cleanError(outcome.error), result);
  }

  /** Calls the executor; a throw becomes a failed outcome with the error's code. */
  private async execute(command: SignedCommand): Promise<ExecOutcome> {
    try {
      switch (command.action) {
        case 'install':
          return await this.executors.install(command);
        case 'rollback':
          return await this.executors.rollback(command);
        case 'reboot':
          return await this.executors.reboot(command);
        case 'update-agent':
          if (this.executors.updateAgent) return await this.executors.updateAgent(command);
          return { ok: false, error: { code: Errors.COMMAND_UNSUPPORTED.code, message: 'update-agent is not supported by this agent' }, result: {} };
        default:
          return { ok: false, error: { code: Errors.COMMAND_UNSUPPORTED.code, message: `action ${command.action} is not supported` }, result: {} };
      }
    } catch (err) {
      const code = isPfError(err) ? err.code : Errors.COMMAND_FAILED.code;
      return { ok: false, error: { code, message: err instanceof Error ? err.message : String(err) }, result: {} };
    }
  }

  /** Journals and sends a terminal state. A journal failure is logged: the record stays `running` and becomes INTERRUPTED on restart. */
  private terminal(commandId: string, state: TerminalState, error?: CommandError, result?: CommandResult): void {
    let status: CommandStatusBody = { commandId, state, at: this.clock.now(), ...(error ? { error } : {}), ...(result ? { result } : {}) };
    try {
      status = statusOf(this.journal.finish(commandId, state, error, result));
    } catch (err) {
      this.log.error({ commandId, state, err: (err as Error).message }, 'cannot journal the outcome of a command');
    }
    const level = state === 'succeeded' ? 'info' : 'warn';
    this.log[level]({ commandId, state, code: error?.code }, `command ${state}`);
    this.emit(status);
  }

  /** Sends without letting a dead link break processing: the journal re-sends later. */
  private emit(status: CommandStatusBody): void {
    const onError = (err: unknown): void => {
      this.log.debug({ commandId: status.commandId, state: status.state, err: (err as Error)?.message }, 'command status not sent (offline?)');
    };
    try {
      // A tool's output may hold a NUL: the controller would refuse the status, and the journal would repeat it forever.
      const pending = this.sendStatus(toStorable(status));
      if (pending && typeof pending.then === 'function') pending.then(undefined, onError);
    } catch (err) {
      onError(err);
    }
  }
}

/** The status frame body a record stands for. */
export function statusOf(entry: JournalEntry): CommandStatusBody {
  return {
    commandId: entry.commandId,
    state: entry.state,
    at: entry.stateAt,
    ...(entry.error ? { error: entry.error } : {}),
    ...(entry.result && isTerminalAgentState(entry.state) ? { result: entry.result } : {}),
  };
}

function sameCommand(a: SignedCommand, b: SignedCommand): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false; // b has no canonical form (a forgery): it cannot be the journaled command
  }
}

function toCommandError(err: PfError): CommandError {
  return { code: err.code, message: clip(err.message, MAX_ERROR_MESSAGE) };
}

/** Keeps an executor's error within the wire's limits; a code outside the registry's shape becomes COMMAND_FAILED. */
function cleanError(error: ExecOutcome['error']): CommandError {
  if (!error) return { code: Errors.COMMAND_FAILED.code, message: 'executor reported failure without an error' };
  const codeOk = typeof error.code === 'string' && error.code.length <= MAX_ERROR_CODE && ERROR_CODE_RE.test(error.code);
  const message = codeOk ? String(error.message) : `${String(error.code).slice(0, 64)}: ${String(error.message)}`;
  return { code: codeOk ? error.code : Errors.COMMAND_FAILED.code, message: clip(message, MAX_ERROR_MESSAGE) };
}

/** Keeps only the wire's result fields, within its limits; fills `durationMs` when the executor did not. */
function cleanResult(result: CommandResult | undefined, elapsedMs: number): CommandResult {
  const r = result ?? {};
  const out: CommandResult = {};
  if (r.replaced !== undefined) out.replaced = r.replaced;
  if (r.rebootRequired !== undefined) out.rebootRequired = r.rebootRequired;
  if (r.exitCode !== undefined) out.exitCode = r.exitCode === null ? null : Math.trunc(r.exitCode);
  if (r.output !== undefined) out.output = clip(r.output, MAX_OUTPUT);
  const duration = r.durationMs ?? elapsedMs;
  out.durationMs = Math.max(0, Math.round(Number.isFinite(duration) ? duration : 0));
  return out;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
