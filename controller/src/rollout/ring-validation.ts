/** Checks ring settings beyond what the JSON schema can: cron syntax, time zones, percentages. */
import { validate as validateCron } from 'node-cron';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { MaintenanceWindow, RingHealthPolicy } from '../db/schema/index';
import { nextWindowStart } from './windows';

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return true;
  } catch (err) {
    // Intl throws RangeError for an unknown zone; anything else is a real fault.
    if (err instanceof RangeError) return false;
    throw err;
  }
}

/** Refuses a window list with a bad cron expression, unknown zone or non-positive duration, naming the field. */
export function validateWindows(windows: readonly MaintenanceWindow[]): void {
  windows.forEach((w, i) => {
    if (!validateCron(w.cron)) throw new PfError(Errors.VALIDATION, `windows[${i}].cron "${w.cron}" is not a valid cron expression`);
    if (!isTimeZone(w.timeZone)) throw new PfError(Errors.VALIDATION, `windows[${i}].timeZone "${w.timeZone}" is not an IANA time zone`);
    if (!Number.isInteger(w.durationMin) || w.durationMin < 1) throw new PfError(Errors.VALIDATION, `windows[${i}].durationMin must be a whole number of minutes >= 1`);
    // The planner's window math takes five-field expressions only (no seconds, no @daily): refuse here what it would refuse later.
    if (w.cron.trim().split(/\s+/).length !== 5) throw new PfError(Errors.VALIDATION, `windows[${i}].cron "${w.cron}" must have five fields (minute hour day-of-month month day-of-week)`);
    nextWindowStart([w], 0);
  });
}

/**
 * Percent shares of the automatic rings. Edits may leave the sum below 100
 * (moving share from one ring to another takes two edits: lower one first);
 * `exact` (used before assigning) requires exactly 100.
 */
export function validatePercents(rings: readonly { name: string; percent: number | null }[], exact: boolean): void {
  const shared = rings.filter((r) => r.percent !== null);
  const sum = shared.reduce((a, r) => a + (r.percent ?? 0), 0);
  const detail = shared.map((r) => `${r.name}=${r.percent}`).join(', ');
  if (sum > 100) throw new PfError(Errors.VALIDATION, `percent of the rings must sum to 100, got ${sum} (${detail})`);
  if (exact && sum !== 100) throw new PfError(Errors.VALIDATION, `percent of the rings must sum to 100 before assigning, got ${sum} (${detail})`);
}

/** The most lenient false-alarm level a gate may be given. */
export const MAX_GATE_ALPHA = 0.2;
/** Longest post-install watch: 90 days. */
export const MAX_WATCH_HOURS = 90 * 24;

/** Refuses a health policy with an unknown rollback policy, a grace outside 1 minute .. 7 days, alpha outside (0, MAX_GATE_ALPHA] or a watch outside 0 .. MAX_WATCH_HOURS; returns it. */
export function validateHealth(health: RingHealthPolicy): RingHealthPolicy {
  if (!['harmed', 'cohort', 'none'].includes(health.rollback)) throw new PfError(Errors.VALIDATION, `health.rollback must be harmed, cohort or none, got "${String(health.rollback)}"`);
  if (!Number.isInteger(health.rebootGraceMin) || health.rebootGraceMin < 1 || health.rebootGraceMin > 7 * 24 * 60) {
    throw new PfError(Errors.VALIDATION, `health.rebootGraceMin must be a whole number of minutes from 1 to ${7 * 24 * 60}, got ${String(health.rebootGraceMin)}`);
  }
  if (!(typeof health.alpha === 'number' && health.alpha > 0 && health.alpha <= MAX_GATE_ALPHA)) throw new PfError(Errors.VALIDATION, `health.alpha must be above 0 and at most ${MAX_GATE_ALPHA}, got ${String(health.alpha)}`);
  if (!Number.isInteger(health.watchHours) || health.watchHours < 0 || health.watchHours > MAX_WATCH_HOURS) {
    throw new PfError(Errors.VALIDATION, `health.watchHours must be a whole number of hours from 0 to ${MAX_WATCH_HOURS}, got ${String(health.watchHours)}`);
  }
  return { rollback: health.rollback, rebootGraceMin: health.rebootGraceMin, alpha: health.alpha, watchHours: health.watchHours };
}
