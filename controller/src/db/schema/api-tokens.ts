import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const ROLES = ['admin', 'operator', 'helpdesk'] as const;
export type Role = (typeof ROLES)[number];

/** API tokens for people and scripts, stored only as SHA-256 of the secret. */
export const apiTokens = pgTable('api_tokens', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  role: text('role', { enum: ROLES }).notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  /** Null: never expires (only the bootstrap admin token, or an explicit `never`). */
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
  /** The person (people.id) this token belongs to; set for every token since migration 0006. */
  personId: text('person_id'),
  /** The token that minted this one (null for the bootstrap token). */
  createdBy: text('created_by'),
});
