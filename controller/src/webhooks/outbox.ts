/**
 * The EventSink (events/ports.ts) behind signed webhooks: an event becomes a
 * row of `webhook_events` and one pending `webhook_deliveries` row per
 * webhook subscribed to its type, in the transaction of the change, so a
 * crash either keeps both or neither. The delivery worker (worker.ts) sends
 * them. An event no webhook subscribes to is not kept. Owns
 * `webhook_events`; writes new rows of `webhook_deliveries` for
 * delivery-store.ts.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Clock } from '@patchfleet/shared';
import type { Db, Tx } from '../db/index';
import type { EventSink } from '../events/ports';
import type { EventBody, PatchfleetEvent } from '../events/types';

export class WebhookOutbox implements EventSink {
  /** `clock`: wall time of the event (createdAt, first attempt due at once). */
  constructor(private readonly clock: Clock) {}

  async emit(tx: Tx, event: PatchfleetEvent, opts: { dedupeKey?: string; at?: Date } = {}): Promise<void> {
    const at = opts.at ?? new Date(this.clock.now());
    const id = `evt_${randomBytes(8).toString('hex')}`;
    const body: EventBody = { id, type: event.type, createdAt: at.toISOString(), data: event.data };
    const atText = at.toISOString();
    const typeJson = JSON.stringify([event.type]);
    // One statement: the event (unless no webhook wants its type, or its dedupe key was seen) and a delivery per subscribed webhook.
    await tx.execute(sql`
      with e as (
        insert into webhook_events (id, type, dedupe_key, payload, created_at)
        select ${id}, ${event.type}, ${opts.dedupeKey ?? null}, ${JSON.stringify(body)}::jsonb, ${atText}::timestamptz
        where exists (select 1 from webhooks w where w.events @> ${typeJson}::jsonb)
        on conflict (dedupe_key) do nothing
        returning id)
      insert into webhook_deliveries (id, webhook_id, event_id, state, attempts, next_attempt_at, created_at)
      select 'whd_' || md5(e.id || w.id), w.id, e.id, 'pending', 0, ${atText}::timestamptz, ${atText}::timestamptz
      from e, webhooks w where w.events @> ${typeJson}::jsonb`);
  }
}

/** Days an event is kept once none of its deliveries is pending (the delivery log goes with it). */
export const WEBHOOK_RETENTION_DAYS = 30;

/**
 * Deletes events created before `before` whose deliveries are all finished
 * (delivered or failed), with those deliveries and their attempts; returns
 * how many events went. Idempotent: every replica's worker may run it.
 */
export async function pruneWebhookEvents(db: Db, before: Date): Promise<number> {
  const rows = resultRows<{ n: number }>(
    await db.execute(sql`
      with gone as (
        delete from webhook_events e where e.created_at < ${before.toISOString()}::timestamptz
          and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.state = 'pending')
        returning 1)
      select count(*)::int as n from gone`),
  );
  return Number(rows[0]?.n ?? 0);
}
