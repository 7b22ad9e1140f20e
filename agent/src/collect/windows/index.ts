import { hostname, totalmem, uptime } from 'node:os';
import type { Inventory } from '@patchfleet/shared/protocol';
import { systemClock } from '@patchfleet/shared/clock';
import type { WarnFn } from '../with-timeout';
import { buildInventoryScript, parseInventoryJson } from './inventory-script';
import { mapWindowsInventory } from './map-inventory';
import { runPowerShell } from './powershell';

export { buildPowerShellInvocation, encodeCommand, runPowerShell, runPowerShellJson, wrapScriptForJson } from './powershell';
export { normalizeKb, parseHotFixJson, parseHotFixRecords, type HotFix } from '@patchfleet/shared/windows';
export { buildHotFixScript } from './hotfix';
export { buildOsScript, parseOsJson, parseOsFacts, windowsDisplayName, type WindowsOsFacts } from './os';
export { buildPendingRebootScript, parsePendingRebootJson, parsePendingReboot } from './pending-reboot';
export { buildUpdateHistoryScript, hresultHex, kbFromTitle, parseUpdateHistoryJson, parseUpdateHistory, type UpdateHistory, type UpdateHistoryEntry } from './update-history';
export { buildMachineScript, parseMachineJson, type WindowsMachineFacts } from './hardware';
export { deriveHotpatchEnrolled } from './hotpatch';
export { buildInventoryScript, parseInventoryJson, type InventoryScriptOutput } from './inventory-script';
export { mapWindowsInventory, type WindowsExtraFacts, type WindowsHostFacts } from './map-inventory';

export interface WindowsInventoryOptions {
  /** Clock, ms since epoch; defaults to the system clock. */
  now?: () => number;
  /** Limit for the whole PowerShell run. Default 120 s. */
  packageTimeoutMs?: number;
  /** Told about every part that failed and fell back to empty values. */
  onWarning?: WarnFn;
  /** Update history entries to read, newest first. */
  historyLimit?: number;
  /** Runs a script and returns its stdout; default Windows PowerShell 5.1 (runPowerShell). For tests. */
  run?: (script: string) => Promise<string | Uint8Array>;
}

/**
 * This Windows host's inventory: host facts (with Windows extras under
 * `windows`) and one package per installed KB.
 *
 * One powershell.exe process runs one script for everything (see
 * buildInventoryScript); its parts fail independently. The OS facts and the
 * hotfix list must succeed or the call fails with PF_ERR_COLLECT_FAILED;
 * PowerShell itself failing gives PF_ERR_POWERSHELL_FAILED (retryable), and
 * output that is not the script's JSON PF_ERR_BAD_INPUT.
 */
export async function collectWindowsInventory(opts: WindowsInventoryOptions = {}): Promise<Inventory> {
  const script = buildInventoryScript(opts.historyLimit !== undefined ? { historyLimit: opts.historyLimit } : {});
  const run = opts.run ?? ((s: string) => runPowerShell(s, { timeoutMs: opts.packageTimeoutMs ?? 120_000 }));
  const out = parseInventoryJson(await run(script));
  return mapWindowsInventory(out, {
    now: opts.now ?? (() => systemClock.now()),
    warn: opts.onWarning ?? (() => undefined),
    fallback: { hostname: hostname(), uptimeSec: uptime(), totalMemBytes: totalmem() },
  });
}
