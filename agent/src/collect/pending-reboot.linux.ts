import type { HostFacts } from '@patchfleet/shared/protocol';
import { isPfError } from '@patchfleet/shared/errors';
import { clip } from './clip';
import { findExecutable } from './find-executable';
import { readOptionalText } from './optional-file';
import { runCommand } from './run-command';
import type { WarnFn } from './with-timeout';

export type PendingReboot = HostFacts['pendingReboot'];

const MAX_REASONS = 64;

/**
 * Debian/Ubuntu: apt hooks (update-notifier-common) create
 * /var/run/reboot-required and list the packages that asked for it in
 * /var/run/reboot-required.pkgs. `flag` is the first file's content or
 * undefined when absent; a .pkgs file without the flag is stale and ignored.
 */
export function rebootFromDebianFiles(flag: string | undefined, pkgs: string | undefined): PendingReboot {
  if (flag === undefined) return { required: false, reasons: [] };
  const names = [...new Set((pkgs ?? '').split('\n').map((l) => l.trim()).filter(Boolean))];
  const reasons = names.length > 0 ? names.map((n) => `package ${n}`) : ['/var/run/reboot-required is present'];
  return { required: true, reasons: reasons.slice(0, MAX_REASONS).map((r) => clip(r, 512)) };
}

/**
 * Reads `needs-restarting -r` (dnf-utils / yum-utils): exit 1 means a reboot
 * is needed and the packages responsible are listed as "  * name". dnf also
 * exits 1 on its own errors, so exit 1 only counts when the output says a
 * reboot is required; anything else returns undefined (unknown).
 */
export function rebootFromNeedsRestarting(code: number | null, stdout: string): PendingReboot | undefined {
  if (code === 0) return { required: false, reasons: [] };
  if (code !== 1 || !/reboot is required/i.test(stdout)) return undefined;
  const names = [...stdout.matchAll(/^\s*\*\s+(\S+)\s*$/gm)].map((m) => m[1]!);
  const reasons = names.length > 0 ? names.map((n) => `package ${n}`) : ['needs-restarting -r'];
  return { required: true, reasons: reasons.slice(0, MAX_REASONS).map((r) => clip(r, 512)) };
}

/** Joins the answers of several sources: required if any says so, with every reason. */
export function mergePendingReboot(parts: readonly PendingReboot[]): PendingReboot {
  const reasons = [...new Set(parts.flatMap((p) => p.reasons))].slice(0, MAX_REASONS);
  return { required: parts.some((p) => p.required), reasons };
}

/**
 * Whether the host waits for a reboot, and why. Debian flag files always;
 * on rpm hosts also `needs-restarting -r` when installed (it reads only the
 * local rpm database: no repository is loaded).
 */
export async function collectPendingReboot(opts: { rpm: boolean; timeoutMs: number; warn: WarnFn }): Promise<PendingReboot> {
  const [flag, pkgs] = await Promise.all([
    readOptionalText('/var/run/reboot-required'),
    readOptionalText('/var/run/reboot-required.pkgs'),
  ]);
  const parts = [rebootFromDebianFiles(flag, pkgs)];
  const needsRestarting = opts.rpm ? await findExecutable('needs-restarting') : undefined;
  if (needsRestarting) {
    try {
      const r = await runCommand(needsRestarting, ['-r'], { timeoutMs: opts.timeoutMs });
      const answer = rebootFromNeedsRestarting(r.code, r.stdout);
      if (answer) parts.push(answer);
      else opts.warn(`needs-restarting -r exited with ${r.code ?? 'a signal'} without an answer: ${r.stderr.trim().slice(0, 200)}`);
    } catch (err) {
      // Timed out or would not start (runCommand's only PfError): the flag files still
      // answer, and a reboot is not claimed on no evidence.
      if (!isPfError(err)) throw err;
      opts.warn('needs-restarting -r failed', err);
    }
  }
  return mergePendingReboot(parts);
}
