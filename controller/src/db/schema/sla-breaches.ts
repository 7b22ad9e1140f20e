import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Hosts found still missing an advisory after its priority deadline
 * (host_patch_state.due_by: the tier's SLA or a CISA KEV due date), each
 * (host, patch) once: the row is what makes the deadline.missed event of
 * the SLA watch fire once. Owner: assess/sla-watch.ts.
 */
export const slaBreaches = pgTable(
  'sla_breaches',
  {
    hostId: text('host_id').notNull(),
    patchId: text('patch_id').notNull(),
    dueBy: timestamp('due_by', { withTimezone: true, mode: 'date' }).notNull(),
    foundAt: timestamp('found_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.patchId] })],
);
