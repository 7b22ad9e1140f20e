/**
 * The periods the fleet KPIs compare: the last `days` days up to the
 * controller clock's now, and the `days` days before them. Pure.
 */
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';

export const DAY_MS = 86_400_000;
/** Days per period when the caller names none: a week against the week before. */
export const DEFAULT_KPI_DAYS = 7;
/** Longest period one request may ask for (a quarter; the previous one doubles the rows read). */
export const MAX_KPI_DAYS = 90;

/** A half-open interval [from, to). */
export interface Interval {
  from: Date;
  to: Date;
}

/** The current period [now - days, now) and the previous one [now - 2 days, now - days). */
export interface KpiPeriods {
  now: Date;
  days: number;
  current: Interval;
  previous: Interval;
}

export function kpiPeriods(nowMs: number, days: number): KpiPeriods {
  const start = nowMs - days * DAY_MS;
  return {
    now: new Date(nowMs),
    days,
    current: { from: new Date(start), to: new Date(nowMs) },
    previous: { from: new Date(start - days * DAY_MS), to: new Date(start) },
  };
}

/** A figure now (or over the current period) and the same figure for the previous period. */
export interface Trend<T> {
  current: T;
  previous: T;
}

/** A timestamptz parameter (both drivers take the ISO text). */
export function ts(d: Date): SQL {
  return sql`${d.toISOString()}::timestamptz`;
}

/** `part / whole`, or null when nothing was counted (no rate rather than a made-up 0 or 1). */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}
