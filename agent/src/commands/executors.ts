/**
 * What the command processor calls to act on the host. Platform code
 * (agent/src/act/...) adapts its own results to {@link ExecOutcome}.
 */
import type { CommandResult, SignedCommand } from '@patchfleet/shared';

/** Outcome of one executor call. `ok: false` needs an `error` with a PF_ERR_* code. */
export interface ExecOutcome {
  ok: boolean;
  error?: { code: string; message: string };
  result: CommandResult;
}

/**
 * One executor per action the agent carries out. A `reboot` executor must
 * schedule the reboot and return: if the host goes down while it is still
 * running, the journal can only say PF_ERR_COMMAND_INTERRUPTED.
 */
export interface CommandExecutors {
  install(command: SignedCommand): Promise<ExecOutcome>;
  rollback(command: SignedCommand): Promise<ExecOutcome>;
  reboot(command: SignedCommand): Promise<ExecOutcome>;
}
