import { isJsonObject, psProp } from './ps-json';

/**
 * A DateTime as ConvertTo-Json wrote it, before any time zone is assumed.
 *
 * - `instant`: Windows PowerShell 5.1 writes `"\/Date(1693519200000)\/"`
 *   (JavaScriptSerializer: ms since the epoch in UTC, after converting the
 *   value with ToUniversalTime(), which treats a DateTime of Kind Unspecified
 *   as local time); an ISO string ending in `Z` is one too.
 * - `wall`: PowerShell 7 writes ISO 8601 by DateTime.Kind: Local with the
 *   host's offset (`2023-09-01T00:00:00+02:00`), Utc with `Z`, Unspecified
 *   with no suffix at all (`2023-09-01T00:00:00`). The wall-clock fields are
 *   kept as written, with the offset when there was one.
 */
export type PsDateTime =
  | { kind: 'instant'; epochMs: number }
  | { kind: 'wall'; year: number; month: number; day: number; hour: number; minute: number; second: number; ms: number; offsetMinutes: number | null };

const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Reads a ConvertTo-Json DateTime value; undefined when `v` is not one.
 * 5.1 wraps a DateTime that went through a PSObject as
 * `{"value":"\/Date(...)\/","DateTime":"Friday, September 1, 2023 ..."}`
 * (PowerShell 6 to 7.1 did the same with ISO strings); the `value` is used
 * and the localized `DateTime` text ignored.
 */
export function readPsDateTime(v: unknown): PsDateTime | undefined {
  if (isJsonObject(v)) return readPsDateTime(psProp(v, 'value'));
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const ms = MS_DATE.exec(s);
  if (ms) return { kind: 'instant', epochMs: Number(ms[1]) };
  const m = ISO.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const fraction = Number(`0.${m[7] ?? '0'}`);
  if (!validWallClock(year, month, day, hour, minute, second)) return undefined;
  const wall = { year, month, day, hour, minute, second, ms: Math.floor(fraction * 1000) };
  const zone = m[8];
  if (zone === 'Z') return { kind: 'instant', epochMs: Date.UTC(year, month - 1, day, hour, minute, second, wall.ms) };
  const offsetMinutes = zone ? (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) : null;
  return { kind: 'wall', ...wall, offsetMinutes };
}

function validWallClock(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDate() === d;
}

/** `YYYY-MM-DD` of a UTC calendar date. */
export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const DAY_MS = 86_400_000;

/**
 * The calendar date of a value that holds a date only (midnight, local time
 * of the host): hotfix InstalledOn.
 *
 * Written as wall-clock time, the date is read off as written (never shifted
 * by the offset). Written by 5.1 as an instant, midnight local time became
 * UTC, so 2023-09-01 on a UTC+2 host is 2023-08-31T22:00Z; rounding to the
 * nearest UTC midnight gives the date back for any host offset strictly
 * between -12 and +12 hours. Hosts at UTC+12 and beyond (Fiji in summer,
 * Tonga, Kiribati) read one day early: the value does not carry the offset,
 * so nothing better is possible.
 */
export function psLocalDate(v: unknown): string | undefined {
  const dt = readPsDateTime(v);
  if (!dt) return undefined;
  if (dt.kind === 'wall') return isoDate(dt.year, dt.month, dt.day);
  const d = new Date(Math.round(dt.epochMs / DAY_MS) * DAY_MS);
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/**
 * The instant of a value that holds a point in time, as ISO 8601 UTC
 * (`2025-11-12T03:04:05.000Z`). `unspecifiedIs` says what a wall-clock value
 * without an offset means: Windows Update Agent history dates are UTC but
 * reach .NET as Kind Unspecified, so for them it is 'utc'; when nothing is
 * known, 'unknown' returns undefined instead of guessing.
 */
export function psInstant(v: unknown, unspecifiedIs: 'utc' | 'unknown'): string | undefined {
  const dt = readPsDateTime(v);
  if (!dt) return undefined;
  if (dt.kind === 'instant') return new Date(dt.epochMs).toISOString();
  if (dt.offsetMinutes === null && unspecifiedIs === 'unknown') return undefined;
  const utc = Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second, dt.ms) - (dt.offsetMinutes ?? 0) * 60_000;
  return new Date(utc).toISOString();
}
