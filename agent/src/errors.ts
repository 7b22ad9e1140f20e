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
  /** A signed command's signature does not verify with the command key pinned at enrollment. */
  COMMAND_BAD_SIGNATURE: { code: 'PF_ERR_COMMAND_BAD_SIGNATURE', status: 401, retryable: false, message: 'command signature is not valid' },
  /** A signed command names another agent: it is never carried out here. */
  COMMAND_WRONG_AGENT: { code: 'PF_ERR_COMMAND_WRONG_AGENT', status: 403, retryable: false, message: 'command is for another agent' },
  /** A signed command arrived after its `notAfter`. */
  COMMAND_EXPIRED: { code: 'PF_ERR_COMMAND_EXPIRED', status: 410, retryable: false, message: 'command has expired' },
  /** A signed command's `issuedAt` is later than the agent's clock allows. */
  COMMAND_NOT_YET_VALID: { code: 'PF_ERR_COMMAND_NOT_YET_VALID', status: 425, retryable: false, message: 'command is not valid yet (clock skew?)' },
  /** A signed command's params do not fit its action. */
  COMMAND_BAD_PARAMS: { code: 'PF_ERR_COMMAND_BAD_PARAMS', status: 400, retryable: false, message: 'command parameters do not fit the action' },
  /** A command id the agent already holds arrived again; it is not carried out twice. */
  COMMAND_REPLAYED: { code: 'PF_ERR_COMMAND_REPLAYED', status: 409, retryable: false, message: 'command was already received' },
  /** The agent stopped while the command was running; it is not run again. */
  COMMAND_INTERRUPTED: { code: 'PF_ERR_COMMAND_INTERRUPTED', status: 500, retryable: false, message: 'the agent stopped while the command was running' },
  /** The command's executor failed without a more precise code. */
  COMMAND_FAILED: { code: 'PF_ERR_COMMAND_FAILED', status: 500, retryable: false, message: 'command failed' },
  /** The agent does not carry out this action (yet). */
  COMMAND_UNSUPPORTED: { code: 'PF_ERR_COMMAND_UNSUPPORTED', status: 501, retryable: false, message: 'command action not supported by this agent' },
  /** The journal record of a command that may have run was damaged; it is never run again. */
  COMMAND_JOURNAL_DAMAGED: { code: 'PF_ERR_COMMAND_JOURNAL_DAMAGED', status: 500, retryable: false, message: 'the journal record of this command is damaged; it may have run and will not run again' },
  /** The Windows Update Agent offers no update with the requested KB to this host (superseded, not released for this OS, or hidden by WSUS). */
  WINDOWS_UPDATE_NOT_FOUND: { code: 'PF_ERR_WINDOWS_UPDATE_NOT_FOUND', status: 404, retryable: false, message: 'no applicable Windows update with this KB' },
  /** Windows refused the update as not applicable to this host (other OS build or architecture, or a newer update already installed). */
  WINDOWS_UPDATE_NOT_APPLICABLE: { code: 'PF_ERR_WINDOWS_UPDATE_NOT_APPLICABLE', status: 409, retryable: false, message: 'the Windows update is not applicable to this host' },
  /** Installing or removing a Windows update failed for a reason not recognised more precisely. */
  WINDOWS_UPDATE_FAILED: { code: 'PF_ERR_WINDOWS_UPDATE_FAILED', status: 500, retryable: true, message: 'Windows update installation failed' },
  /** Another installation (Windows Update, an MSI, TrustedInstaller) is running; retry later. */
  WINDOWS_INSTALL_IN_PROGRESS: { code: 'PF_ERR_WINDOWS_INSTALL_IN_PROGRESS', status: 409, retryable: true, message: 'another installation is in progress' },
  /** Windows needs a restart before it services anything more; retry after the reboot. */
  WINDOWS_REBOOT_PENDING: { code: 'PF_ERR_WINDOWS_REBOOT_PENDING', status: 409, retryable: true, message: 'a restart is pending before more updates can be serviced' },
  /** The update cannot be removed the way asked (servicing stack updates, combined SSU+LCU packages without a known build). */
  WINDOWS_UNINSTALL_UNSUPPORTED: { code: 'PF_ERR_WINDOWS_UNINSTALL_UNSUPPORTED', status: 409, retryable: false, message: 'this Windows update cannot be uninstalled this way' },
  /** Windows denied the servicing operation: the agent is not running as SYSTEM or an administrator. */
  WINDOWS_ACCESS_DENIED: { code: 'PF_ERR_WINDOWS_ACCESS_DENIED', status: 403, retryable: false, message: 'access denied by Windows' },
  /** The component store (WinSxS) is damaged; an operator must repair it (DISM /Online /Cleanup-Image /RestoreHealth). */
  WINDOWS_COMPONENT_STORE_CORRUPT: { code: 'PF_ERR_WINDOWS_COMPONENT_STORE_CORRUPT', status: 500, retryable: false, message: 'the Windows component store is corrupt' },
  /** wusa.exe, dism.exe or the Windows Update script did not finish within the command timeout and was killed. */
  WINDOWS_UPDATE_TIMEOUT: { code: 'PF_ERR_WINDOWS_UPDATE_TIMEOUT', status: 504, retryable: true, message: 'Windows update operation timed out' },
  /** This agent was started without --allow-reboot: it does not reboot its host on command. */
  REBOOT_DISABLED: { code: 'PF_ERR_REBOOT_DISABLED', status: 403, retryable: false, message: 'rebooting on command is disabled on this agent' },
});
