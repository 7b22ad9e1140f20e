import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Subscribers of signed webhooks: where to POST which events. The secret is
 * made by the controller, shown once when the webhook is created, and kept
 * recoverable here because every delivery is signed with it (HMAC-SHA256);
 * it is never logged and never listed. Owner: webhooks/webhook-store.ts.
 */
export const webhooks = pgTable('webhooks', {
  id: text('id').primaryKey(),
  /** http:// or https:// only (webhooks/url.ts). */
  url: text('url').notNull(),
  description: text('description').notNull().default(''),
  /** Event types delivered here (events/types.ts EVENT_TYPES). */
  events: jsonb('events').$type<string[]>().notNull(),
  /** `whsec_` + 32 random bytes (base64url); the HMAC key is this whole string. */
  secret: text('secret').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  /** Actor that created it (`token:<id>`). */
  createdBy: text('created_by').notNull(),
});
