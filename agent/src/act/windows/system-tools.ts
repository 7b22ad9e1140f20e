/**
 * Full paths of the Windows tools the executor runs (wusa.exe, dism.exe,
 * shutdown.exe). Absolute for the same reason as powershell.exe: a copy
 * planted earlier in PATH must not run as SYSTEM.
 */
import { powerShellPath, type InvocationOptions } from '../../collect/windows/powershell';

/** Programs of `%SystemRoot%\System32` that the executor runs. */
export type SystemTool = 'wusa.exe' | 'dism.exe' | 'shutdown.exe';

const POWERSHELL_TAIL = '\\WindowsPowerShell\\v1.0\\powershell.exe';

/**
 * `%SystemRoot%\System32\<tool>`, or `Sysnative` from a 32-bit agent on 64-bit
 * Windows. Derived from powerShellPath so the SystemRoot and WOW64 rules live
 * in one place; for DISM the 64-bit copy is a must, as a 32-bit DISM refuses
 * to service a running 64-bit Windows.
 */
export function systemToolPath(tool: SystemTool, opts: InvocationOptions = {}): string {
  const ps = powerShellPath(opts);
  return `${ps.slice(0, ps.length - POWERSHELL_TAIL.length)}\\${tool}`;
}
