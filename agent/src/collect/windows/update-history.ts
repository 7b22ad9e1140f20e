import { Errors, PfError } from '@patchfleet/shared/errors';
import { psInstant } from '@patchfleet/shared/windows';
import { isJsonObject, jsonKind, parsePsJson, psArray, psInt, psProp, psString } from '@patchfleet/shared/windows';
import { wrapScriptForJson } from './powershell';

/** IUpdateHistoryEntry.Operation (UpdateOperation). */
export const UPDATE_OPERATIONS = { 1: 'install', 2: 'uninstall' } as const;
/** IUpdateHistoryEntry.ResultCode (OperationResultCode). */
export const RESULT_CODES = {
  0: 'not-started',
  1: 'in-progress',
  2: 'succeeded',
  3: 'succeeded-with-errors',
  4: 'failed',
  5: 'aborted',
} as const;

export type UpdateOperation = (typeof UPDATE_OPERATIONS)[keyof typeof UPDATE_OPERATIONS] | 'unknown';
export type UpdateResult = (typeof RESULT_CODES)[keyof typeof RESULT_CODES] | 'unknown';

/** One entry of the Windows Update Agent's history. */
export interface UpdateHistoryEntry {
  operation: UpdateOperation;
  result: UpdateResult;
  /** HRESULT as unsigned hex, "0x80240022"; "0x00000000" for success. */
  hresult: string;
  /** When it happened, ISO 8601 UTC; null when the value was unreadable. */
  date: string | null;
  /** Localized title, as the user sees it in Settings > Windows Update > Update history. */
  title: string;
  /** The KB named in the title, "KB5068861"; null for updates without one (drivers). */
  kb: string | null;
  /** UpdateIdentity: the update's GUID and revision; null when absent. */
  updateId: string | null;
  revisionNumber: number | null;
  /** Who asked for it: "UpdateOrchestrator", "MoUpdateOrchestrator", "ccmexec", "wusa"... */
  clientApplicationId?: string;
}

/** History read, with the total the agent holds (the list is capped). */
export interface UpdateHistory {
  totalCount: number;
  entries: UpdateHistoryEntry[];
}

/** Newest entries read by default: about a year of monthly updates with the drivers and Defender signature updates between them. */
export const DEFAULT_HISTORY_LIMIT = 200;

/**
 * Body of the update-history script, through the Windows Update Agent COM API.
 * QueryHistory returns newest first. The entry's Date is UTC but reaches .NET
 * as a DateTime of Kind Unspecified (COM DATE has no zone), so the script
 * marks it UTC and writes ISO 8601 itself: left to ConvertTo-Json, 5.1 would
 * treat it as local time and shift it by the host's UTC offset. QueryHistory
 * is not called with a count of 0, which fails on some hosts.
 */
export function updateHistoryScriptBody(limit = DEFAULT_HISTORY_LIMIT): string {
  const n = Math.max(1, Math.floor(limit));
  return `
$searcher = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher()
$total = $searcher.GetTotalHistoryCount()
$entries = @()
if ($total -gt 0) {
$entries = @($searcher.QueryHistory(0, [Math]::Min($total, ${n})) | ForEach-Object {
[ordered]@{
Operation = [int]$_.Operation
ResultCode = [int]$_.ResultCode
HResult = [int]$_.HResult
Date = [DateTime]::SpecifyKind($_.Date, [DateTimeKind]::Utc).ToString('o')
Title = $_.Title
UpdateID = $_.UpdateIdentity.UpdateID
RevisionNumber = $_.UpdateIdentity.RevisionNumber
ClientApplicationID = $_.ClientApplicationID
}
})
}
[ordered]@{ TotalCount = $total; Entries = $entries }
`;
}

/** The standalone update-history script: prints `{"TotalCount":n,"Entries":[...]}`. */
export function buildUpdateHistoryScript(limit = DEFAULT_HISTORY_LIMIT): string {
  return wrapScriptForJson(updateHistoryScriptBody(limit), 4);
}

/**
 * Update history from JSON: this module's script output, or a bare list of
 * history entries as `$searcher.QueryHistory(0, $n) | ConvertTo-Json` (or a
 * Select-Object of it) prints in 5.1 or 7, one object or an array.
 *
 * Dates: the script's ISO UTC; 7's ISO without an offset (Kind Unspecified)
 * read as UTC, which WUA dates are; 5.1's `\/Date(ms)\/` taken as the instant
 * it encodes, though for WUA dates 5.1 has already shifted it by the host's
 * UTC offset (it treats Unspecified as local), which cannot be undone here.
 */
export function parseUpdateHistoryJson(input: string | Uint8Array): UpdateHistory {
  return parseUpdateHistory(parsePsJson(input, 'update history JSON'));
}

/** Update history from already-parsed JSON; see parseUpdateHistoryJson. */
export function parseUpdateHistory(value: unknown): UpdateHistory {
  const wrapped = isJsonObject(value) && psProp(value, 'Entries') !== undefined;
  if (!wrapped && !Array.isArray(value) && !isJsonObject(value) && value !== null) {
    throw new PfError(Errors.BAD_INPUT, `update history JSON: expected an object or an array, got ${jsonKind(value)}`);
  }
  const list = psArray(wrapped ? psProp(value, 'Entries') : value);
  const entries = list.map((e, i) => parseEntry(e, i));
  const total = wrapped ? psInt(psProp(value, 'TotalCount')) : undefined;
  return { totalCount: total ?? entries.length, entries };
}

function parseEntry(e: unknown, i: number): UpdateHistoryEntry {
  if (!isJsonObject(e)) throw new PfError(Errors.BAD_INPUT, `update history JSON: entry ${i} is ${jsonKind(e)}, expected an object`, { index: i });
  const operation = psInt(psProp(e, 'Operation'));
  const resultCode = psInt(psProp(e, 'ResultCode'));
  if (operation === undefined || resultCode === undefined) {
    throw new PfError(Errors.BAD_INPUT, `update history JSON: entry ${i} lacks a numeric Operation or ResultCode; is this QueryHistory output?`, { index: i });
  }
  const title = psString(psProp(e, 'Title')) ?? '';
  // Raw COM output nests the identity; the script flattens it.
  const identity = psProp(e, 'UpdateIdentity');
  const updateId = psString(psProp(e, 'UpdateID')) ?? psString(psProp(identity, 'UpdateID')) ?? null;
  const revision = psInt(psProp(e, 'RevisionNumber')) ?? psInt(psProp(identity, 'RevisionNumber')) ?? null;
  const entry: UpdateHistoryEntry = {
    operation: (UPDATE_OPERATIONS as Record<number, UpdateOperation>)[operation] ?? 'unknown',
    result: (RESULT_CODES as Record<number, UpdateResult>)[resultCode] ?? 'unknown',
    hresult: hresultHex(psInt(psProp(e, 'HResult')) ?? 0),
    date: psInstant(psProp(e, 'Date'), 'utc') ?? null,
    title,
    kb: kbFromTitle(title),
    updateId,
    revisionNumber: revision,
  };
  const client = psString(psProp(e, 'ClientApplicationID'))?.trim();
  if (client) entry.clientApplicationId = client;
  return entry;
}

/**
 * HRESULT as Windows documents them: unsigned, 8 hex digits
 * (-2145124318 -> "0x80240022"). COM hands it to PowerShell as a signed Int32.
 */
export function hresultHex(h: number): string {
  return `0x${(h >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/**
 * The KB number in an update title. Titles are localized but keep "KB" and the
 * number, usually in parentheses:
 * "2025-11 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5068861) (26100.7171)",
 * "2025-11 Kumulatives Update für Windows 11 Version 24H2 für x64-basierte Systeme (KB5068861) (26100.7171)",
 * "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.441.94.0)".
 * The first KB wins; letters or digits glued to it do not count.
 */
export function kbFromTitle(title: string): string | null {
  const m = /(?<![A-Za-z0-9])KB(\d{5,8})(?!\d)/i.exec(title);
  return m ? `KB${m[1]}` : null;
}
