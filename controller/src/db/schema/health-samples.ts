import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { hosts } from './hosts';

/** What one sample lists about the events it counted (bounded by the agent): for incidents and the host's health page. */
export interface HealthEventDetail {
  /** app-crash | kernel-crash | service-failure | unexpected-shutdown | probe-failure */
  kind: string;
  at: number;
  /** Process, unit, probe name or event id. */
  subject: string;
  message?: string;
}

/**
 * One health sample as the agent sent it (capability `health/1`): counters
 * for the interval [periodStart, periodEnd). A counter is null when its
 * source was unavailable on the host (never reported as 0). Keyed by the
 * agent's health outbox (epoch, seq): a resent sample is a duplicate.
 * Written in batches by health/sample-store.ts; pruned by health/retention.ts.
 */
export const healthSamples = pgTable(
  'health_samples',
  {
    hostId: text('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    epoch: text('epoch').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    periodStart: timestamp('period_start', { withTimezone: true, mode: 'date' }).notNull(),
    periodEnd: timestamp('period_end', { withTimezone: true, mode: 'date' }).notNull(),
    bootId: text('boot_id').notNull().default(''),
    uptimeSec: bigint('uptime_sec', { mode: 'number' }),
    appCrashes: integer('app_crashes'),
    kernelCrashes: integer('kernel_crashes'),
    serviceFailures: integer('service_failures'),
    unexpectedShutdowns: integer('unexpected_shutdowns'),
    probeFailures: integer('probe_failures'),
    probeRuns: integer('probe_runs'),
    /** Names of the sources that could not be read this interval (journald, units, var-crash, eventlog, ...). */
    unavailable: text('unavailable').array().notNull().default([]),
    events: jsonb('events').$type<HealthEventDetail[]>().notNull().default([]),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  // health_samples_host_period_idx INCLUDEs period_end and the counters (written by hand in migration 0010:
  // drizzle cannot spell INCLUDE): the cohort sums (safety/cohorts.ts) are index-only scans.
  (t) => [primaryKey({ columns: [t.hostId, t.epoch, t.seq] }), index('health_samples_host_period_idx').on(t.hostId, t.periodStart), index('health_samples_period_end_idx').on(t.periodEnd), index('health_samples_received_idx').on(t.receivedAt)],
);

/** The sums a health roll-up row holds (hourly and daily): samples, sampled seconds and the counters. */
function rollupSums() {
  return {
    samples: integer('samples').notNull(),
    coveredSec: integer('covered_sec').notNull(),
    appCrashes: integer('app_crashes').notNull().default(0),
    kernelCrashes: integer('kernel_crashes').notNull().default(0),
    serviceFailures: integer('service_failures').notNull().default(0),
    unexpectedShutdowns: integer('unexpected_shutdowns').notNull().default(0),
    probeFailures: integer('probe_failures').notNull().default(0),
    probeRuns: integer('probe_runs').notNull().default(0),
  };
}

/**
 * Hourly roll-up per host (health/rollup.ts): sums of the samples whose
 * interval starts in the hour. `coveredSec` is the sampled (online) time; a
 * counter's `*Sec` twin is the time its source was available.
 */
export const healthHourly = pgTable(
  'health_hourly',
  {
    hostId: text('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    hour: timestamp('hour', { withTimezone: true, mode: 'date' }).notNull(),
    ...rollupSums(),
    bootIds: text('boot_ids').array().notNull().default([]),
  },
  // health_hourly_host_hour_cover_idx INCLUDEs covered_sec and the counters (written by hand in migration 0010:
  // drizzle cannot spell INCLUDE): the cohort sums (safety/cohorts.ts) are index-only scans, never a heap row per host-hour.
  (t) => [primaryKey({ columns: [t.hostId, t.hour] }), index('health_hourly_hour_idx').on(t.hour), index('health_hourly_host_hour_cover_idx').on(t.hostId, t.hour)],
);

/**
 * Daily roll-up per host and UTC day (health/rollup.ts): the sums of that
 * day's health_hourly rows, recomputed from them whenever one of its hours
 * is. Readers that sum many days per host (cohort windows, the reliability
 * score's 14 days before and after an install) read whole days here and only
 * the partial days at a window's edges from health_hourly.
 */
export const healthDaily = pgTable(
  'health_daily',
  {
    hostId: text('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    day: timestamp('day', { withTimezone: true, mode: 'date' }).notNull(),
    ...rollupSums(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.day] }), index('health_daily_day_idx').on(t.day)],
);

/** What a probe checks. http: url, expectStatus, maxLatencyMs, bodyMatch (regex); tcp: host, port; command: argv, expectExit. */
export interface ProbeSpec {
  url?: string;
  expectStatus?: number;
  maxLatencyMs?: number;
  bodyMatch?: string;
  host?: string;
  port?: number;
  argv?: string[];
  expectExit?: number;
}

/** Which hosts a probe runs on: every label listed must match, and the host must be in `ringId` when given. Empty: every host. */
export interface ProbeScope {
  labels?: Record<string, string>;
  ringId?: string;
}

/** Health probes, configured centrally and pushed to agents (health/probes.ts). */
export const probes = pgTable('probes', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  kind: text('kind', { enum: ['http', 'tcp', 'command'] }).notNull(),
  spec: jsonb('spec').$type<ProbeSpec>().notNull(),
  scope: jsonb('scope').$type<ProbeScope>().notNull().default({}),
  timeoutMs: integer('timeout_ms').notNull().default(5000),
  enabled: boolean('enabled').notNull().default(true),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/** Controller-wide settings as key -> JSON value (health.intervalSec, health.retentionDays, ...). Owner: health/settings.ts. */
export const controllerSettings = pgTable('controller_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedBy: text('updated_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});
