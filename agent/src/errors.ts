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
});
