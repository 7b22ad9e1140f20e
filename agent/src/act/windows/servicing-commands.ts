/**
 * Pure builders of the exact argv for wusa.exe and dism.exe. Nothing here
 * runs a process. Arguments go to the program as an array (no shell); Node
 * quotes an argument that holds spaces when it builds the Windows command
 * line, so paths are never wrapped in quotes here.
 */
import type { InvocationOptions, PowerShellInvocation } from '../../collect/windows/powershell';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { parseKb } from './kb';
import { assertPackagePath } from './package-path';
import { systemToolPath } from './system-tools';

/** A program and its arguments, run without a shell. */
export type ToolInvocation = PowerShellInvocation;

/**
 * `wusa.exe <path> /quiet /norestart`: installs a .msu. /quiet implies no
 * prompts (and accepts the licence); /norestart leaves the restart to the
 * agent's reboot policy, and wusa then exits 3010 when one is needed.
 */
export function wusaInstallCommand(path: string, opts: InvocationOptions = {}): ToolInvocation {
  assertPackagePath(path, ['msu']);
  return { file: systemToolPath('wusa.exe', opts), args: [path, '/quiet', '/norestart'] };
}

/** `wusa.exe /uninstall /kb:<digits> /quiet /norestart`. */
export function wusaUninstallCommand(kb: string, opts: InvocationOptions = {}): ToolInvocation {
  const { digits } = parseKb(kb);
  return { file: systemToolPath('wusa.exe', opts), args: ['/uninstall', `/kb:${digits}`, '/quiet', '/norestart'] };
}

/**
 * `dism.exe /Online /Add-Package /PackagePath:<path> /Quiet /NoRestart`: the
 * alternative to wusa for .msu (Windows 10 and later) and the only way for a
 * .cab. DISM reports failures as HRESULT exit codes (0x800F081E...).
 */
export function dismAddPackageCommand(path: string, opts: InvocationOptions = {}): ToolInvocation {
  assertPackagePath(path, ['msu', 'cab']);
  return { file: systemToolPath('dism.exe', opts), args: ['/Online', '/Add-Package', `/PackagePath:${path}`, '/Quiet', '/NoRestart'] };
}

/**
 * `dism.exe /Online /English /Get-Packages /Format:Table`. `/English` keeps
 * the table headers and states in English whatever the display language,
 * and ASCII, so the console code page cannot mangle them; the parser still
 * reads a German table an operator pasted.
 */
export function dismGetPackagesCommand(opts: InvocationOptions = {}): ToolInvocation {
  return { file: systemToolPath('dism.exe', opts), args: ['/Online', '/English', '/Get-Packages', '/Format:Table'] };
}

// Package identity as CBS writes it: name~publicKeyToken~arch~language~version,
// e.g. Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.4946.1.10.
const PACKAGE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*~[0-9a-fA-F]{16}~[A-Za-z0-9_]*~[A-Za-z0-9-]*~\d+(?:\.\d+){1,3}$/;

/** Throws PF_ERR_BAD_INPUT unless `name` is a CBS package identity. */
export function assertPackageName(name: string): void {
  if (typeof name !== 'string' || !PACKAGE_NAME_RE.test(name)) {
    throw new PfError(Errors.BAD_INPUT, `invalid DISM package name: ${JSON.stringify(name).slice(0, 200)}`);
  }
}

/**
 * `dism.exe /Online /Remove-Package /PackageName:<name> /Quiet /NoRestart`:
 * how Microsoft says to remove the LCU of a combined SSU+LCU package, which
 * wusa /uninstall cannot do.
 */
export function dismRemovePackageCommand(packageName: string, opts: InvocationOptions = {}): ToolInvocation {
  assertPackageName(packageName);
  return { file: systemToolPath('dism.exe', opts), args: ['/Online', '/Remove-Package', `/PackageName:${packageName}`, '/Quiet', '/NoRestart'] };
}
