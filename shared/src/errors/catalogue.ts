/**
 * The one error catalogue of Patchfleet, shared by agent, controller and CLI.
 *
 * Every error that crosses a boundary (a wire frame, an HTTP response, a CLI
 * exit, a command result) carries a stable `PF_ERR_*` code, an HTTP status and
 * whether retrying can help. Codes are never renamed or removed; new ones are
 * added here and nowhere else. `docs/errors.md` is generated from this file
 * (`pnpm errors:docs`) and a test fails when it is stale or a code repeats.
 */
import { defineErrors } from './error';

export const Errors = defineErrors({
  // Agent-controller protocol (error frames)
  BAD_FRAME: { code: 'PF_ERR_BAD_FRAME', status: 400, retryable: false, message: 'frame is not a valid protocol message' },
  FRAME_TOO_LARGE: { code: 'PF_ERR_FRAME_TOO_LARGE', status: 413, retryable: false, message: 'frame exceeds the size limit' },
  UNSUPPORTED_VERSION: { code: 'PF_ERR_UNSUPPORTED_VERSION', status: 400, retryable: false, message: 'protocol version not supported' },
  NOT_AUTHENTICATED: { code: 'PF_ERR_NOT_AUTHENTICATED', status: 401, retryable: false, message: 'frame sent before authentication' },
  AUTH_FAILED: { code: 'PF_ERR_AUTH_FAILED', status: 401, retryable: false, message: 'challenge signature refused' },
  UNKNOWN_AGENT: { code: 'PF_ERR_UNKNOWN_AGENT', status: 401, retryable: false, message: 'agent is not enrolled' },
  AGENT_REVOKED: { code: 'PF_ERR_AGENT_REVOKED', status: 403, retryable: false, message: 'agent has been revoked' },
  HANDSHAKE_TIMEOUT: { code: 'PF_ERR_HANDSHAKE_TIMEOUT', status: 408, retryable: true, message: 'handshake not completed in time' },
  UNEXPECTED_FRAME: { code: 'PF_ERR_UNEXPECTED_FRAME', status: 400, retryable: false, message: 'frame type not expected in this state' },
  RATE_LIMITED: { code: 'PF_ERR_RATE_LIMITED', status: 429, retryable: true, message: 'too many requests or frames; slow down' },
  RESYNC_REQUIRED: { code: 'PF_ERR_RESYNC_REQUIRED', status: 409, retryable: true, message: 'delta does not apply to the stored state; send a full report' },
  INCOMPLETE_REPORT: { code: 'PF_ERR_INCOMPLETE_REPORT', status: 400, retryable: true, message: 'report parts are inconsistent' },
  /** A frame holds a value the database cannot store: a NUL or an unpaired surrogate in a string, a number or time out of range. Resending the same frame cannot help; the agent drops such a report. */
  UNSTORABLE_VALUE: { code: 'PF_ERR_UNSTORABLE_VALUE', status: 400, retryable: false, message: 'frame holds a value the database cannot store' },
  /** An inventory report grew past the controller's maxReportBytes; the partial report is dropped and the agent drops the report. */
  REPORT_TOO_LARGE: { code: 'PF_ERR_REPORT_TOO_LARGE', status: 413, retryable: false, message: 'inventory report exceeds the size limit' },
  /** A chunked inventory report was not completed within reportTimeoutSec; the partial report is dropped and the agent sends it again. */
  REPORT_TIMEOUT: { code: 'PF_ERR_REPORT_TIMEOUT', status: 408, retryable: true, message: 'inventory report not completed in time' },
  INTERNAL: { code: 'PF_ERR_INTERNAL', status: 500, retryable: true, message: 'internal error' },
  SHUTTING_DOWN: { code: 'PF_ERR_SHUTTING_DOWN', status: 503, retryable: true, message: 'controller is shutting down' },
  UNKNOWN_COMMAND: { code: 'PF_ERR_UNKNOWN_COMMAND', status: 404, retryable: false, message: 'no such command for this agent' },
  // Controller: REST API, CLI, catalog, rollouts, commands
  VALIDATION: { code: 'PF_ERR_VALIDATION', status: 400, retryable: false, message: 'request is not valid' },
  UNAUTHORIZED: { code: 'PF_ERR_UNAUTHORIZED', status: 401, retryable: false, message: 'not signed in: missing or invalid API token or session' },
  FORBIDDEN: { code: 'PF_ERR_FORBIDDEN', status: 403, retryable: false, message: 'this token or user may not do that' },
  NOT_FOUND: { code: 'PF_ERR_NOT_FOUND', status: 404, retryable: false, message: 'not found' },
  /** A host named by hostname, FQDN, address, serial or id prefix matches several hosts; the error lists them (`details.candidates`: id, hostname, status). */
  HOST_AMBIGUOUS: { code: 'PF_ERR_HOST_AMBIGUOUS', status: 409, retryable: false, message: 'several hosts match; name one by its id' },
  ROUTE_NOT_FOUND: { code: 'PF_ERR_ROUTE_NOT_FOUND', status: 404, retryable: false, message: 'no such route' },
  PAYLOAD_TOO_LARGE: { code: 'PF_ERR_PAYLOAD_TOO_LARGE', status: 413, retryable: false, message: 'request body too large' },
  ENROLL_TOKEN_INVALID: { code: 'PF_ERR_ENROLL_TOKEN_INVALID', status: 401, retryable: false, message: 'enrollment token is not valid' },
  ENROLL_TOKEN_EXPIRED: { code: 'PF_ERR_ENROLL_TOKEN_EXPIRED', status: 401, retryable: false, message: 'enrollment token has expired' },
  ENROLL_TOKEN_EXHAUSTED: { code: 'PF_ERR_ENROLL_TOKEN_EXHAUSTED', status: 401, retryable: false, message: 'enrollment token has no uses left' },
  ENROLL_TOKEN_REVOKED: { code: 'PF_ERR_ENROLL_TOKEN_REVOKED', status: 401, retryable: false, message: 'enrollment token has been revoked' },
  AGENT_KEY_IN_USE: { code: 'PF_ERR_AGENT_KEY_IN_USE', status: 409, retryable: false, message: 'this agent key is already enrolled' },
  RING_IN_USE: { code: 'PF_ERR_RING_IN_USE', status: 409, retryable: false, message: 'ring still has pinned hosts or rules' },
  RING_NAME_TAKEN: { code: 'PF_ERR_RING_NAME_TAKEN', status: 409, retryable: false, message: 'a ring with this name already exists' },
  CONFIG: { code: 'PF_ERR_CONFIG', status: 500, retryable: false, message: 'configuration is not valid' },
  DATABASE_UNAVAILABLE: { code: 'PF_ERR_DATABASE_UNAVAILABLE', status: 503, retryable: true, message: 'database unavailable' },
  CONTROLLER_FULL: { code: 'PF_ERR_CONTROLLER_FULL', status: 503, retryable: true, message: 'this controller holds as many agents as its open-file limit allows; reconnect later or to another controller' },
  TLS: { code: 'PF_ERR_TLS', status: 500, retryable: false, message: 'TLS certificate problem' },
  BAD_INPUT_FILE: { code: 'PF_ERR_BAD_INPUT_FILE', status: 400, retryable: false, message: 'input file is not in the expected format' },
  CATALOG_EMPTY: { code: 'PF_ERR_CATALOG_EMPTY', status: 409, retryable: false, message: 'no catalog has been imported' },
  CATALOG_IMPORT: { code: 'PF_ERR_CATALOG_IMPORT', status: 500, retryable: true, message: 'catalog import failed; nothing was changed' },
  ROLLOUT_STATE: { code: 'PF_ERR_ROLLOUT_STATE', status: 409, retryable: false, message: 'the rollout is not in a state that allows this' },
  NOTHING_TO_ROLL_OUT: { code: 'PF_ERR_NOTHING_TO_ROLL_OUT', status: 409, retryable: false, message: 'no host needs what this rollout would install' },
  ALREADY_APPROVED: { code: 'PF_ERR_ALREADY_APPROVED', status: 409, retryable: false, message: 'this admin already approved this step; a second approval must come from another admin' },
  APPROVAL_NOT_NEEDED: { code: 'PF_ERR_APPROVAL_NOT_NEEDED', status: 409, retryable: false, message: 'this ring needs no (more) approval' },
  /** An approval from the person (see api_tokens.person) who already approved, or who registered or was registered by an earlier approver. */
  SAME_PERSON: { code: 'PF_ERR_SAME_PERSON', status: 409, retryable: false, message: 'this approval comes from the same person as an earlier one; a second approval must come from another person' },
  /** A new password is too short, too long or blank (keys/passwords.ts states the limits). */
  WEAK_PASSWORD: { code: 'PF_ERR_WEAK_PASSWORD', status: 400, retryable: false, message: 'the password does not meet the password policy' },
  /** Too many failed sign-ins for this user: wait until the time the error gives (Retry-After). */
  SIGN_IN_LOCKED: { code: 'PF_ERR_SIGN_IN_LOCKED', status: 429, retryable: true, message: 'too many failed sign-ins; try again later' },
  /** A write authenticated by a sign-in cookie without the session's x-csrf-token header. */
  CSRF: { code: 'PF_ERR_CSRF', status: 403, retryable: false, message: 'missing or wrong x-csrf-token header for a signed-in write' },
  USER_NAME_TAKEN: { code: 'PF_ERR_USER_NAME_TAKEN', status: 409, retryable: false, message: 'a user or person with this name already exists' },
  /** Minting an API token with a role above the minter's own (a help-desk user asking for an operator or admin token). */
  TOKEN_ROLE_TOO_HIGH: { code: 'PF_ERR_TOKEN_ROLE_TOO_HIGH', status: 403, retryable: false, message: "an API token's role cannot be higher than its minter's role" },
  /** Revoking an API token of another person without being an admin. */
  TOKEN_NOT_YOURS: { code: 'PF_ERR_TOKEN_NOT_YOURS', status: 403, retryable: false, message: 'only admins revoke API tokens of other people' },
  /** Demoting, disabling or removing the last admin user who can sign in. */
  LAST_ADMIN: { code: 'PF_ERR_LAST_ADMIN', status: 409, retryable: false, message: 'this is the last admin user who can sign in' },
  /** Single sign-on is not configured on this controller (no oidcIssuer): sign in with a password. */
  OIDC_DISABLED: { code: 'PF_ERR_OIDC_DISABLED', status: 404, retryable: false, message: 'single sign-on (OIDC) is not configured' },
  /** The sign-on came back without its flow cookie, after it expired (10 minutes), with a state that is not the one sent, or with a code, ID token or nonce the client refused. Start the sign-on again. */
  OIDC_FLOW: { code: 'PF_ERR_OIDC_FLOW', status: 400, retryable: false, message: 'the single sign-on response was refused; start the sign-on again' },
  /** The identity provider's role claim (oidcRoleClaim) holds no value that oidcRoleMap maps to a role. */
  OIDC_NO_ROLE: { code: 'PF_ERR_OIDC_NO_ROLE', status: 403, retryable: false, message: 'the identity provider grants this user no Patchfleet role' },
  /** The identity is not linked to a user and oidcCreateUsers is off: an admin creates the user first. */
  OIDC_NO_USER: { code: 'PF_ERR_OIDC_NO_USER', status: 403, retryable: false, message: 'no Patchfleet user for this identity, and users are not created on first sign-in' },
  /** The identity provider could not be reached, its discovery document or TLS certificate was refused, or it answered with an error. */
  OIDC_PROVIDER: { code: 'PF_ERR_OIDC_PROVIDER', status: 502, retryable: true, message: 'the identity provider could not be reached or answered with an error' },
  /** Leaving out earlier rings or backdating the release needs `expedite` (admins only). */
  EXPEDITE_REQUIRED: { code: 'PF_ERR_EXPEDITE_REQUIRED', status: 403, retryable: false, message: 'skipping earlier rings or backdating the release is expediting: admins only, with expedite' },
  /** An Ed25519 public key of small order, outside the prime-order subgroup, not on the curve or not canonically encoded. */
  BAD_AGENT_KEY: { code: 'PF_ERR_BAD_AGENT_KEY', status: 400, retryable: false, message: 'public key is not an acceptable Ed25519 key' },
  CATALOG_FETCH: { code: 'PF_ERR_CATALOG_FETCH', status: 502, retryable: true, message: 'advisory feed could not be downloaded' },
  /** The embedded database of a data directory is open in another process (a running controller): PGlite serves one process. */
  DATA_DIR_IN_USE: { code: 'PF_ERR_DATA_DIR_IN_USE', status: 409, retryable: true, message: 'the data directory is in use by another process' },
  /** A client (CLI, agent enrollment) got an HTTP error whose body carried no PF_ERR code. */
  HTTP: { code: 'PF_ERR_HTTP', status: 502, retryable: true, message: 'the server answered with an error that carried no code' },
  /** A command was not accepted by its agent before its notAfter. */
  COMMAND_UNDELIVERED: { code: 'PF_ERR_COMMAND_UNDELIVERED', status: 504, retryable: false, message: 'not accepted by the agent before notAfter' },
  /** A command was accepted but its agent sent no result within the run allowance. */
  COMMAND_NO_RESULT: { code: 'PF_ERR_COMMAND_NO_RESULT', status: 504, retryable: false, message: 'accepted but no result in time' },
  /** A command was cancelled (by a person or a halted rollout) before it ran. */
  COMMAND_CANCELLED: { code: 'PF_ERR_COMMAND_CANCELLED', status: 409, retryable: false, message: 'command was cancelled' },
  // Agent: collection, enrollment, executors, signed commands
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
  // Health samples and probes (controller-health)
  /** A health frame holds a sample that cannot be right (period ends before it starts or lies in the future, repeated seq); nothing of the frame is stored. Resending it cannot help; the agent drops the frame's samples. */
  BAD_HEALTH_SAMPLE: { code: 'PF_ERR_BAD_HEALTH_SAMPLE', status: 400, retryable: false, message: 'health sample is not valid' },
  /** A health frame from an agent that did not list the capability health/1 in its hello. */
  HEALTH_NOT_NEGOTIATED: { code: 'PF_ERR_HEALTH_NOT_NEGOTIATED', status: 400, retryable: false, message: 'health frames need the capability health/1 in hello' },
  PROBE_NAME_TAKEN: { code: 'PF_ERR_PROBE_NAME_TAKEN', status: 409, retryable: false, message: 'a probe with this name already exists' },
  // Health gates, blocks and incidents (planner-safety)
  /** Lifting a block that is no longer active (already lifted). */
  BLOCK_STATE: { code: 'PF_ERR_BLOCK_STATE', status: 409, retryable: false, message: 'the block is not active' },
  // Integrations: webhooks and syslog (webhooks-syslog)
  /** A webhook URL that is not an absolute http:// or https:// URL, carries user:password, or is too long. */
  WEBHOOK_URL: { code: 'PF_ERR_WEBHOOK_URL', status: 400, retryable: false, message: 'webhook URL must be an absolute http:// or https:// URL without credentials' },
  // Advisory feed parsers
  /** The data is not in the format we know: syntax, a missing part, a value out of range. Retrying the same file cannot help. */
  FEED_PARSE: { code: 'PF_ERR_FEED_PARSE', status: 400, retryable: false, message: 'advisory feed data is malformed' },
  /** The file or stream could not be read (missing, no permission, disk error); a later try may work. */
  FEED_IO: { code: 'PF_ERR_FEED_IO', status: 500, retryable: true, message: 'advisory feed could not be read' },
  // Reliability and mitigations (reliability)
  /** An accepted mitigation is recorded only for an urgent patch (critical or high tier, or a CVE in CISA KEV) that is held or blocked; otherwise patch it. */
  MITIGATION_NOT_ALLOWED: { code: 'PF_ERR_MITIGATION_NOT_ALLOWED', status: 409, retryable: false, message: 'a mitigation is accepted only for an urgent patch that is held or blocked' },
  /** Revoking a mitigation that is already revoked. */
  MITIGATION_REVOKED: { code: 'PF_ERR_MITIGATION_REVOKED', status: 409, retryable: false, message: 'the mitigation is already revoked' },
  // TLS pinning
  TLS_PIN_MISMATCH: { code: 'PF_ERR_TLS_PIN_MISMATCH', status: 495, retryable: false, message: 'server certificate does not match the pinned fingerprint' },
  TLS_NO_CERTIFICATE: { code: 'PF_ERR_TLS_NO_CERTIFICATE', status: 495, retryable: false, message: 'server presented no certificate' },
  // Fleet simulator (test/sim)
  /** A rollout scenario (../shared/scenarios/README.md) breaks the format: a field of the wrong type or out of range, shares not adding up to 1, a class or patch named twice or not defined. The message names the field. */
  SCENARIO_INVALID: { code: 'PF_ERR_SCENARIO_INVALID', status: 400, retryable: false, message: 'rollout scenario is not valid' },
  /** A simulator asked a controller to move its clock (`sim.advance`, `sim.settle` over the Node IPC channel), but the controller was not started with `--simulation` (PATCHFLEET_SIMULATION=1): it runs on the system clock and refuses. */
  SIMULATION_DISABLED: { code: 'PF_ERR_SIMULATION_DISABLED', status: 409, retryable: false, message: 'this controller is not in simulation mode' },
  /** A stepped virtual clock could not settle: work kept scheduling more work at one virtual instant, or one advance fired more timers than its bound. The message names what looped. */
  SIMULATION_UNSETTLED: { code: 'PF_ERR_SIMULATION_UNSETTLED', status: 500, retryable: false, message: 'simulated clock did not settle' },
  /** `patchfleet simulate` found no fleet simulator: it ships with the source tree (test/sim), not with a controller installed without it. */
  SIMULATOR_UNAVAILABLE: { code: 'PF_ERR_SIMULATOR_UNAVAILABLE', status: 501, retryable: false, message: 'the fleet simulator is not installed here' },
  // Agent self-update (shared/src/release, agent/src/update)
  /** Release metadata (agent-release.json) is malformed, has no signature by the pinned release key, or one that does not verify. */
  RELEASE_SIGNATURE: { code: 'PF_ERR_RELEASE_SIGNATURE', status: 400, retryable: false, message: 'the agent release metadata is not signed by the release key' },
  /** Release metadata whose `expires` is in the past: stale metadata could be replayed to hold agents on an old release. */
  RELEASE_EXPIRED: { code: 'PF_ERR_RELEASE_EXPIRED', status: 400, retryable: false, message: 'the agent release metadata has expired' },
  /** A release whose version is not newer than the running agent's: agents never downgrade. */
  RELEASE_DOWNGRADE: { code: 'PF_ERR_RELEASE_DOWNGRADE', status: 409, retryable: false, message: 'the agent release is not newer than the running agent' },
  /** A downloaded release file whose SHA-256 or size differs from the signed metadata, or a platform the metadata has no file for. */
  RELEASE_HASH: { code: 'PF_ERR_RELEASE_HASH', status: 400, retryable: false, message: 'the agent release file does not match the signed metadata' },
  /** The controller has no (unexpired) release metadata for the agent version asked for. */
  RELEASE_NOT_FOUND: { code: 'PF_ERR_RELEASE_NOT_FOUND', status: 404, retryable: false, message: 'no agent release with this version in the releases folder' },
  /** The new agent did not confirm a healthy session in time (it crashed or hung); the old executable was put back. */
  UPDATE_REVERTED: { code: 'PF_ERR_UPDATE_REVERTED', status: 500, retryable: false, message: 'the new agent did not reconnect healthy in time; the old one was restored' },
  /** Downloading, staging or swapping the agent executable failed before the new one started; nothing was changed. */
  UPDATE_FAILED: { code: 'PF_ERR_UPDATE_FAILED', status: 500, retryable: true, message: 'the agent update could not be carried out' },
  // Debian versions
  BAD_VERSION: { code: 'PF_ERR_BAD_VERSION', status: 400, retryable: false, message: 'not a valid Debian package version' },
  // Agent installers: deploy/install/install-agent.sh (the .deb) and deploy/windows/install-agent.ps1 (the MSI)
  /** The package or MSI could not be downloaded: network, HTTP error (404: no such release), or the controller's certificate does not match the fingerprint. */
  INSTALLER_DOWNLOAD: { code: 'PF_ERR_INSTALLER_DOWNLOAD', status: 502, retryable: true, message: 'the agent installer could not be downloaded' },
  /** The downloaded package's SHA-256 differs from the one given, or (MSI) its Authenticode signature is not valid or not by the expected signer; nothing was installed. */
  INSTALLER_INTEGRITY: { code: 'PF_ERR_INSTALLER_INTEGRITY', status: 422, retryable: false, message: 'the agent installer failed its hash or signature check' },
  /** dpkg -i of the verified package failed (e.g. its postinst could not enroll; the agent's own error is printed above), or msiexec exited with a code other than 0 or 3010 (its verbose log says why). */
  INSTALLER_FAILED: { code: 'PF_ERR_INSTALLER_FAILED', status: 500, retryable: false, message: 'the agent installer (dpkg or msiexec) failed' },
});

/** The name of one entry of the catalogue, e.g. `VALIDATION`. */
export type ErrorName = keyof typeof Errors;
