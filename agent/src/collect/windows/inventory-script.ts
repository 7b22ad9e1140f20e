import { Errors, isPfError, PfError } from '@patchfleet/shared/errors';
import { parseHotFixRecords, type HotFix } from '@patchfleet/shared/windows';
import { HOTFIX_SCRIPT_BODY } from './hotfix';
import { MACHINE_SCRIPT_BODY, parseMachineFacts, type WindowsMachineFacts } from './hardware';
import { OS_SCRIPT_BODY, parseOsFacts, type WindowsOsFacts } from './os';
import { PENDING_REBOOT_SCRIPT_BODY, parsePendingReboot, type PendingReboot } from './pending-reboot';
import { isJsonObject, jsonKind, parsePsJson, psBool, psInt, psProp, psString } from '@patchfleet/shared/windows';
import { compactScript, wrapScriptForJson } from './powershell';
import { DEFAULT_HISTORY_LIMIT, parseUpdateHistory, updateHistoryScriptBody, type UpdateHistory } from './update-history';

/** One part of the inventory script: its data, or why it failed. */
export type PartResult<T> = { ok: true; data: T; ms: number | null } | { ok: false; error: string; ms: number | null };

/** Everything the inventory script reports, each part parsed on its own. */
export interface InventoryScriptOutput {
  /** $PSVersionTable.PSVersion of the shell that ran it ("5.1.26100.7019"). */
  psVersion: string | null;
  os: PartResult<WindowsOsFacts>;
  machine: PartResult<WindowsMachineFacts>;
  hotfixes: PartResult<HotFix[]>;
  pendingReboot: PartResult<PendingReboot>;
  updateHistory: PartResult<UpdateHistory>;
}

/** Version of the JSON the inventory script prints; bump when its shape changes. */
export const INVENTORY_SCRIPT_SCHEMA = 1;

/**
 * One script for all Windows facts, run in one powershell.exe: starting
 * Windows PowerShell costs about a second of CPU and loads CIM and COM once
 * instead of five times. Each part runs in its own try/catch
 * (Invoke-PfPart), so a broken Windows Update Agent or a missing registry key
 * reports `{"ok":false,"error":...}` for that part while the others still
 * report data. Each part's time is reported too: WUA is the slow one.
 */
export function buildInventoryScript(opts: { historyLimit?: number } = {}): string {
  const part = (name: string, body: string): string => `$${name} = Invoke-PfPart {\n${body}\n}`;
  const body = `
function Invoke-PfPart([scriptblock]$Body) {
$sw = [Diagnostics.Stopwatch]::StartNew()
try { $d = & $Body; [ordered]@{ ok = $true; ms = $sw.ElapsedMilliseconds; data = $d } }
catch { [ordered]@{ ok = $false; ms = $sw.ElapsedMilliseconds; error = ('{0}: {1} (line {2})' -f $_.Exception.GetType().FullName, $_.Exception.Message, $_.InvocationInfo.ScriptLineNumber) } }
}
${part('pfOs', OS_SCRIPT_BODY)}
${part('pfMachine', MACHINE_SCRIPT_BODY)}
${part('pfHotfixes', HOTFIX_SCRIPT_BODY)}
${part('pfPendingReboot', PENDING_REBOOT_SCRIPT_BODY)}
${part('pfUpdateHistory', updateHistoryScriptBody(opts.historyLimit ?? DEFAULT_HISTORY_LIMIT))}
[ordered]@{
schema = ${INVENTORY_SCRIPT_SCHEMA}
psVersion = $PSVersionTable.PSVersion.ToString()
os = $pfOs
machine = $pfMachine
hotfixes = $pfHotfixes
pendingReboot = $pfPendingReboot
updateHistory = $pfUpdateHistory
}
`;
  return wrapScriptForJson(compactScript(body), 8);
}

/** The inventory script's output from its JSON (text or bytes); see parseInventoryOutput. */
export function parseInventoryJson(input: string | Uint8Array): InventoryScriptOutput {
  return parseInventoryOutput(parsePsJson(input, 'inventory JSON'));
}

/**
 * Splits the inventory script's output into its parts and parses each with
 * its own parser. A part that failed in PowerShell, is missing, or does not
 * parse becomes `{ ok: false, error }`; deciding which failures are fatal is
 * the caller's business. Only output that is not the script's object at all
 * throws (PF_ERR_BAD_INPUT).
 */
export function parseInventoryOutput(value: unknown): InventoryScriptOutput {
  if (!isJsonObject(value) || psInt(psProp(value, 'schema')) === undefined) {
    throw new PfError(Errors.BAD_INPUT, `inventory JSON: expected the inventory script's object, got ${jsonKind(value)}`);
  }
  const schema = psInt(psProp(value, 'schema'));
  if (schema !== INVENTORY_SCRIPT_SCHEMA) throw new PfError(Errors.BAD_INPUT, `inventory JSON: schema ${schema}, this agent reads ${INVENTORY_SCRIPT_SCHEMA}`);
  return {
    psVersion: psString(psProp(value, 'psVersion')) ?? null,
    os: readPart(value, 'os', parseOsFacts),
    machine: readPart(value, 'machine', parseMachineFacts),
    hotfixes: readPart(value, 'hotfixes', parseHotFixRecords),
    pendingReboot: readPart(value, 'pendingReboot', parsePendingReboot),
    updateHistory: readPart(value, 'updateHistory', parseUpdateHistory),
  };
}

function readPart<T>(root: Record<string, unknown>, name: string, parse: (v: unknown) => T): PartResult<T> {
  const part = psProp(root, name);
  if (!isJsonObject(part)) return { ok: false, error: `part ${name} missing from the output`, ms: null };
  const ms = psInt(psProp(part, 'ms')) ?? null;
  if (psBool(psProp(part, 'ok')) !== true) {
    return { ok: false, error: psString(psProp(part, 'error')) ?? 'failed without a message', ms };
  }
  try {
    return { ok: true, data: parse(psProp(part, 'data')), ms };
  } catch (err) {
    // A part whose data does not parse is a failed part, like one that threw in PowerShell.
    if (!isPfError(err)) throw err;
    return { ok: false, error: err.message, ms };
  }
}
