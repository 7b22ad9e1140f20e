import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Every event the controller emitted for webhooks (events/types.ts), written
 * in the transaction of the change it reports. `dedupeKey` makes an event
 * that must be sent once (an approval a ring waits for) an insert that does
 * nothing the second time. Owner: webhooks/outbox.ts.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    /** `evt_` + 16 hex; sent as X-Patchfleet-Event-Id so receivers drop repeats. */
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    dedupeKey: text('dedupe_key'),
    /** The whole JSON body POSTed to subscribers. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [uniqueIndex('webhook_events_dedupe_idx').on(t.dedupeKey), index('webhook_events_created_idx').on(t.createdAt)],
);
