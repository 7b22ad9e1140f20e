/**
 * The new agent's side of a self-update. At start, `pending.json` naming this
 * version means this process is on probation: the update-agent command the
 * old process started stays `running` in the shared journal (not
 * interrupted), no other command runs yet (the old one could still take
 * over), and once the link is healthy (the controller acknowledged the first
 * report) the confirmation is written, the command finishes `succeeded` and
 * held commands run. pending.json naming another version means the update
 * did not take (the old agent runs again): it is cleared, and the journal
 * reports the command interrupted unless the old process already failed it.
 */
import type { Logger } from 'pino';
import type { CommandProcessor } from '../commands/processor';
import { clearPending, readConfirmation, readPending, writeConfirmation, type PendingUpdate } from './pending';

export class UpdateCandidate {
  private done = false;

  private constructor(
    private readonly stateDir: string,
    readonly pending: PendingUpdate,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /**
   * The probation this process is on, if any. Clears a pending update meant
   * for another version (one that did not take).
   */
  static atStart(stateDir: string, version: string, log: Logger, now: () => number): UpdateCandidate | undefined {
    const pending = readPending(stateDir);
    if (!pending) return undefined;
    if (pending.to !== version) {
      log.warn({ commandId: pending.commandId, from: pending.from, to: pending.to, running: version }, 'an agent update did not take; this version runs');
      clearPending(stateDir);
      return undefined;
    }
    return new UpdateCandidate(stateDir, pending, log.child({ commandId: pending.commandId, from: pending.from, to: pending.to }), now);
  }

  /** True when an earlier run of this version already confirmed (e.g. systemd restarted it once the old one exited). */
  get alreadyConfirmed(): boolean {
    return readConfirmation(this.stateDir, this.pending.commandId) !== undefined;
  }

  /**
   * Confirms (once): writes the marker the old agent waits for, finishes the
   * command succeeded and lets held commands run.
   */
  confirm(processor: CommandProcessor | undefined): void {
    if (this.done) return;
    this.done = true;
    if (!this.alreadyConfirmed) writeConfirmation(this.stateDir, { commandId: this.pending.commandId, version: this.pending.to, at: this.now() });
    const finished = processor?.finishInherited(this.pending.commandId, 'succeeded', undefined, {
      output: `patchfleet-agent updated from ${this.pending.from} to ${this.pending.to}`,
    });
    clearPending(this.stateDir);
    processor?.release();
    this.log.info({ finished }, 'agent update confirmed: this version stays');
  }
}
