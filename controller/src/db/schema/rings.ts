import { boolean, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** A maintenance window: starts when `cron` fires in `timeZone`, stays open `durationMin` minutes. */
export interface MaintenanceWindow {
  cron: string;
  timeZone: string;
  durationMin: number;
}

/** When a ring's results let the next ring start. */
export interface PromotionCriteria {
  minHostsDone: number;
  /** 0..1 */
  maxFailureRate: number;
}

/** Whether hosts reboot after installing, and how long a required reboot may wait. */
export interface RebootPolicy {
  policy: 'never' | 'when-required' | 'always';
  deadlineHours: number;
}

/**
 * What the health gates do in this ring (safety/): `rollback` after a tripped
 * gate (harmed: the hosts that showed the harm; cohort: every patched host of
 * the class; none), how long a host that must reboot after an install has to
 * come back with a new boot id, and the gate's false-alarm level.
 */
export interface RingHealthPolicy {
  rollback: 'harmed' | 'cohort' | 'none';
  rebootGraceMin: number;
  /** Anytime-valid false-trip bound of the gates (default 0.01). */
  alpha: number;
  /**
   * Hours the gates keep judging a host after its install, whatever the
   * ring's state (soak over, ring passed, rollout completed): harm that shows
   * late or needs more exposure than the soak gives is still caught (default 168).
   */
  watchHours: number;
}

export const DEFAULT_RING_HEALTH: RingHealthPolicy = { rollback: 'harmed', rebootGraceMin: 30, alpha: 0.01, watchHours: 168 };

/**
 * Deployment rings, released in `position` order. `percent` is the share of
 * automatically assigned hosts; null for rings that only hold pinned or
 * rule-assigned hosts (Test).
 */
export const rings = pgTable('rings', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  position: integer('position').notNull(),
  percent: integer('percent'),
  deferralDays: integer('deferral_days').notNull().default(0),
  deadlineDays: integer('deadline_days').notNull().default(0),
  graceDays: integer('grace_days').notNull().default(0),
  windows: jsonb('windows').$type<MaintenanceWindow[]>().notNull().default([]),
  waveSize: integer('wave_size').notNull().default(0),
  maxConcurrent: integer('max_concurrent').notNull().default(0),
  soakHours: integer('soak_hours').notNull().default(0),
  promotion: jsonb('promotion').$type<PromotionCriteria>().notNull(),
  reboot: jsonb('reboot').$type<RebootPolicy>().notNull(),
  approvalRequired: boolean('approval_required').notNull().default(false),
  health: jsonb('health').$type<RingHealthPolicy>().notNull().default(DEFAULT_RING_HEALTH),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});
