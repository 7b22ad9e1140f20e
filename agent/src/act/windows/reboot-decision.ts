/**
 * Whether the agent restarts a Windows host after an operation. The policy
 * logic is the Linux one; Windows adds the case where the installer has
 * already started the restart (exit code 1641).
 */
import { rebootDecision, type RebootPolicy } from '../linux/reboot-decision';

export type { RebootPolicy };

/** What to do after an operation: restart, nothing, or nothing because Windows is already restarting. */
export type WindowsRebootAction = 'reboot' | 'none' | 'already-initiated';

/**
 * Decides from the policy and the result. An installer-initiated restart is
 * never doubled (a second shutdown.exe /r would fail with "a system shutdown
 * is in progress" or cut a servicing restart short); `never` still reports it
 * so the caller can log what happened regardless of policy.
 */
export function windowsRebootDecision(
  policy: RebootPolicy,
  result: { rebootRequired: boolean; rebootInitiated?: boolean },
): WindowsRebootAction {
  if (result.rebootInitiated === true) return 'already-initiated';
  return rebootDecision(policy, result.rebootRequired) ? 'reboot' : 'none';
}
