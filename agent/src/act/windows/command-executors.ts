/**
 * The Windows agent's executors for signed commands: install a KB through
 * the Windows Update Agent (or a given .msu), roll back with wusa/DISM,
 * reboot with shutdown.exe when the agent allows it. Never run on Windows
 * here: see the README and fixtures/README.md.
 */
import type { SignedCommand } from '@patchfleet/shared';
import type { Clock } from '@patchfleet/shared/clock';
import { outcomeOf, outcomeOfError, type CommandExecutors, type ExecOutcome } from '../../commands/executors';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { installKb, installMsu, restartHost, uninstallKb, type WindowsExecResult } from './executor';

export interface WindowsExecutorOptions {
  /** Limit for one WUA/wusa/DISM run. */
  timeoutMs: number;
  allowReboot: boolean;
  clock: Clock;
  /** The running OS build (`26100.4946`), for removing a combined SSU+LCU package with DISM. */
  currentBuild: () => Promise<string | undefined>;
  onPackagesChanged?: () => void;
}

/** `10.0.26100.4946` (the kernel version the inventory reports) -> `26100.4946`. */
export function buildOfKernel(kernel: string | undefined): string | undefined {
  const m = /^10\.0\.(\d+)\.(\d+)$/.exec(kernel ?? '');
  return m ? `${m[1]}.${m[2]}` : undefined;
}

export function windowsExecutors(opts: WindowsExecutorOptions): CommandExecutors {
  const base = { timeoutMs: opts.timeoutMs, clock: opts.clock };
  const changed = (res: WindowsExecResult): ExecOutcome => {
    if (res.replaced.length > 0) opts.onPackagesChanged?.();
    return outcomeOf(res);
  };
  return {
    async install(command: SignedCommand) {
      const { kb, msuPath } = command.params;
      if (!kb) return outcomeOfError(new PfError(Errors.COMMAND_UNSUPPORTED, 'this Windows agent installs KBs, not Debian packages'));
      try {
        return changed(msuPath ? await installMsu({ ...base, path: msuPath }) : await installKb({ ...base, kb }));
      } catch (err) {
        return outcomeOfError(err);
      }
    },
    async rollback(command: SignedCommand) {
      const { kb } = command.params;
      if (!kb) return outcomeOfError(new PfError(Errors.COMMAND_UNSUPPORTED, 'this Windows agent rolls back KBs, not Debian packages'));
      try {
        const build = await opts.currentBuild();
        return changed(await uninstallKb({ ...base, kb, ...(build ? { build } : {}) }));
      } catch (err) {
        return outcomeOfError(err);
      }
    },
    async reboot(command: SignedCommand) {
      if (!opts.allowReboot) return outcomeOfError(new PfError(Errors.REBOOT_DISABLED, 'this agent was started without --allow-reboot; the host was not restarted'));
      try {
        return outcomeOf(await restartHost({ ...base, delaySec: command.params.delaySec ?? 60, reason: command.params.reason ?? 'Patchfleet: restart after patching' }));
      } catch (err) {
        return outcomeOfError(err);
      }
    },
  };
}
