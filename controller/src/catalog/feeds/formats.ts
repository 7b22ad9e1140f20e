/**
 * Value formats shared by the feed parsers: CVE ids and dates. Kept strict
 * because a malformed id or date silently breaks joins between feeds later.
 */

/** A CVE id as assigned by the CVE Program; the sequence part has 4 or more digits. */
export const CVE_ID = /^CVE-\d{4}-\d{4,}$/;

/** True when `value` is a CVE id such as `CVE-2025-62215`. */
export function isCveId(value: string): boolean {
  return CVE_ID.test(value);
}

/** Orders CVE ids by year, then sequence number (so CVE-2024-9999 < CVE-2024-10000). */
export function compareCveIds(a: string, b: string): number {
  const [, ya = '', na = ''] = a.split('-');
  const [, yb = '', nb = ''] = b.split('-');
  return Number(ya) - Number(yb) || Number(na) - Number(nb) || a.localeCompare(b);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for `YYYY-MM-DD` naming a day that exists (no 2025-02-30). */
export function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one; UTC avoids DST edges.
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= lastDay;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * True for an ISO 8601 / RFC 3339 timestamp. `requireZone` demands `Z` or an
 * offset (OSV and KEV always carry one; MSRC CVRF dates carry none).
 */
export function isTimestamp(value: string, requireZone: boolean): boolean {
  const m = TIMESTAMP.exec(value);
  if (m === null || !isCalendarDate(m[1] ?? '')) return false;
  return !requireZone || m[4] !== undefined;
}
