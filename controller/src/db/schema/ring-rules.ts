import { integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { rings } from './rings';

/** What a ring rule matches on; every given field must match (labels: every given label). */
export interface RingRuleMatch {
  labels?: Record<string, string>;
  osId?: string;
  osVersion?: string;
  role?: string;
  criticality?: string;
}

/** Assignment rules, tried in `position` order; the first match places the host. */
export const ringRules = pgTable('ring_rules', {
  id: text('id').primaryKey(),
  position: integer('position').notNull(),
  match: jsonb('match').$type<RingRuleMatch>().notNull(),
  ringId: text('ring_id').notNull().references(() => rings.id, { onDelete: 'restrict' }),
});
