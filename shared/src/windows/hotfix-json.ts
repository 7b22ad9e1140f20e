/**
 * The installed-updates list of a Windows host (`Get-HotFix` /
 * Win32_QuickFixEngineering as ConvertTo-Json prints it). One parser for the
 * agent (which collects it) and the controller (whose `assess --hotfix FILE`
 * reads a saved copy), so both read exactly the same thing.
 */
import { Errors, PfError } from '../errors';
import { isoDate, psLocalDate } from './ps-date';
import { isJsonObject, jsonKind, parsePsJson, psArray, psProp, psString } from './ps-json';

/** One installed update as Win32_QuickFixEngineering lists it. */
export interface HotFix {
  /** Normalized `KB` + digits, e.g. "KB5068861". */
  kb: string;
  /** "Security Update", "Update", "Sicherheitsupdate"...: localized, kept as written. */
  description: string;
  /** Day it was installed, `YYYY-MM-DD` (the host's local date); null when unknown. */
  installedOn: string | null;
  /** Account that installed it, as Windows names it ("NT AUTHORITY\SYSTEM", "NT-AUTORITÄT\SYSTEM"). */
  installedBy?: string;
}

/**
 * Hotfixes from `Get-HotFix` output converted with ConvertTo-Json, given as
 * text or as the bytes of a saved file (UTF-8 with or without BOM, or the
 * UTF-16LE that 5.1's `Out-File` and `>` write).
 *
 * Accepted shapes: this module's script, `Get-HotFix | Select-Object
 * HotFixID, Description, InstalledOn, InstalledBy | ConvertTo-Json`, the raw
 * `Get-HotFix | ConvertTo-Json` (ManagementObject: __GENUS, __PATH, CSName,
 * Scope, Path... ignored) and `Get-CimInstance Win32_QuickFixEngineering |
 * ConvertTo-Json` (CimClass, CimInstanceProperties... ignored), from
 * Windows PowerShell 5.1 or PowerShell 7, one object or an array.
 *
 * Entries whose HotFixID is not a KB number ("File 1" on old systems) are
 * left out; a KB listed twice is reported once. Input that is not such JSON
 * fails with PF_ERR_BAD_INPUT naming what is wrong.
 *
 * Raw output saved on a non-English 5.1 host carries the ScriptProperty's
 * culture bug (dates swapped or missing); those dates cannot be repaired here.
 */
export function parseHotFixJson(input: string | Uint8Array): HotFix[] {
  return parseHotFixRecords(parsePsJson(input, 'hotfix JSON'));
}

/** Hotfixes from already-parsed ConvertTo-Json output; see parseHotFixJson. */
export function parseHotFixRecords(value: unknown): HotFix[] {
  if (!Array.isArray(value) && !isJsonObject(value) && value !== null) {
    throw new PfError(Errors.BAD_INPUT, `hotfix JSON: expected an array of hotfix objects, got ${jsonKind(value)}`);
  }
  const byKb = new Map<string, HotFix>();
  psArray(value).forEach((entry, i) => {
    if (!isJsonObject(entry)) {
      throw new PfError(Errors.BAD_INPUT, `hotfix JSON: entry ${i} is ${jsonKind(entry)}, expected an object`, { index: i });
    }
    const id = psString(psProp(entry, 'HotFixID'));
    if (id === undefined) {
      const keys = Object.keys(entry).slice(0, 8).join(', ');
      throw new PfError(Errors.BAD_INPUT, `hotfix JSON: entry ${i} has no HotFixID (keys: ${keys || 'none'}); is this Get-HotFix output?`, { index: i });
    }
    const kb = normalizeKb(id);
    if (!kb) return;
    const fix: HotFix = {
      kb,
      description: (psString(psProp(entry, 'Description')) ?? '').trim(),
      installedOn: parseInstalledOn(psProp(entry, 'InstalledOn')),
    };
    const by = psString(psProp(entry, 'InstalledBy'))?.trim();
    if (by) fix.installedBy = by;
    const seen = byKb.get(kb);
    if (!seen) byKb.set(kb, fix);
    else mergeInto(seen, fix);
  });
  return [...byKb.values()];
}

/** "KB5068861", "kb5068861", "KB 5068861" -> "KB5068861"; anything else (e.g. "File 1", "Q147222") -> null. */
export function normalizeKb(id: string): string | null {
  const m = /^\s*KB\s*(\d{4,8})\s*$/i.exec(id);
  return m ? `KB${m[1]}` : null;
}

// The same KB twice (reinstalled, or listed per ServicePackInEffect): keep the
// first entry, fill what it lacks from the later one.
function mergeInto(seen: HotFix, later: HotFix): void {
  if (seen.installedOn === null) seen.installedOn = later.installedOn;
  if (!seen.description) seen.description = later.description;
  if (seen.installedBy === undefined && later.installedBy !== undefined) seen.installedBy = later.installedBy;
}

/**
 * The install date from any form InstalledOn takes:
 * - raw WMI string: "9/13/2023" (M/d/yyyy, culture-independent, Windows 7
 *   and later), 16 hex digits (a FILETIME, before Windows 7), or yyyyMMdd
 *   (both handled by the types.ps1xml script for old systems);
 * - a ConvertTo-Json DateTime (5.1 `\/Date(ms)\/`, 7 ISO 8601), see psLocalDate;
 * - empty, null or missing: null.
 * Text in any other form is null too: the date is secondary and one odd value
 * must not lose the KB list.
 */
export function parseInstalledOn(v: unknown): string | null {
  if (typeof v === 'string') {
    const s = v.trim();
    if (!s) return null;
    const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
    if (us) return checkedDate(Number(us[3]), Number(us[1]), Number(us[2]));
    if (/^[0-9a-f]{16}$/i.test(s)) return fileTimeDate(s);
    const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
    if (compact) return checkedDate(Number(compact[1]), Number(compact[2]), Number(compact[3]));
  }
  return psLocalDate(v) ?? null;
}

function checkedDate(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12 || day < 1) return null;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCMonth() === month - 1 ? isoDate(year, month, day) : null;
}

const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

// FILETIME: 100 ns ticks since 1601-01-01 UTC; the date is taken in UTC as the
// types.ps1xml script does (FromFileTimeUTC).
function fileTimeDate(hex: string): string | null {
  const ms = Number((BigInt(`0x${hex}`) - FILETIME_UNIX_EPOCH) / 10_000n);
  if (!Number.isFinite(ms) || ms < Date.UTC(1980, 0, 1)) return null;
  const d = new Date(ms);
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}
