/** The SLA watch on a real database: hosts past an advisory's priority deadline are reported once each, grouped by advisory. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../db/index';
import { hostPatchState, hosts, slaBreaches, webhookEvents } from '../db/schema/index';
import { listDeliveries } from '../webhooks/delivery-store';
import { WebhookOutbox } from '../webhooks/outbox';
import { createWebhook } from '../webhooks/webhook-store';
import { reportMissedSlas } from './sla-watch';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const DAY = 86_400_000;
let tdb: TestDatabase;
let db: Db;

beforeEach(async () => {
  tdb = await openTestDatabase();
  db = tdb.database.db;
});
afterEach(async () => {
  await tdb.cleanup();
});

function missing(hostId: string, patchId: string, dueBy: number, tier: 'critical' | 'high' = 'critical', status: 'missing' | 'installed' = 'missing') {
  return { hostId, patchId, kind: 'usn' as const, status, tier, score: 90, dueBy: new Date(dueBy), assessedAt: new Date(T0 - DAY) };
}

describe('SLA watch', () => {
  it('reports each host past a patch deadline once, one event per advisory and tier, and skips what is not due, installed or revoked', async () => {
    const hook = await createWebhook(db, { url: 'http://127.0.0.1:9/h', events: ['deadline.missed'] }, new Date(T0), { actor: 'token:at_t' });
    await db.insert(hosts).values(['h1', 'h2', 'h3', 'gone'].map((id) => ({ id, hostname: id, enrolledAt: new Date(T0 - 10 * DAY), status: id === 'gone' ? ('revoked' as const) : ('active' as const) })));
    await db.insert(hostPatchState).values([
      missing('h1', 'USN-1', T0 - DAY),
      missing('h2', 'USN-1', T0 - 2 * DAY),
      missing('h3', 'USN-1', T0 + DAY), // not due yet
      missing('h1', 'USN-2', T0 - DAY, 'high'),
      missing('h2', 'USN-3', T0 - DAY, 'critical', 'installed'),
      missing('gone', 'USN-1', T0 - DAY),
    ]);
    const outbox = new WebhookOutbox(systemClock);
    expect(await reportMissedSlas(db, outbox, new Date(T0), new Date(T0))).toBe(3);
    const events = (await db.select().from(webhookEvents).orderBy(webhookEvents.createdAt, webhookEvents.id)).map((e) => (e.payload as { data: Record<string, unknown> }).data);
    const byPatch = Object.fromEntries(events.map((d) => [(d['patchIds'] as string[])[0], d]));
    expect(Object.keys(byPatch).sort()).toEqual(['USN-1', 'USN-2']);
    expect(byPatch['USN-1']).toEqual({ source: 'sla', deadline: new Date(T0 - 2 * DAY).toISOString(), hostIds: ['h1', 'h2'], patchIds: ['USN-1'], rolloutId: null, rolloutName: null, ring: null, tier: 'critical' });
    expect(byPatch['USN-2']).toMatchObject({ hostIds: ['h1'], tier: 'high' });
    expect(await listDeliveries(db, hook.id, { limit: 10 })).toHaveLength(2);

    // The next round: nothing new. A day later h3 is overdue too, and only h3 is reported.
    expect(await reportMissedSlas(db, outbox, new Date(T0 + 5 * 60_000), new Date(T0))).toBe(0);
    expect(await reportMissedSlas(db, outbox, new Date(T0 + 2 * DAY), new Date(T0))).toBe(1);
    const all = await db.select().from(webhookEvents);
    expect(all).toHaveLength(3);
    expect((await db.select().from(slaBreaches)).map((b) => `${b.hostId}/${b.patchId}`).sort()).toEqual(['h1/USN-1', 'h1/USN-2', 'h2/USN-1', 'h3/USN-1']);
  });
});
