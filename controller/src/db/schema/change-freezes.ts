import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** A period in which no ring (or only `ringId`) starts installing. */
export const changeFreezes = pgTable('change_freezes', {
  id: text('id').primaryKey(),
  /** null: every ring */
  ringId: text('ring_id'),
  startsAt: timestamp('starts_at', { withTimezone: true, mode: 'date' }).notNull(),
  endsAt: timestamp('ends_at', { withTimezone: true, mode: 'date' }).notNull(),
  reason: text('reason').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
});
