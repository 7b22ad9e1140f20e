import type { HostFacts } from '@patchfleet/shared/protocol';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { isJsonObject, jsonKind, parsePsJson, psBool, psInt, psProp, psString } from '@patchfleet/shared/windows';
import { wrapScriptForJson } from './powershell';

export type PendingReboot = HostFacts['pendingReboot'];

/**
 * Body of the pending-reboot script: the registry places Windows servicing
 * stacks mark a pending restart in, the same list that well-known checks
 * (Test-PendingReboot, ConfigMgr's client) read.
 *
 * - Component Based Servicing\RebootPending (key): CBS staged a package.
 * - WindowsUpdate\Auto Update\RebootRequired (key): Windows Update installed
 *   something that needs a restart.
 * - Session Manager PendingFileRenameOperations(2) (REG_MULTI_SZ): files to
 *   replace or delete at boot. Installers and antivirus use it too, so it is
 *   noisier than the two above, but a replaced file is not in effect until then.
 * - HKLM:\SOFTWARE\Microsoft\Updates UpdateExeVolatile (non-zero): an
 *   update.exe-based installer (Office, older updates) is mid-install.
 * - ComputerName\ActiveComputerName differs from ComputerName\ComputerName:
 *   the computer was renamed.
 * - Services\Netlogon JoinDomain / AvoidSpnSet: a domain join is half done.
 * Only counts are taken from the rename list: its paths can be long and many.
 */
export const PENDING_REBOOT_SCRIPT_BODY = `
$sm = Get-Item -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Session Manager'
$nl = Get-Item -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\Netlogon'
$cn = 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\ComputerName'
$upd = $null
if (Test-Path -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Updates') { $upd = (Get-Item -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Updates').GetValue('UpdateExeVolatile') }
$pfro = @($sm.GetValue('PendingFileRenameOperations') | Where-Object { $_ }).Count
$pfro2 = @($sm.GetValue('PendingFileRenameOperations2') | Where-Object { $_ }).Count
[ordered]@{
CbsRebootPending = Test-Path -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending'
WindowsUpdateRebootRequired = Test-Path -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired'
PendingFileRenameOperations = $pfro + $pfro2
UpdateExeVolatile = $upd
ActiveComputerName = (Get-Item -LiteralPath "$cn\\ActiveComputerName").GetValue('ComputerName')
ComputerName = (Get-Item -LiteralPath "$cn\\ComputerName").GetValue('ComputerName')
NetlogonJoinDomain = $null -ne $nl.GetValue('JoinDomain')
NetlogonAvoidSpnSet = $null -ne $nl.GetValue('AvoidSpnSet')
}
`;

/** The standalone pending-reboot script: prints one JSON object. */
export function buildPendingRebootScript(): string {
  return wrapScriptForJson(PENDING_REBOOT_SCRIPT_BODY, 2);
}

/** Pending reboot from the script's JSON (text or bytes). */
export function parsePendingRebootJson(input: string | Uint8Array): PendingReboot {
  return parsePendingReboot(parsePsJson(input, 'pending reboot JSON'));
}

/**
 * Pending reboot from the parsed script output: required when any check
 * fires, with one reason per check. A missing field counts as "not pending"
 * (keys are absent on hosts that never had them); a value of the wrong type
 * is PF_ERR_BAD_INPUT.
 */
export function parsePendingReboot(value: unknown): PendingReboot {
  if (!isJsonObject(value)) throw new PfError(Errors.BAD_INPUT, `pending reboot JSON: expected an object, got ${jsonKind(value)}`);
  const flag = (k: string): boolean => {
    const raw = psProp(value, k);
    if (raw === undefined || raw === null) return false;
    const b = psBool(raw);
    if (b === undefined) throw new PfError(Errors.BAD_INPUT, `pending reboot JSON: ${k} is ${jsonKind(raw)}, expected a boolean`);
    return b;
  };
  const count = (k: string): number => {
    const raw = psProp(value, k);
    if (raw === undefined || raw === null) return 0;
    const n = psInt(raw);
    if (n === undefined) throw new PfError(Errors.BAD_INPUT, `pending reboot JSON: ${k} is ${jsonKind(raw)}, expected an integer`);
    return n;
  };
  const reasons: string[] = [];
  if (flag('CbsRebootPending')) reasons.push('Component Based Servicing: RebootPending');
  if (flag('WindowsUpdateRebootRequired')) reasons.push('Windows Update: RebootRequired');
  const renames = count('PendingFileRenameOperations');
  if (renames > 0) reasons.push(`Session Manager: PendingFileRenameOperations (${renames} entries)`);
  const volatile = count('UpdateExeVolatile');
  if (volatile !== 0) reasons.push(`Updates: UpdateExeVolatile = ${volatile}`);
  const active = psString(psProp(value, 'ActiveComputerName'))?.trim();
  const next = psString(psProp(value, 'ComputerName'))?.trim();
  // NetBIOS names are case-insensitive.
  if (active && next && active.toUpperCase() !== next.toUpperCase()) reasons.push(`computer rename pending: ${active} -> ${next}`);
  if (flag('NetlogonJoinDomain') || flag('NetlogonAvoidSpnSet')) reasons.push('Netlogon: domain join pending');
  return { required: reasons.length > 0, reasons };
}
