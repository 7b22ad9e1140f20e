import { integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Enrollment tokens, stored only as SHA-256 of the secret. */
export const enrollmentTokens = pgTable('enrollment_tokens', {
  id: text('id').primaryKey(),
  tokenHash: text('token_hash').notNull().unique(),
  description: text('description').notNull().default(''),
  labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
  maxUses: integer('max_uses').notNull(),
  uses: integer('uses').notNull().default(0),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  createdBy: text('created_by').notNull(),
});
