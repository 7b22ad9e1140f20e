/**
 * Error registry of the agent.
 *
 * Codes are stable (`PF_ERR_*`): they reach logs, CLI exit messages and, for
 * some, the controller. Add new codes; never rename or remove one.
 */
import { defineErrors } from '@patchfleet/shared/errors';

export { PfError, isPfError } from '@patchfleet/shared/errors';

export const AgentErrors = defineErrors({
  /** Inventory could not be collected whole; a partial package list is never reported. */
  COLLECT_FAILED: { code: 'PF_ERR_COLLECT_FAILED', status: 500, retryable: true, message: 'inventory collection failed' },
  /** The agent has no implementation for this operating system. */
  UNSUPPORTED_PLATFORM: { code: 'PF_ERR_UNSUPPORTED_PLATFORM', status: 501, retryable: false, message: 'not implemented on this platform' },
  /** Input the agent parses (command output, files) is not in the expected shape. */
  BAD_INPUT: { code: 'PF_ERR_BAD_INPUT', status: 400, retryable: false, message: 'input is not in the expected format' },
  /** Windows PowerShell could not be started, exited non-zero, timed out or printed too much. */
  POWERSHELL_FAILED: { code: 'PF_ERR_POWERSHELL_FAILED', status: 500, retryable: true, message: 'PowerShell command failed' },
  /** The agent has no identity in its state directory yet. */
  NOT_ENROLLED: { code: 'PF_ERR_NOT_ENROLLED', status: 400, retryable: false, message: 'agent is not enrolled: run `patchfleet-agent enroll` first' },
  /** The state directory cannot be created, read or written, or is damaged. */
  STATE_DIR: { code: 'PF_ERR_STATE_DIR', status: 500, retryable: false, message: 'agent state directory problem' },
  /** The controller refused the enrollment. */
  ENROLL_REFUSED: { code: 'PF_ERR_ENROLL_REFUSED', status: 400, retryable: false, message: 'enrollment refused' },
  /** The controller could not be reached or the session broke. */
  CONNECT_FAILED: { code: 'PF_ERR_CONNECT_FAILED', status: 503, retryable: true, message: 'cannot reach the controller' },
  /** The controller refused the session (authentication, revocation, protocol). */
  SESSION_REFUSED: { code: 'PF_ERR_SESSION_REFUSED', status: 401, retryable: false, message: 'controller refused the session' },
  /** A bad command-line flag. */
  USAGE: { code: 'PF_ERR_USAGE', status: 400, retryable: false, message: 'bad command-line usage' },
  /** --once did not get its report acknowledged in time. */
  TIMEOUT: { code: 'PF_ERR_TIMEOUT', status: 504, retryable: true, message: 'timed out' },
  /** The dpkg/apt lock stayed held by another process past the lock timeout. */
  APT_LOCKED: { code: 'PF_ERR_APT_LOCKED', status: 409, retryable: true, message: 'the dpkg lock is held by another process' },
  /** A requested package version is not in any configured repository. */
  PACKAGE_VERSION_UNAVAILABLE: { code: 'PF_ERR_PACKAGE_VERSION_UNAVAILABLE', status: 404, retryable: false, message: 'package version not available' },
  /** A previous dpkg run was interrupted; `dpkg --configure -a` must be run by an operator. */
  DPKG_INTERRUPTED: { code: 'PF_ERR_DPKG_INTERRUPTED', status: 409, retryable: false, message: "dpkg was interrupted: run 'dpkg --configure -a'" },
  /** apt-get/dpkg did not finish within the command timeout and was killed. */
  APT_TIMEOUT: { code: 'PF_ERR_APT_TIMEOUT', status: 504, retryable: true, message: 'apt-get timed out' },
  /** apt-get or dpkg failed for a reason not recognised more precisely. */
  APT_FAILED: { code: 'PF_ERR_APT_FAILED', status: 500, retryable: true, message: 'apt-get failed' },
  /** apt-get reported success but dpkg does not show the requested versions. */
  INSTALL_VERIFY_FAILED: { code: 'PF_ERR_INSTALL_VERIFY_FAILED', status: 500, retryable: false, message: 'installed versions do not match the request' },
  /** A rollback was refused before any change because recorded versions can no longer be fetched. */
  ROLLBACK_UNAVAILABLE: { code: 'PF_ERR_ROLLBACK_UNAVAILABLE', status: 409, retryable: false, message: 'rollback versions are no longer available' },
});
