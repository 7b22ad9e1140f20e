import { bigserial, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { webhookDeliveries } from './webhook-deliveries';

/** The delivery log: every POST of a delivery, with the answer or the error and how long it took. Owner: webhooks/delivery-store.ts. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: text('delivery_id').notNull().references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    /** 1 for the first try. */
    attempt: integer('attempt').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    /** HTTP status of the answer; null when none came (refused, timed out, TLS). */
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.attempt)],
);
