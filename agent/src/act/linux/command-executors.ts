/**
 * The Linux agent's executors for signed commands: install exact versions
 * and roll back with apt/dpkg (indexes refreshed first), reboot with
 * shutdown(8) when the agent allows it.
 */
import type { SignedCommand } from '@patchfleet/shared';
import type { Clock } from '@patchfleet/shared/clock';
import { runCommand } from '../../collect/run-command';
import { outcomeOf, outcomeOfError, type CommandExecutors, type ExecOutcome } from '../../commands/executors';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { installPackages, rollback, updateIndexes, type ExecOptions, type ExecResult } from './executor';

export interface LinuxExecutorOptions {
  dpkgRoot?: string | undefined;
  aptConfigFile?: string | undefined;
  /** Limit for one apt-get run. */
  timeoutMs: number;
  lockTimeoutSec: number;
  /** Reboot on command; off unless the operator starts the agent with --allow-reboot. */
  allowReboot: boolean;
  clock: Clock;
  /** Called after an install or rollback changed packages (the agent then reports its inventory). */
  onPackagesChanged?: () => void;
}

/** `shutdown -r +N "reason"`: minutes, at least one, so the status reaches the controller before the host goes down. */
export function rebootCommand(delaySec: number, reason: string): { file: string; args: string[] } {
  const minutes = Math.max(1, Math.ceil(delaySec / 60));
  // The reason goes to wall(1); keep it one printable line.
  const text = reason.replace(/[^\x20-\x7e]/g, ' ').slice(0, 200);
  return { file: 'shutdown', args: ['-r', `+${minutes}`, text] };
}

export function linuxExecutors(opts: LinuxExecutorOptions): CommandExecutors {
  const base: ExecOptions = {
    timeoutMs: opts.timeoutMs,
    lockTimeoutSec: opts.lockTimeoutSec,
    clock: opts.clock,
    ...(opts.dpkgRoot ? { dpkgRoot: opts.dpkgRoot } : {}),
    ...(opts.aptConfigFile ? { aptConfigFile: opts.aptConfigFile } : {}),
  };
  /** Refreshes the indexes, then runs the change; reports changed packages so the agent re-reports its inventory. */
  const withFreshIndexes = async (change: () => Promise<ExecResult>): Promise<ExecOutcome> => {
    try {
      const update = await updateIndexes(base);
      if (!update.ok) return outcomeOf(update);
      const res = await change();
      if (res.replaced.length > 0) opts.onPackagesChanged?.();
      return outcomeOf(res);
    } catch (err) {
      return outcomeOfError(err);
    }
  };
  return {
    install(command: SignedCommand) {
      const packages = command.params.packages;
      if (!packages) return Promise.resolve(outcomeOfError(new PfError(Errors.COMMAND_UNSUPPORTED, 'this Linux agent installs packages, not KBs')));
      return withFreshIndexes(() => installPackages({ ...base, packages }));
    },
    rollback(command: SignedCommand) {
      const replaced = command.params.replaced;
      if (!replaced) return Promise.resolve(outcomeOfError(new PfError(Errors.COMMAND_UNSUPPORTED, 'this Linux agent rolls back recorded package versions, not KBs')));
      return withFreshIndexes(() => rollback({ ...base, replaced }));
    },
    async reboot(command: SignedCommand) {
      if (!opts.allowReboot) {
        return outcomeOfError(new PfError(Errors.REBOOT_DISABLED, 'this agent was started without --allow-reboot; the host was not rebooted'));
      }
      const cmd = rebootCommand(command.params.delaySec ?? 60, command.params.reason ?? 'Patchfleet: reboot after patching');
      try {
        const res = await runCommand(cmd.file, cmd.args, { timeoutMs: 30_000 });
        if (res.code !== 0) return { ok: false, error: { code: Errors.COMMAND_FAILED.code, message: `shutdown exited ${res.code ?? 'by signal'}: ${res.stderr.trim().slice(0, 300)}` }, result: { exitCode: res.code } };
        return { ok: true, result: { exitCode: 0, output: `${res.stdout}${res.stderr}`.slice(0, 4000) } };
      } catch (err) {
        return outcomeOfError(err);
      }
    },
  };
}
