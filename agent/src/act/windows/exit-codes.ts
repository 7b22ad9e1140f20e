/**
 * The one table of exit codes and HRESULTs the Windows executor recognises,
 * from wusa.exe, dism.exe and the Windows Update Agent (IInstallationResult
 * HResult, COM exceptions). Each entry says what the code means and where
 * Microsoft documents it.
 *
 * A code can reach us in two forms: Node reports a process exit code as the
 * unsigned DWORD (0x80240017 = 2149842967), PowerShell and COM give the same
 * HRESULT as a signed Int32 (-2145124329). Both are looked up by their
 * unsigned value.
 */
import type { ErrorDef } from '@patchfleet/shared/errors';
import { hresultHex } from '../../collect/windows/update-history';
import { Errors } from '@patchfleet/shared/errors';

/** What a code means for the operation that returned it. */
export type ServicingOutcome =
  /** Done, nothing else needed. */
  | 'succeeded'
  /** Done; completes at the next restart. */
  | 'reboot-required'
  /** Done; the installer has already started a restart. */
  | 'reboot-initiated'
  /** Install asked for something already installed: nothing changed. */
  | 'already-installed'
  /** Uninstall asked for something not installed (or not known under that KB). */
  | 'not-installed'
  /** The update does not apply to this host. */
  | 'not-applicable'
  /** The command line was refused. */
  | 'bad-parameter'
  | 'access-denied'
  /** Another installation holds the servicing stack. */
  | 'busy'
  /** A restart must happen before more servicing. */
  | 'reboot-pending'
  | 'component-store-corrupt'
  /** The package is permanent or cannot be removed this way. */
  | 'cannot-uninstall'
  /** The Windows Update service (wuauserv) is disabled. */
  | 'service-disabled'
  /** Any other failure. */
  | 'failed';

/** One known code. */
export interface ExitCodeEntry {
  /** Unsigned 32-bit value. */
  code: number;
  /** Symbolic name from the Windows headers or Microsoft's error reference. */
  name: string;
  outcome: ServicingOutcome;
  /** Where it is documented (short reference; full URLs in fixtures/README.md). */
  source: string;
}

const WIN32 = 'Win32 System Error Codes (learn.microsoft.com/windows/win32/debug/system-error-codes)';
const WU = 'Windows Update error reference (learn.microsoft.com/windows/deployment/update/windows-update-error-reference)';
const WUSA = 'KB934307, Windows Update Standalone Installer (wusa.exe) exit codes';
const CBS = 'CBS servicing codes as reported by DISM/CBS.log (learn.microsoft.com/troubleshoot/windows-server/installing-updates-features-roles/fix-windows-update-errors)';

/**
 * Every recognised code. Win32 codes appear twice where tools return them
 * both raw (wusa, msiexec: 5, 87, 1618) and as HRESULT_FROM_WIN32
 * (0x8007xxxx: DISM, WUA).
 */
export const EXIT_CODES: readonly ExitCodeEntry[] = Object.freeze([
  /** ERROR_SUCCESS. */
  { code: 0, name: 'ERROR_SUCCESS', outcome: 'succeeded', source: WIN32 },
  /** ERROR_SUCCESS_REBOOT_REQUIRED (0xBC2): wusa and DISM /NoRestart when the change completes at restart. */
  { code: 3010, name: 'ERROR_SUCCESS_REBOOT_REQUIRED', outcome: 'reboot-required', source: WIN32 },
  /** ERROR_SUCCESS_REBOOT_INITIATED (0x669): the installer started a restart itself (not with /norestart, but reported by some packages). */
  { code: 1641, name: 'ERROR_SUCCESS_REBOOT_INITIATED', outcome: 'reboot-initiated', source: WIN32 },
  /** WU_S_ALREADY_INSTALLED (0x00240006 = 2359302): wusa, "the update to be installed is already installed". */
  { code: 0x00240006, name: 'WU_S_ALREADY_INSTALLED', outcome: 'already-installed', source: `${WU}; ${WUSA}` },
  /** WU_S_ALREADY_UNINSTALLED (0x00240007 = 2359303): wusa /uninstall, "the update to be removed is not installed". Assumed to be what wusa answers for a KB inside a combined SSU+LCU package, which it cannot see. */
  { code: 0x00240007, name: 'WU_S_ALREADY_UNINSTALLED', outcome: 'not-installed', source: WU },
  /** WU_E_NOT_APPLICABLE (0x80240017, signed -2145124329): wusa, "the update is not applicable to your computer". */
  { code: 0x80240017, name: 'WU_E_NOT_APPLICABLE', outcome: 'not-applicable', source: `${WU}; ${WUSA}` },
  /** WU_E_INSTALL_NOT_ALLOWED (0x80240016): another installation is running or a mandatory restart is pending. */
  { code: 0x80240016, name: 'WU_E_INSTALL_NOT_ALLOWED', outcome: 'busy', source: WU },
  /** ERROR_INVALID_PARAMETER (87): wusa or DISM refused its command line (bad path, unknown switch). */
  { code: 87, name: 'ERROR_INVALID_PARAMETER', outcome: 'bad-parameter', source: WIN32 },
  /** E_INVALIDARG / HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER) (0x80070057): the same from DISM and WUA. */
  { code: 0x80070057, name: 'E_INVALIDARG', outcome: 'bad-parameter', source: WIN32 },
  /** ERROR_ACCESS_DENIED (5): not elevated. */
  { code: 5, name: 'ERROR_ACCESS_DENIED', outcome: 'access-denied', source: WIN32 },
  /** ERROR_ELEVATION_REQUIRED (740): DISM run without elevation ("Elevated permissions are required to run DISM"). */
  { code: 740, name: 'ERROR_ELEVATION_REQUIRED', outcome: 'access-denied', source: WIN32 },
  /** E_ACCESSDENIED (0x80070005): the same as an HRESULT (DISM "Elevated permissions are required", WUA). */
  { code: 0x80070005, name: 'E_ACCESSDENIED', outcome: 'access-denied', source: WIN32 },
  /** ERROR_INSTALL_ALREADY_RUNNING (1618): another installation is in progress; retry later. */
  { code: 1618, name: 'ERROR_INSTALL_ALREADY_RUNNING', outcome: 'busy', source: WIN32 },
  /** HRESULT_FROM_WIN32(ERROR_INSTALL_ALREADY_RUNNING) (0x80070652). */
  { code: 0x80070652, name: 'ERROR_INSTALL_ALREADY_RUNNING', outcome: 'busy', source: WIN32 },
  /** ERROR_SERVICE_DISABLED as HRESULT (0x80070422): wusa needs the Windows Update service, which is disabled. */
  { code: 0x80070422, name: 'ERROR_SERVICE_DISABLED', outcome: 'service-disabled', source: WIN32 },
  /** ERROR_FAIL_REBOOT_REQUIRED (3017): failed; a restart is needed to roll back changes. */
  { code: 3017, name: 'ERROR_FAIL_REBOOT_REQUIRED', outcome: 'reboot-pending', source: WIN32 },
  /** ERROR_SXS_COMPONENT_STORE_CORRUPT (14098 = 0x3712). */
  { code: 14098, name: 'ERROR_SXS_COMPONENT_STORE_CORRUPT', outcome: 'component-store-corrupt', source: `${WIN32}; ${CBS}` },
  /** HRESULT_FROM_WIN32(ERROR_SXS_COMPONENT_STORE_CORRUPT) (0x80073712), as DISM and WUA report it. */
  { code: 0x80073712, name: 'ERROR_SXS_COMPONENT_STORE_CORRUPT', outcome: 'component-store-corrupt', source: CBS },
  /** CBS_E_NOT_APPLICABLE (0x800F081E = 2148468766, signed -2146498530): DISM, the package does not apply to this image. */
  { code: 0x800f081e, name: 'CBS_E_NOT_APPLICABLE', outcome: 'not-applicable', source: CBS },
  /** CBS_E_CANNOT_UNINSTALL (0x800F0825): the package is permanent (servicing stack updates). */
  { code: 0x800f0825, name: 'CBS_E_CANNOT_UNINSTALL', outcome: 'cannot-uninstall', source: CBS },
  /** ERROR_SHUTDOWN_IN_PROGRESS (1115): shutdown.exe, Windows is already shutting down. */
  { code: 1115, name: 'ERROR_SHUTDOWN_IN_PROGRESS', outcome: 'reboot-initiated', source: WIN32 },
  /** ERROR_SHUTDOWN_IS_SCHEDULED (1190): shutdown.exe, a shutdown is already scheduled (it could still be aborted with shutdown /a). */
  { code: 1190, name: 'ERROR_SHUTDOWN_IS_SCHEDULED', outcome: 'reboot-initiated', source: WIN32 },
  /** CBS_E_PENDING (0x800F082F): a restart from earlier servicing is pending. */
  { code: 0x800f082f, name: 'CBS_E_PENDING', outcome: 'reboot-pending', source: CBS },
] satisfies ExitCodeEntry[]);

const BY_CODE = new Map(EXIT_CODES.map((e) => [e.code, e]));

/**
 * The unsigned 32-bit form of an exit code or HRESULT: -2145124329 and
 * 2149842967 both give 0x80240017. Undefined for values that are neither
 * (not an integer, or outside the Int32/UInt32 range).
 */
export function unsignedCode(code: number): number | undefined {
  if (!Number.isInteger(code) || code < -0x80000000 || code > 0xffffffff) return undefined;
  return code >>> 0;
}

/** What one exit code or HRESULT means. */
export interface ExitCodeInfo {
  /** Unsigned value; null when the process did not exit by itself. */
  code: number | null;
  /** `0x80240017`; small Win32 codes are written in decimal (`3010`). */
  display: string;
  /** Symbolic name when known. */
  name?: string;
  outcome: ServicingOutcome;
  /** The operation did what was asked (or it was already so). */
  ok: boolean;
  rebootRequired: boolean;
  rebootInitiated: boolean;
}

const OK_OUTCOMES: ReadonlySet<ServicingOutcome> = new Set(['succeeded', 'reboot-required', 'reboot-initiated', 'already-installed']);

/** Looks up an exit code or HRESULT (signed or unsigned). Unknown non-zero codes are `failed`. */
export function describeExitCode(code: number | null): ExitCodeInfo {
  const u = code === null ? undefined : unsignedCode(code);
  if (u === undefined) {
    return { code: null, display: String(code), outcome: 'failed', ok: false, rebootRequired: false, rebootInitiated: false };
  }
  const entry = BY_CODE.get(u);
  const outcome = entry?.outcome ?? 'failed';
  return {
    code: u,
    // HRESULTs are read in hex everywhere (CBS.log, Microsoft's pages); Win32 codes in decimal.
    display: u >= 0x10000 ? hresultHex(u) : String(u),
    ...(entry ? { name: entry.name } : {}),
    outcome,
    ok: OK_OUTCOMES.has(outcome),
    rebootRequired: outcome === 'reboot-required' || outcome === 'reboot-initiated',
    rebootInitiated: outcome === 'reboot-initiated',
  };
}

/** The agent error for a failed outcome; undefined for the outcomes that count as success. */
export function outcomeError(outcome: ServicingOutcome): ErrorDef | undefined {
  switch (outcome) {
    case 'succeeded':
    case 'reboot-required':
    case 'reboot-initiated':
    case 'already-installed':
      return undefined;
    case 'not-installed':
      // For an install this cannot happen; for an uninstall the caller decides (fallback to DISM first).
      return Errors.WINDOWS_UNINSTALL_UNSUPPORTED;
    case 'not-applicable':
      return Errors.WINDOWS_UPDATE_NOT_APPLICABLE;
    case 'access-denied':
      return Errors.WINDOWS_ACCESS_DENIED;
    case 'busy':
      return Errors.WINDOWS_INSTALL_IN_PROGRESS;
    case 'reboot-pending':
      return Errors.WINDOWS_REBOOT_PENDING;
    case 'component-store-corrupt':
      return Errors.WINDOWS_COMPONENT_STORE_CORRUPT;
    case 'cannot-uninstall':
      return Errors.WINDOWS_UNINSTALL_UNSUPPORTED;
    case 'bad-parameter':
      // Our argv is validated, so this means the file or KB was refused: retrying the same command cannot help.
      return Errors.BAD_INPUT;
    case 'service-disabled':
    case 'failed':
      return Errors.WINDOWS_UPDATE_FAILED;
  }
}

/** `3010 (ERROR_SUCCESS_REBOOT_REQUIRED)`, `0x80240017 (WU_E_NOT_APPLICABLE)`, `0x80004005`: for messages. */
export function exitCodeLabel(info: ExitCodeInfo): string {
  return info.name ? `${info.display} (${info.name})` : info.display;
}
