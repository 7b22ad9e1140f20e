import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { hosts } from './hosts';
import { rings } from './rings';

/** The ring each host is in, as last computed by the assignment, and why. */
export const ringAssignments = pgTable(
  'ring_assignments',
  {
    hostId: text('host_id').primaryKey().references(() => hosts.id, { onDelete: 'cascade' }),
    // Assignments are recomputed, so deleting a ring drops its (stale) rows.
    ringId: text('ring_id').notNull().references(() => rings.id, { onDelete: 'cascade' }),
    reason: text('reason', { enum: ['pin', 'rule', 'auto'] }).notNull(),
    assignedAt: timestamp('assigned_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('ring_assignments_ring_idx').on(t.ringId)],
);
