/**
 * What the command processor calls to act on the host. Platform code
 * (agent/src/act/...) adapts its own results to {@link ExecOutcome}.
 */
import type { CommandResult, SignedCommand } from '@patchfleet/shared';
import { Errors, isPfError } from '@patchfleet/shared/errors';

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
  /**
   * Replaces this agent with a signed newer release (agent/src/update). Only
   * an agent running as its single executable has it; without it the
   * processor refuses update-agent with PF_ERR_COMMAND_UNSUPPORTED.
   */
  updateAgent?(command: SignedCommand): Promise<ExecOutcome>;
}

/** What every executor result carries (the Linux ExecResult; the Windows one extends it). */
interface ExecResultLike {
  ok: boolean;
  error?: { code: string; message: string } | undefined;
  replaced: { name: string; from: string | null; to: string | null }[];
  rebootRequired: boolean;
  output: string;
  exitCode: number | null;
  durationMs: number;
}

/** An executor's result as the processor reports it. */
export function outcomeOf(res: ExecResultLike): ExecOutcome {
  return {
    ok: res.ok,
    ...(res.error ? { error: { code: res.error.code, message: res.error.message } } : {}),
    result: { replaced: res.replaced, rebootRequired: res.rebootRequired, exitCode: res.exitCode, output: res.output, durationMs: res.durationMs },
  };
}

/** A thrown error as a failed outcome: its PF_ERR code, or PF_ERR_COMMAND_FAILED. */
export function outcomeOfError(err: unknown): ExecOutcome {
  if (isPfError(err)) return { ok: false, error: { code: err.code, message: err.message }, result: {} };
  return { ok: false, error: { code: Errors.COMMAND_FAILED.code, message: (err as Error)?.message ?? String(err) }, result: {} };
}
