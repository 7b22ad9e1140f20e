import { boolean, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The people behind API tokens, until user accounts exist. Two-person rules
 * count people, not tokens. A token minted by another token belongs to the
 * same person; only the registrar (the bootstrap admin's person) registers
 * new people, and a person it registered never counts as a second person
 * beside it (keys/people.ts).
 */
export const people = pgTable('people', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  /** The bootstrap admin's person: the only one that may register people. */
  registrar: boolean('registrar').notNull().default(false),
  /** Who registered this person (null for the registrar). */
  registeredBy: text('registered_by'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
});
