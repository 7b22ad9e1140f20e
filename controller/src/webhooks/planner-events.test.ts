/**
 * Events from the real planner and gates (the rollout and safety test kits,
 * a real database) through the outbox the controller wires: a halt, a class
 * block and a fleet-wide one, an approval a ring waits for (once per count),
 * and hosts past their deadline (once each) become deliveries, committed
 * with the round; the halt's delivery reaches a real receiver.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { systemClock } from '@patchfleet/shared';
import { webhookDeliveries, webhookEvents } from '../db/schema/index';
import { createLogger } from '../logger';
import { approveRing } from '../rollout/rollout-control';
import { DAY, MIN, NEUTRAL_SAFETY, RolloutKit, T0 } from '../rollout/rollout-kit.test-support';
import { plainJudge, setRole } from '../safety/safety-kit.test-support';
import { listDeliveries } from './delivery-store';
import { WebhookOutbox } from './outbox';
import { startReceiver } from './receiver.test-support';
import { verifySignature } from './signature';
import { createWebhook } from './webhook-store';
import { WebhookWorker } from './worker';

let kit: RolloutKit;
let hookId: string;
beforeEach(async () => {
  kit = await RolloutKit.open();
  kit.events = new WebhookOutbox(systemClock);
  hookId = (await createWebhook(kit.db, { url: 'http://127.0.0.1:9/unused' }, new Date(T0), { actor: 'token:at_test' })).id;
});
afterEach(async () => {
  await kit.cleanup();
});

async function events(type?: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await kit.db.select().from(webhookEvents).where(type ? eq(webhookEvents.type, type) : undefined).orderBy(asc(webhookEvents.createdAt), asc(webhookEvents.id));
  return rows.map((r) => ({ type: r.type, data: (r.payload as { data: Record<string, unknown> }).data }));
}

describe('planner events', () => {
  it('a halt by the failure-rate gate makes one rollout.halted delivery, which a real receiver gets signed', async () => {
    await kit.editRing('Test', { promotion: { minHostsDone: 1, maxFailureRate: 0.01 } });
    await kit.addHosts(['a', 'b', 'c'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, ['a', 'b', 'c']);
    await kit.finish('a', T0 + MIN, 'succeeded');
    await kit.finish('b', T0 + MIN, 'failed');
    expect(await events()).toEqual([]);
    await kit.tick(T0 + 2 * MIN, ['a', 'b', 'c']);
    expect((await kit.rollout(id)).state).toBe('halted');
    expect(await events()).toEqual([
      { type: 'rollout.halted', data: { rolloutId: id, rolloutName: expect.any(String), ring: 'Test', reason: 'ring Test: 1 of 2 hosts failed (50 % > 1 %; 2 % likely by chance at 1 %)', failed: 1, finished: 2 } },
    ]);
    const [delivery] = await listDeliveries(kit.db, hookId, { limit: 10 });
    expect(delivery).toMatchObject({ eventType: 'rollout.halted', state: 'pending', attempts: 0 });

    // Point the webhook at a real receiver and let the worker send it.
    const r = await startReceiver();
    try {
      const hook = await createWebhook(kit.db, { url: r.url, events: ['rollout.halted'] }, new Date(T0), { actor: 'token:at_test' });
      await kit.db.update(webhookDeliveries).set({ webhookId: hook.id }).where(eq(webhookDeliveries.webhookId, hookId));
      expect(await new WebhookWorker({ db: kit.db, clock: systemClock, log: createLogger({ level: 'silent' }) }).deliverDue()).toBe(1);
      expect(r.received).toHaveLength(1);
      const got = r.received[0]!;
      expect(verifySignature(hook.secret, String(got.headers['x-patchfleet-signature']), got.body, Math.floor(Date.now() / 1000))).toBe(true);
      expect(JSON.parse(got.body)).toMatchObject({ type: 'rollout.halted', data: { rolloutId: id, ring: 'Test' } });
      expect((await listDeliveries(kit.db, hook.id, { limit: 1 }))[0]).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200 });
    } finally {
      await r.close();
    }
  });

  it('a tripped gate makes a patch.blocked delivery for each class block, and one with fleetWide true when installs fail on two classes', async () => {
    // As safety/gates.test.ts "installs failing on two classes": web trips first (a class block), then db (the installer is what fails: fleet-wide).
    const WEB = JSON.stringify(['', '', '', 'web']);
    kit.safety = { ...NEUTRAL_SAFETY, evaluate: (ev) => (ev.hostClass === '' ? { tripped: false, verdicts: [] } : plainJudge(ev)) };
    await kit.editRing('Test', { soakHours: 4, promotion: { minHostsDone: 1, maxFailureRate: 0.9 } });
    const hosts = ['w1', 'w2', 'w3', 'd1', 'd2', 'd3', 'a1', 'a2', 'a3'];
    await kit.addHosts(hosts, 'Test');
    await setRole(kit.db, ['w1', 'w2', 'w3'], 'web');
    await setRole(kit.db, ['d1', 'd2', 'd3'], 'db');
    await setRole(kit.db, ['a1', 'a2', 'a3'], 'app');
    const id = await kit.start(T0);
    await kit.tick(T0, hosts);
    const replaced = [{ name: 'openssl', from: '1.0-1', to: '1.1-1' }];
    for (const h of ['w3', 'a1', 'a2', 'a3', 'd3']) await kit.finish(h, T0 + 10 * MIN, 'succeeded', { replaced });
    for (const h of ['w1', 'w2']) await kit.finish(h, T0 + 10 * MIN, 'failed');
    await kit.tick(T0 + 20 * MIN, hosts);
    const first = await events('patch.blocked');
    expect(first).toHaveLength(1);
    expect(first[0]?.data).toMatchObject({ patchId: 'pkg:openssl=1.1-1', hostClass: WEB, fleetWide: false, rolloutId: id, incidentId: expect.any(String) });
    expect(String(first[0]?.data['scope'])).toContain('role web');

    for (const h of ['d1', 'd2']) await kit.finish(h, T0 + 30 * MIN, 'failed');
    await kit.tick(T0 + 40 * MIN, hosts);
    const blocked = await events('patch.blocked');
    const creates = await kit.audits('block.create');
    expect(blocked.map((e) => e.data['blockId']).sort()).toEqual(creates.map((a) => a.targetId).sort());
    expect(blocked).toHaveLength(3);
    const fleet = blocked.filter((e) => e.data['fleetWide'] === true);
    expect(fleet).toHaveLength(1);
    expect(fleet[0]?.data).toMatchObject({ hostClass: null, scope: 'every host class', patchId: 'pkg:openssl=1.1-1' });
    expect(String(fleet[0]?.data['reason'])).toMatch(/^evidence spans classes; incident /);
    expect((await listDeliveries(kit.db, hookId, { limit: 50 })).filter((d) => d.eventType === 'patch.blocked')).toHaveLength(3);
  });

  it('an approval a ring waits for is announced once per approval count, not every round', async () => {
    await kit.editRing('Broad', { deferralDays: 0, approvalRequired: true });
    await kit.addHosts(['b1'], 'Broad');
    const id = await kit.start(T0, { rings: ['Broad'], expedite: true });
    await kit.tick(T0, ['b1']);
    await kit.tick(T0 + MIN, ['b1']);
    expect(await events('approval.needed')).toEqual([{ type: 'approval.needed', data: { rolloutId: id, rolloutName: expect.any(String), ring: 'Broad', approvals: 0, needed: 2 } }]);
    await kit.db.transaction((tx) => approveRing(tx, id, 'Broad', { via: 'token', tokenId: 'tk_alice', name: 'alice', role: 'admin', personId: 'p_alice', personName: 'alice' }, { actor: 'token:tk_alice', realNow: T0 + 2 * MIN }));
    await kit.tick(T0 + 3 * MIN, ['b1']);
    await kit.tick(T0 + 4 * MIN, ['b1']);
    expect((await events('approval.needed')).map((e) => e.data['approvals'])).toEqual([0, 1]);
  });

  it('hosts past their ring deadline are announced once each (deadline.missed), with the rollout patches', async () => {
    await kit.editRing('Test', { deadlineDays: 1 });
    await kit.addHosts(['a', 'b', 'ok'], 'Test');
    const id = await kit.start(T0);
    await kit.tick(T0, ['ok']);
    await kit.finish('ok', T0 + MIN, 'succeeded');
    await kit.tick(T0 + DAY);
    expect(await events('deadline.missed')).toEqual([]);
    await kit.tick(T0 + DAY + MIN);
    await kit.tick(T0 + DAY + 2 * MIN);
    const missed = await events('deadline.missed');
    expect(missed).toHaveLength(1);
    expect(missed[0]?.data).toMatchObject({ rolloutId: id, ring: 'Test', deadline: new Date(T0 + DAY).toISOString(), patchIds: ['pkg:openssl=1.1-1'] });
    expect([...(missed[0]?.data['hostIds'] as string[])].sort()).toEqual(['a', 'b']);
  });

  it('a round that fails leaves no event behind (the event commits with the change)', async () => {
    await kit.editRing('Test', { promotion: { minHostsDone: 1, maxFailureRate: 0.01 } });
    await kit.addHosts(['a', 'b'], 'Test');
    await kit.start(T0);
    await kit.tick(T0, ['a', 'b']);
    await kit.finish('a', T0 + MIN, 'succeeded');
    await kit.finish('b', T0 + MIN, 'failed');
    const outbox = kit.events;
    // The same round, but the transaction fails after the planner emitted the halt.
    kit.events = { emit: async (tx, e, o) => {
      await outbox.emit(tx, e, o);
      throw new Error('crash after the event');
    } };
    await expect(kit.tick(T0 + 2 * MIN, ['a', 'b'])).rejects.toThrow('crash after the event');
    expect(await events()).toEqual([]);
    expect(await kit.db.select().from(webhookDeliveries)).toEqual([]);
  });
});
