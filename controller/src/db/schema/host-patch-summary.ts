import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { hosts } from './hosts';

/**
 * One row per assessed host, written with its host_patch_state rows (same
 * transaction, assess/host-state.ts): what fleet-wide figures need of a
 * host's patch state without reading all its rows (kpis/: share within SLA).
 * A host the assessment has no rows for (no advisory source covers it) has
 * no summary either.
 */
export const hostPatchSummary = pgTable('host_patch_summary', {
  hostId: text('host_id')
    .primaryKey()
    .references(() => hosts.id, { onDelete: 'cascade' }),
  missing: integer('missing').notNull(),
  /** Earliest deadline among the missing patches; null when none is missing. */
  firstDueBy: timestamp('first_due_by', { withTimezone: true, mode: 'date' }),
  assessedAt: timestamp('assessed_at', { withTimezone: true, mode: 'date' }).notNull(),
});
