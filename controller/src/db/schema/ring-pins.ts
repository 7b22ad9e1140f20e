import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { hosts } from './hosts';
import { rings } from './rings';

/** Hosts an admin placed in a ring by hand; they win over rules and automatic assignment. */
export const ringPins = pgTable('ring_pins', {
  hostId: text('host_id').primaryKey().references(() => hosts.id, { onDelete: 'cascade' }),
  // Restrict: deleting a ring that still holds pins is refused, not silently unpinning hosts.
  ringId: text('ring_id').notNull().references(() => rings.id, { onDelete: 'restrict' }),
  pinnedAt: timestamp('pinned_at', { withTimezone: true, mode: 'date' }).notNull(),
  pinnedBy: text('pinned_by').notNull(),
});
