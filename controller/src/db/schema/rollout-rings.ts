import { integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { rings } from './rings';
import { rollouts } from './rollouts';

/** waiting (deferral) -> scheduled (next window) -> installing (waves) -> soaking -> passed; or halted / cancelled. */
export const ROLLOUT_RING_STATES = ['waiting', 'scheduled', 'installing', 'soaking', 'passed', 'halted', 'cancelled'] as const;
export type RolloutRingState = (typeof ROLLOUT_RING_STATES)[number];

/** One ring's progress in one rollout. Dates and approvals needed are fixed at start; windows, waves, soak and promotion are read from the ring live (an edit applies to running rollouts). */
export const rolloutRings = pgTable(
  'rollout_rings',
  {
    rolloutId: text('rollout_id').notNull().references(() => rollouts.id, { onDelete: 'cascade' }),
    ringId: text('ring_id').notNull().references(() => rings.id),
    ringName: text('ring_name').notNull(),
    position: integer('position').notNull(),
    state: text('state', { enum: ROLLOUT_RING_STATES }).notNull(),
    stateAt: timestamp('state_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** release + deferral (or the rollout start when expedited). */
    eligibleAt: timestamp('eligible_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** release + deferral + deadline days: hosts not patched by then are reported. */
    deadlineAt: timestamp('deadline_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** deadline + grace days: the last moment before a forced reboot. */
    graceEndsAt: timestamp('grace_ends_at', { withTimezone: true, mode: 'date' }).notNull(),
    approvalsNeeded: integer('approvals_needed').notNull().default(0),
    wave: integer('wave').notNull().default(0),
    soakUntil: timestamp('soak_until', { withTimezone: true, mode: 'date' }),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    note: text('note'),
  },
  (t) => [primaryKey({ columns: [t.rolloutId, t.ringId] })],
);
