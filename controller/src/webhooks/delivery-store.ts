/**
 * Webhook deliveries and their log. Owns `webhook_deliveries` (rows are
 * created by outbox.ts) and `webhook_attempts`.
 *
 * Claiming takes due pending deliveries with FOR UPDATE SKIP LOCKED and
 * leases them: replicas running the worker side by side never take the same
 * delivery, and a lease left by a replica that died runs out and the
 * delivery is due again (at-least-once; receivers de-duplicate by event id).
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db } from '../db/index';
import { DELIVERY_STATES, webhookAttempts, webhookDeliveries, webhookEvents, type DeliveryState } from '../db/schema/index';

export { DELIVERY_STATES, type DeliveryState };

/** A claimed delivery with what sending it needs. */
export interface DueDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  url: string;
  secret: string;
  /** The event's JSON body. */
  payload: Record<string, unknown>;
  /** Attempts made before this one. */
  attempts: number;
}

/** Claims up to `limit` pending deliveries due at `now`, leased until `now + leaseMs`. */
export async function claimDueDeliveries(db: Db, now: Date, leaseMs: number, limit: number): Promise<DueDelivery[]> {
  const nowText = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const rows = resultRows<{ id: string; webhook_id: string; event_id: string; attempts: number }>(
    await db.execute(sql`
      update webhook_deliveries d set lease_until = ${until}::timestamptz
      where d.id in (
        select id from webhook_deliveries
        where state = 'pending' and next_attempt_at <= ${nowText}::timestamptz and (lease_until is null or lease_until <= ${nowText}::timestamptz)
        order by next_attempt_at, id limit ${limit}
        for update skip locked)
      returning d.id, d.webhook_id, d.event_id, d.attempts`),
  );
  if (rows.length === 0) return [];
  // The secret is read here, for the signature, and goes no further than the worker's HMAC.
  const details = resultRows<{ id: string; url: string; secret: string; type: string; payload: Record<string, unknown> | string }>(
    await db.execute(sql`
      select d.id, w.url, w.secret, e.type, e.payload
      from webhook_deliveries d join webhooks w on w.id = d.webhook_id join webhook_events e on e.id = d.event_id
      where d.id in (${sql.join(rows.map((r) => sql`${r.id}`), sql`, `)})`),
  );
  const byId = new Map(details.map((d) => [d.id, d]));
  return rows.flatMap((r) => {
    const d = byId.get(r.id);
    if (!d) return []; // its webhook was deleted between the two statements
    const payload = typeof d.payload === 'string' ? (JSON.parse(d.payload) as Record<string, unknown>) : d.payload;
    return [{ id: r.id, webhookId: r.webhook_id, eventId: r.event_id, eventType: d.type, url: d.url, secret: d.secret, payload, attempts: Number(r.attempts) }];
  });
}

/** What one attempt came to. */
export interface AttemptResult {
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * Logs attempt `attempt` of delivery `id` and moves the delivery on:
 * delivered (2xx), pending again at `retryAt`, or failed when `retryAt` is
 * null. Returns the new state (undefined when the webhook was deleted meanwhile).
 */
export async function recordAttempt(db: Db, id: string, attempt: number, result: AttemptResult, retryAt: Date | null): Promise<DeliveryState | undefined> {
  const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const state: DeliveryState = ok ? 'delivered' : retryAt ? 'pending' : 'failed';
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(webhookDeliveries)
      .set({
        state,
        attempts: attempt,
        leaseUntil: null,
        lastStatus: result.statusCode,
        lastError: result.error,
        ...(state === 'pending' && retryAt ? { nextAttemptAt: retryAt } : { finishedAt: result.at }),
      })
      .where(eq(webhookDeliveries.id, id))
      .returning({ id: webhookDeliveries.id });
    if (updated.length === 0) return undefined;
    await tx.insert(webhookAttempts).values({ deliveryId: id, attempt, at: result.at, statusCode: result.statusCode, error: result.error, durationMs: Math.max(0, Math.round(result.durationMs)) });
    return state;
  });
}

/** One delivery with its log, as the API shows it. */
export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
  log: { attempt: number; at: string; statusCode: number | null; error: string | null; durationMs: number }[];
}

/** The newest `limit` deliveries of webhook `webhookId` (optionally in one state), each with every attempt. */
export async function listDeliveries(db: Db, webhookId: string, filter: { state?: DeliveryState | undefined; limit: number }): Promise<DeliveryView[]> {
  const rows = await db
    .select({ d: webhookDeliveries, type: webhookEvents.type })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(and(eq(webhookDeliveries.webhookId, webhookId), filter.state ? eq(webhookDeliveries.state, filter.state) : undefined))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(filter.limit);
  if (rows.length === 0) return [];
  const attempts = await db
    .select()
    .from(webhookAttempts)
    .where(inArray(webhookAttempts.deliveryId, rows.map((r) => r.d.id)))
    .orderBy(webhookAttempts.deliveryId, webhookAttempts.attempt, webhookAttempts.id);
  return rows.map(({ d, type }) => ({
    id: d.id,
    eventId: d.eventId,
    eventType: type,
    state: d.state,
    attempts: d.attempts,
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt.toISOString() : null,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    finishedAt: d.finishedAt?.toISOString() ?? null,
    log: attempts.filter((a) => a.deliveryId === d.id).map((a) => ({ attempt: a.attempt, at: a.at.toISOString(), statusCode: a.statusCode, error: a.error, durationMs: a.durationMs })),
  }));
}
