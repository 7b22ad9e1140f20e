/**
 * The webhook worker against real receivers on 127.0.0.1 (HTTP and HTTPS)
 * and a real database (PGlite, or PostgreSQL with DATABASE_URL): signed
 * bodies, retries with backoff logged attempt by attempt, failure after the
 * last attempt, and nothing lost when a worker is replaced (a restart).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { systemClock } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../db/index';
import { webhookDeliveries, webhookEvents } from '../db/schema/index';
import { createLogger } from '../logger';
import { listDeliveries } from './delivery-store';
import { pruneWebhookEvents, WebhookOutbox } from './outbox';
import { startReceiver, type Receiver } from './receiver.test-support';
import { verifySignature } from './signature';
import { createWebhook } from './webhook-store';
import { WebhookWorker, type WorkerOptions } from './worker';

let tdb: TestDatabase;
let db: Db;
const receivers: Receiver[] = [];
const log = createLogger({ level: 'silent' });
const BY = { actor: 'token:at_test' };
/** Fast retries: 20 ms doubling, fixed dice (delay = 75 % of the full backoff). */
const FAST: Partial<WorkerOptions> = { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 4, timeoutMs: 2000, random: () => 0.5 };

beforeEach(async () => {
  tdb = await openTestDatabase();
  db = tdb.database.db;
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  await tdb.cleanup();
});

async function receiver(opts: Parameters<typeof startReceiver>[0] = {}): Promise<Receiver> {
  const r = await startReceiver(opts);
  receivers.push(r);
  return r;
}

/** Emits a rollout.halted event as the planner would, in a transaction of its own. */
async function emitHalt(rolloutId = 'ro_1'): Promise<void> {
  const outbox = new WebhookOutbox(systemClock);
  await db.transaction((tx) => outbox.emit(tx, { type: 'rollout.halted', data: { rolloutId, rolloutName: 'openssl', ring: 'Test', reason: 'ring Test: 1 of 2 hosts failed', failed: 1, finished: 2 } }));
}

/** Runs worker rounds until `done` holds (at most 20 s). */
async function roundsUntil(worker: WebhookWorker, done: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    await worker.deliverDue();
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('worker rounds did not get there');
}

const stateOf = async (webhookId: string) => (await listDeliveries(db, webhookId, { limit: 10 }))[0];

describe('webhook worker', () => {
  it('POSTs the event as JSON with an HMAC-SHA256 signature the receiver verifies, and headers for de-duplication', async () => {
    const r = await receiver();
    const hook = await createWebhook(db, { url: r.url }, new Date(), BY);
    await emitHalt();
    const worker = new WebhookWorker({ db, clock: systemClock, log }, FAST);
    expect(await worker.deliverDue()).toBe(1);

    expect(r.received).toHaveLength(1);
    const got = r.received[0]!;
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe('Patchfleet-Webhooks/1');
    const signature = String(got.headers['x-patchfleet-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(hook.secret, signature, got.body, Math.floor(Date.now() / 1000))).toBe(true);
    // Another secret, a changed body or an old timestamp fail.
    expect(verifySignature(`${hook.secret}x`, signature, got.body, Math.floor(Date.now() / 1000))).toBe(false);
    expect(verifySignature(hook.secret, signature, got.body.replace('openssl', 'openssh'), Math.floor(Date.now() / 1000))).toBe(false);
    expect(verifySignature(hook.secret, signature, got.body, Math.floor(Date.now() / 1000) + 3600)).toBe(false);

    const body = JSON.parse(got.body) as { id: string; type: string; createdAt: string; data: Record<string, unknown> };
    expect(body.type).toBe('rollout.halted');
    expect(body.data).toEqual({ rolloutId: 'ro_1', rolloutName: 'openssl', ring: 'Test', reason: 'ring Test: 1 of 2 hosts failed', failed: 1, finished: 2 });
    expect(got.headers['x-patchfleet-event-id']).toBe(body.id);
    expect(got.headers['x-patchfleet-event']).toBe('rollout.halted');

    const delivery = await stateOf(hook.id);
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null, eventId: body.id });
    expect(got.headers['x-patchfleet-delivery']).toBe(delivery?.id);
    expect(delivery?.log).toHaveLength(1);
    expect(delivery?.log[0]).toMatchObject({ attempt: 1, statusCode: 200, error: null });
    // Delivered once: the next round has nothing to send.
    expect(await worker.deliverDue()).toBe(0);
  });

  it('retries a receiver that fails twice, with growing delays, and logs every attempt', async () => {
    const r = await receiver({ statuses: [500, 503] });
    const hook = await createWebhook(db, { url: r.url, events: ['rollout.halted'] }, new Date(), BY);
    await emitHalt();
    // 1 s doubling with these dice: the second try 750 ms after the first, the third 1.5 s after the second.
    const worker = new WebhookWorker({ db, clock: systemClock, log }, { ...FAST, baseDelayMs: 1000, maxDelayMs: 10_000 });
    await worker.deliverDue();
    const afterFirst = await stateOf(hook.id);
    expect(afterFirst).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 500, lastError: 'HTTP 500' });
    // Not due before its backoff: a round at once sends nothing.
    expect(await worker.deliverDue()).toBe(0);
    await roundsUntil(worker, async () => (await stateOf(hook.id))?.state === 'delivered');

    const delivery = await stateOf(hook.id);
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 200, lastError: null });
    expect(delivery?.log.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 503, 'HTTP 503'],
      [3, 200, null],
    ]);
    for (const a of delivery?.log ?? []) expect(a.durationMs).toBeGreaterThanOrEqual(0);
    // Each try is spaced by at least its backoff: 750 ms, then 1.5 s.
    const at = (delivery?.log ?? []).map((a) => Date.parse(a.at));
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(750);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(1500);
    // The same event every time: one id for the receiver to de-duplicate.
    expect(new Set(r.received.map((x) => x.headers['x-patchfleet-event-id'])).size).toBe(1);
    expect(r.received).toHaveLength(3);
  });

  it('gives up after maxAttempts, logging connection errors when nothing answers', async () => {
    const r = await receiver();
    const deadUrl = r.url;
    await r.close();
    receivers.splice(receivers.indexOf(r), 1);
    const hook = await createWebhook(db, { url: deadUrl }, new Date(), BY);
    await emitHalt();
    const worker = new WebhookWorker({ db, clock: systemClock, log }, FAST);
    await roundsUntil(worker, async () => (await stateOf(hook.id))?.state === 'failed');
    const delivery = await stateOf(hook.id);
    expect(delivery).toMatchObject({ state: 'failed', attempts: 4, lastStatus: null, nextAttemptAt: null });
    expect(delivery?.log).toHaveLength(4);
    expect(delivery?.log.every((a) => a.statusCode === null && /ECONNREFUSED/.test(a.error ?? ''))).toBe(true);
    expect(delivery?.finishedAt).not.toBeNull();
  });

  it('loses nothing across a restart: a pending delivery, and one claimed by a worker that died, are sent by the next', async () => {
    const r = await receiver();
    const hook = await createWebhook(db, { url: r.url }, new Date(), BY);
    await emitHalt('ro_a');
    await emitHalt('ro_b');
    // A worker that died mid-attempt: its lease is set, nothing was recorded.
    await db.update(webhookDeliveries).set({ leaseUntil: new Date(Date.now() + 1500) }).where(eq(webhookDeliveries.webhookId, hook.id));
    const next = new WebhookWorker({ db, clock: systemClock, log }, FAST);
    expect(await next.deliverDue()).toBe(0);
    await roundsUntil(next, async () => (await listDeliveries(db, hook.id, { limit: 10 })).every((d) => d.state === 'delivered'));
    expect(r.received.map((x) => (JSON.parse(x.body) as { data: { rolloutId: string } }).data.rolloutId).sort()).toEqual(['ro_a', 'ro_b']);
  });

  it('never gives one delivery to two workers at once (replicas)', async () => {
    const r = await receiver();
    const hook = await createWebhook(db, { url: r.url }, new Date(), BY);
    for (let i = 0; i < 6; i++) await emitHalt(`ro_${i}`);
    const a = new WebhookWorker({ db, clock: systemClock, log }, { ...FAST, batch: 4 });
    const b = new WebhookWorker({ db, clock: systemClock, log }, { ...FAST, batch: 4 });
    const [na, nb] = await Promise.all([a.deliverDue(), b.deliverDue()]);
    expect(na + nb).toBe(6);
    expect(r.received).toHaveLength(6);
    expect(new Set(r.received.map((x) => x.headers['x-patchfleet-event-id'])).size).toBe(6);
    expect((await listDeliveries(db, hook.id, { limit: 10 })).every((d) => d.state === 'delivered' && d.attempts === 1)).toBe(true);
  });

  it('delivers to an https receiver whose certificate the configured CA signed, and logs the TLS error without it', async () => {
    const r = await receiver({ tls: true });
    const hook = await createWebhook(db, { url: r.url }, new Date(), BY);
    await emitHalt();
    await new WebhookWorker({ db, clock: systemClock, log }, { ...FAST, maxAttempts: 1 }).deliverDue();
    expect(await stateOf(hook.id)).toMatchObject({ state: 'failed', lastStatus: null });
    expect((await stateOf(hook.id))?.lastError).toMatch(/self.signed|certificate/i);

    await emitHalt('ro_2');
    const trusting = new WebhookWorker({ db, clock: systemClock, log }, { ...FAST, ca: r.ca });
    expect(await trusting.deliverDue()).toBe(1);
    const [latest] = await listDeliveries(db, hook.id, { limit: 1 });
    expect(latest).toMatchObject({ state: 'delivered', lastStatus: 200 });
    expect(verifySignature(hook.secret, String(r.received[0]?.headers['x-patchfleet-signature']), r.received[0]?.body ?? '', Math.floor(Date.now() / 1000))).toBe(true);
  });

  it('sends only the event types a webhook subscribed to, and keeps no event nobody subscribed to', async () => {
    await emitHalt('ro_before');
    const r = await receiver();
    const hook = await createWebhook(db, { url: r.url, events: ['patch.blocked'] }, new Date(), BY);
    await emitHalt();
    expect(await new WebhookWorker({ db, clock: systemClock, log }, FAST).deliverDue()).toBe(0);
    expect(await listDeliveries(db, hook.id, { limit: 10 })).toEqual([]);
    expect(await db.select().from(webhookEvents)).toEqual([]);
  });

  it('prunes old events whose deliveries all finished, with their log, and keeps pending ones', async () => {
    const r = await receiver();
    const hook = await createWebhook(db, { url: r.url }, new Date(), BY);
    await emitHalt('ro_done');
    await new WebhookWorker({ db, clock: systemClock, log }, FAST).deliverDue();
    await emitHalt('ro_pending');
    expect(await pruneWebhookEvents(db, new Date(Date.now() - 86_400_000))).toBe(0);
    expect(await pruneWebhookEvents(db, new Date(Date.now() + 1000))).toBe(1);
    const left = await listDeliveries(db, hook.id, { limit: 10 });
    expect(left.map((d) => d.state)).toEqual(['pending']);
    expect(await db.select().from(webhookEvents)).toHaveLength(1);
  });
});
