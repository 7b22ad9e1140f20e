import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One line of an incident's timeline. */
export interface IncidentEvent {
  at: string;
  event: string;
  details?: Record<string, unknown>;
}

/**
 * A patch blocked for a host class (or fleet-wide, `hostClass` null) after a
 * gate tripped. Active blocks stop the patch's waves for that class and keep
 * new rollouts from ordering it there. Lifting takes an admin and a reason;
 * a fleet-wide block takes two people (the first asks, a second confirms).
 * Owner: safety/blocks.ts.
 */
export const patchBlocks = pgTable(
  'patch_blocks',
  {
    id: text('id').primaryKey(),
    patchId: text('patch_id').notNull(),
    /** hostClassOf(...) of the class; null: fleet-wide. */
    hostClass: text('host_class'),
    state: text('state', { enum: ['active', 'lifted'] }).notNull(),
    reason: text('reason').notNull(),
    incidentId: text('incident_id'),
    rolloutId: text('rollout_id'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    liftRequestedBy: text('lift_requested_by'),
    liftRequestedPerson: text('lift_requested_person'),
    liftRequestedAt: timestamp('lift_requested_at', { withTimezone: true, mode: 'date' }),
    liftReason: text('lift_reason'),
    liftedBy: text('lifted_by'),
    liftedAt: timestamp('lifted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('patch_blocks_patch_idx').on(t.patchId, t.state)],
);

/**
 * What a tripped gate found: the evidence (cohort counts, statistics,
 * thresholds), the hosts harmed and rolled back, and a timeline. Owner:
 * safety/incidents.ts.
 */
export const incidents = pgTable(
  'incidents',
  {
    id: text('id').primaryKey(),
    patchId: text('patch_id').notNull(),
    rolloutId: text('rollout_id'),
    hostClass: text('host_class'),
    /** crash-rate | kernel-crash-rate | service-failure-rate | shutdown-rate | probe-failure-rate | install-failure | boot-failure | absolute-limit */
    gate: text('gate').notNull(),
    state: text('state', { enum: ['open', 'resolved'] }).notNull(),
    /** One sentence in words: what was seen against what baseline. */
    summary: text('summary').notNull(),
    evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull(),
    rollbackPolicy: text('rollback_policy', { enum: ['harmed', 'cohort', 'none'] }).notNull(),
    harmedHosts: text('harmed_hosts').array().notNull().default([]),
    rolledBackHosts: text('rolled_back_hosts').array().notNull().default([]),
    timeline: jsonb('timeline').$type<IncidentEvent[]>().notNull().default([]),
    openedAt: timestamp('opened_at', { withTimezone: true, mode: 'date' }).notNull(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('incidents_patch_idx').on(t.patchId), index('incidents_opened_idx').on(t.openedAt)],
);
