/**
 * Health settings kept in `controller_settings` (this module owns the
 * table): the sample interval pushed to agents, how long samples are kept,
 * and the roll-up job's watermark. Values are JSON; a missing or malformed
 * value reads as its default, so a fresh controller needs no seeding.
 */
import { inArray, sql } from 'drizzle-orm';
import { HEALTH_INTERVAL } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { Db, Tx } from '../db/index';
import { controllerSettings } from '../db/schema/index';

export const SettingKeys = {
  intervalSec: 'health.intervalSec',
  retentionDays: 'health.retentionDays',
  rollupWatermark: 'health.rollupWatermark',
} as const;

export const DEFAULT_HEALTH_RETENTION_DAYS = 30;
export const RETENTION_DAYS_LIMITS = { min: 1, max: 3650 } as const;
/** Hourly roll-ups outlive raw samples: at least this many days (the reliability score reads months of history). */
export const MIN_HOURLY_RETENTION_DAYS = 90;

export interface HealthSettings {
  intervalSec: number;
  retentionDays: number;
}

function intIn(value: unknown, min: number, max: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}

/** The current health settings (defaults for what was never set). */
export async function getHealthSettings(db: Db | Tx): Promise<HealthSettings> {
  const rows = await db.select({ key: controllerSettings.key, value: controllerSettings.value }).from(controllerSettings).where(inArray(controllerSettings.key, [SettingKeys.intervalSec, SettingKeys.retentionDays]));
  const byKey = new Map(rows.map((r) => [r.key, r.value]));
  return {
    intervalSec: intIn(byKey.get(SettingKeys.intervalSec), HEALTH_INTERVAL.minSec, HEALTH_INTERVAL.maxSec) ?? HEALTH_INTERVAL.defaultSec,
    retentionDays: intIn(byKey.get(SettingKeys.retentionDays), RETENTION_DAYS_LIMITS.min, RETENTION_DAYS_LIMITS.max) ?? DEFAULT_HEALTH_RETENTION_DAYS,
  };
}

/** Writes the given settings (others unchanged); refuses values out of range with PF_ERR_VALIDATION. Returns the settings now in force. */
export async function setHealthSettings(tx: Tx, change: Partial<HealthSettings>, actor: string, now: Date): Promise<HealthSettings> {
  const rows: { key: string; value: number }[] = [];
  if (change.intervalSec !== undefined) {
    if (intIn(change.intervalSec, HEALTH_INTERVAL.minSec, HEALTH_INTERVAL.maxSec) === undefined) throw new PfError(Errors.VALIDATION, `intervalSec must be an integer from ${HEALTH_INTERVAL.minSec} to ${HEALTH_INTERVAL.maxSec}`);
    rows.push({ key: SettingKeys.intervalSec, value: change.intervalSec });
  }
  if (change.retentionDays !== undefined) {
    if (intIn(change.retentionDays, RETENTION_DAYS_LIMITS.min, RETENTION_DAYS_LIMITS.max) === undefined) throw new PfError(Errors.VALIDATION, `retentionDays must be an integer from ${RETENTION_DAYS_LIMITS.min} to ${RETENTION_DAYS_LIMITS.max}`);
    rows.push({ key: SettingKeys.retentionDays, value: change.retentionDays });
  }
  if (rows.length > 0) await putSettings(tx, rows, actor, now);
  return getHealthSettings(tx);
}

async function putSettings(db: Db | Tx, rows: { key: string; value: unknown }[], actor: string, now: Date): Promise<void> {
  await db
    .insert(controllerSettings)
    .values(rows.map((r) => ({ key: r.key, value: r.value, updatedBy: actor, updatedAt: now })))
    .onConflictDoUpdate({ target: controllerSettings.key, set: { value: sql`excluded.value`, updatedBy: sql`excluded.updated_by`, updatedAt: sql`excluded.updated_at` } });
}

/** The roll-up watermark: samples received after it are not rolled up yet (undefined: never ran). */
export async function getRollupWatermark(db: Db | Tx): Promise<Date | undefined> {
  const [row] = await db.select({ value: controllerSettings.value }).from(controllerSettings).where(inArray(controllerSettings.key, [SettingKeys.rollupWatermark])).limit(1);
  const v = row?.value;
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? new Date(t) : undefined;
}

export async function setRollupWatermark(db: Db | Tx, at: Date, now: Date): Promise<void> {
  await putSettings(db, [{ key: SettingKeys.rollupWatermark, value: at.toISOString() }], 'system', now);
}
