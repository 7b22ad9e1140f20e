/** Rings, pins, rules and the assignment run through the REST API on a real database. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { ManualClock } from '@patchfleet/shared';
import type { Db } from '../../db/index';
import { auditLog, hosts, ringAssignments } from '../../db/schema/index';
import { ensureDefaultRings } from '../../rollout/ring-defaults';
import { errorOf, openRouteKit, roleTokens, type Method, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-11-23T12:00:00Z');

describe('rings API', () => {
  let kit: RouteKit;
  let db: Db;
  const tokens = { admin: '', operator: '', helpdesk: '' };
  const call = (method: Method, url: string, token: string | undefined, body?: unknown): Promise<LightMyRequestResponse> => kit.call(method, url, token, body);
  const errorCode = errorOf;

  beforeAll(async () => {
    kit = await openRouteKit(new ManualClock(T0));
    db = kit.db;
    await ensureDefaultRings(db, new Date(T0));
    await ensureDefaultRings(db, new Date(T0));
    const now = new Date(T0);
    Object.assign(tokens, await roleTokens(db, now));
    // 60 hosts of 3 classes; facts carry OS build and model, labels the role.
    await db.insert(hosts).values(
      Array.from({ length: 60 }, (_, i) => ({
        id: `h_${String(i).padStart(3, '0')}`,
        hostname: `host-${i}`,
        enrolledAt: new Date(T0),
        labels: { role: i % 3 === 0 ? 'db' : 'web', ...(i === 5 ? { canary: 'yes' } : {}) },
        facts: { os: { id: 'ubuntu', version: '24.04', build: i % 2 ? '6.8.0-40' : '6.8.0-41' }, hardware: { model: 'R650' } },
      })),
    );
  });

  afterAll(async () => {
    await kit?.close();
  });

  it('seeds the four default rings once, in order, readable by helpdesk', async () => {
    const res = await call('GET', '/api/v1/rings', tokens.helpdesk);
    expect(res.statusCode).toBe(200);
    const items = (res.json() as { items: { name: string; percent: number | null; deferralDays: number; deadlineDays: number; graceDays: number }[] }).items;
    expect(items.map((r) => [r.name, r.percent, r.deferralDays, r.deadlineDays, r.graceDays])).toEqual([
      ['Test', null, 0, 0, 0],
      ['First', 1, 1, 2, 2],
      ['Fast', 9, 6, 2, 2],
      ['Broad', 90, 9, 5, 2],
    ]);
    expect((await call('GET', '/api/v1/rings/First', tokens.operator)).json()).toMatchObject({ id: 'rg_first' });
  });

  it('lets only admins change rings', async () => {
    expect(errorCode(await call('POST', '/api/v1/rings', tokens.operator, { name: 'Pilot' })).code).toBe('PF_ERR_FORBIDDEN');
    expect(errorCode(await call('PATCH', '/api/v1/rings/rg_first', tokens.helpdesk, { soakHours: 1 })).code).toBe('PF_ERR_FORBIDDEN');
  });

  it('creates, edits and deletes a ring, with audit rows', async () => {
    const created = await call('POST', '/api/v1/rings', tokens.admin, { name: 'Pilot', windows: [{ cron: '0 2 * * 6', timeZone: 'Europe/Berlin', durationMin: 240 }], reboot: { policy: 'always', deadlineHours: 8 }, approvalRequired: true });
    expect(created.statusCode).toBe(201);
    const ring = created.json() as { id: string; position: number; percent: number | null };
    expect(ring).toMatchObject({ position: 4, percent: null });
    const patched = await call('PATCH', `/api/v1/rings/${ring.id}`, tokens.admin, { soakHours: 12, waveSize: 10, maxConcurrent: 5, promotion: { minHostsDone: 3, maxFailureRate: 0.1 } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ soakHours: 12, waveSize: 10, maxConcurrent: 5, promotion: { minHostsDone: 3, maxFailureRate: 0.1 } });
    // null (pinned/rule hosts only) must stay null, not be coerced to 0.
    expect((await call('PATCH', `/api/v1/rings/${ring.id}`, tokens.admin, { percent: 0 })).json()).toMatchObject({ percent: 0 });
    expect((await call('PATCH', `/api/v1/rings/${ring.id}`, tokens.admin, { percent: null })).json()).toMatchObject({ percent: null });
    expect((await call('DELETE', `/api/v1/rings/${ring.id}`, tokens.admin)).statusCode).toBe(200);
    expect((await call('GET', `/api/v1/rings/${ring.id}`, tokens.admin)).statusCode).toBe(404);
    const actions = (await db.select().from(auditLog).where(eq(auditLog.targetId, ring.id))).map((r) => r.action);
    expect(actions).toEqual(['ring.create', 'ring.update', 'ring.update', 'ring.update', 'ring.delete']);
  });

  it('takes the health policy field by field, defaults it, and refuses alpha outside (0, 0.2] with stored data intact', async () => {
    expect((await call('GET', '/api/v1/rings/Test', tokens.helpdesk)).json()).toMatchObject({ health: { rollback: 'harmed', rebootGraceMin: 30, alpha: 0.01, watchHours: 168 } });
    const changed = await call('PATCH', '/api/v1/rings/Test', tokens.admin, { health: { rollback: 'cohort' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ health: { rollback: 'cohort', rebootGraceMin: 30, alpha: 0.01 } });
    for (const health of [{ alpha: 0.5 }, { alpha: 0 }, { rollback: 'all' }, { rebootGraceMin: 0 }, { alpha: 0.05, extra: 1 }, { watchHours: 2161 }, { watchHours: -1 }, { watchHours: 1.5 }]) {
      const bad = await call('PATCH', '/api/v1/rings/Test', tokens.admin, { health });
      expect(bad.statusCode, JSON.stringify(health)).toBe(400);
      expect(errorCode(bad).code).toBe('PF_ERR_VALIDATION');
    }
    expect((await call('PATCH', '/api/v1/rings/Test', tokens.operator, { health: { alpha: 0.05 } })).statusCode).toBe(403);
    expect((await call('GET', '/api/v1/rings/Test', tokens.helpdesk)).json()).toMatchObject({ health: { rollback: 'cohort', rebootGraceMin: 30, alpha: 0.01, watchHours: 168 } });
    expect((await call('PATCH', '/api/v1/rings/Test', tokens.admin, { health: { watchHours: 72 } })).json()).toMatchObject({ health: { rollback: 'cohort', watchHours: 72 } });
    await call('PATCH', '/api/v1/rings/Test', tokens.admin, { health: { rollback: 'harmed' } });
  });

  it('refuses bad cron, zone, duplicate names and shares over 100 with clear messages', async () => {
    const cron = await call('POST', '/api/v1/rings', tokens.admin, { name: 'X', windows: [{ cron: 'every night', timeZone: 'UTC', durationMin: 60 }] });
    expect(cron.statusCode).toBe(400);
    expect(errorCode(cron)).toMatchObject({ code: 'PF_ERR_VALIDATION', message: expect.stringMatching(/windows\[0\]\.cron/) });
    const zone = await call('PATCH', '/api/v1/rings/rg_fast', tokens.admin, { windows: [{ cron: '0 3 * * *', timeZone: 'Moon/Base', durationMin: 60 }] });
    expect(errorCode(zone)).toMatchObject({ code: 'PF_ERR_VALIDATION', message: expect.stringMatching(/timeZone/) });
    expect(errorCode(await call('POST', '/api/v1/rings', tokens.admin, { name: 'Fast' })).code).toBe('PF_ERR_RING_NAME_TAKEN');
    const over = await call('PATCH', '/api/v1/rings/First', tokens.admin, { percent: 2 });
    expect(errorCode(over)).toMatchObject({ code: 'PF_ERR_VALIDATION', message: expect.stringMatching(/percent.*101/) });
  });

  it('pins hosts, replaces rules, and refuses to delete a ring in use', async () => {
    expect((await call('PUT', '/api/v1/hosts/h_000/ring', tokens.admin, { ring: 'Test' })).json()).toEqual({ hostId: 'h_000', ringId: 'rg_test', ringName: 'Test' });
    expect((await call('PUT', '/api/v1/hosts/h_missing/ring', tokens.admin, { ring: 'Test' })).statusCode).toBe(404);
    const rules = await call('PUT', '/api/v1/ring-rules', tokens.admin, { items: [{ match: { labels: { canary: 'yes' } }, ringId: 'Fast' }] });
    expect(rules.json()).toEqual({ items: [{ match: { labels: { canary: 'yes' } }, ringId: 'rg_fast' }] });
    expect((await call('GET', '/api/v1/ring-rules', tokens.helpdesk)).json()).toEqual(rules.json());
    expect(errorCode(await call('PUT', '/api/v1/ring-rules', tokens.admin, { items: [{ match: { role: 'db' }, ringId: 'Nope' }] }))).toMatchObject({ code: 'PF_ERR_VALIDATION', message: expect.stringMatching(/rules\[0\]\.ringId/) });
    const inUse = await call('DELETE', '/api/v1/rings/Test', tokens.admin);
    expect(inUse.statusCode).toBe(409);
    expect(errorCode(inUse).code).toBe('PF_ERR_RING_IN_USE');
    expect(errorCode(await call('DELETE', '/api/v1/rings/Fast', tokens.admin)).code).toBe('PF_ERR_RING_IN_USE');
  });

  it('assigns all active hosts in one run, stably, and counts them per ring', async () => {
    const res = await call('POST', '/api/v1/rings/assign', tokens.admin);
    expect(res.statusCode).toBe(200);
    const summary = res.json() as { total: number; rings: { name: string; hosts: number }[]; reasons: Record<string, number> };
    expect(summary.total).toBe(60);
    expect(summary.reasons).toEqual({ pin: 1, rule: 1, auto: 58 });
    const byName = Object.fromEntries(summary.rings.map((r) => [r.name, r.hosts]));
    expect(byName['Test']).toBe(1);
    // 4 classes (2 builds x 2 roles): each seeds First and Fast.
    expect(byName['First']).toBe(4);
    expect((byName['Fast'] ?? 0) >= 5).toBe(true);
    const first = await db.select().from(ringAssignments);
    expect(first).toHaveLength(60);
    expect(first.find((a) => a.hostId === 'h_005')).toMatchObject({ ringId: 'rg_fast', reason: 'rule' });
    await call('POST', '/api/v1/rings/assign', tokens.admin);
    const again = await db.select().from(ringAssignments);
    const key = (rows: typeof first) => Object.fromEntries(rows.map((r) => [r.hostId, r.ringId]));
    expect(key(again)).toEqual(key(first));
    expect(errorCode(await call('POST', '/api/v1/rings/assign', tokens.operator)).code).toBe('PF_ERR_FORBIDDEN');
  });

  it('refuses to assign while the shares do not sum to 100, and unpins', async () => {
    await call('PATCH', '/api/v1/rings/Broad', tokens.admin, { percent: 80 });
    const res = await call('POST', '/api/v1/rings/assign', tokens.admin);
    expect(errorCode(res)).toMatchObject({ code: 'PF_ERR_VALIDATION', message: expect.stringMatching(/sum to 100.*got 90/) });
    await call('PATCH', '/api/v1/rings/Broad', tokens.admin, { percent: 90 });
    expect((await call('DELETE', '/api/v1/hosts/h_000/ring', tokens.admin)).json()).toEqual({ hostId: 'h_000', unpinned: true });
    expect((await call('DELETE', '/api/v1/hosts/h_000/ring', tokens.admin)).statusCode).toBe(404);
    expect((await call('POST', '/api/v1/rings/assign', tokens.admin)).json()).toMatchObject({ reasons: { pin: 0, rule: 1, auto: 59 } });
  });

  it("previews the next openings of a ring's windows on the planner's clock, for every role, and the approvals its policy implies", async () => {
    type Next = { at: string; alwaysOpen: boolean; openNow: { start: string; end: string } | null; openings: { window: number; cron: string; timeZone: string; start: string; end: string }[] };
    const none = await call('GET', '/api/v1/rings/Broad/next-windows', tokens.helpdesk);
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ at: '2026-11-23T12:00:00.000Z', alwaysOpen: true, openNow: null, openings: [] });
    const windows = [
      { cron: '0 3 * * 6', timeZone: 'Europe/Paris', durationMin: 180 },
      { cron: '0 11 * * 1-5', timeZone: 'UTC', durationMin: 120 },
    ];
    expect((await call('PATCH', '/api/v1/rings/Broad', tokens.admin, { windows })).statusCode).toBe(200);
    const next = (await call('GET', '/api/v1/rings/Broad/next-windows?count=4', tokens.helpdesk)).json() as Next;
    // Monday 2026-11-23 12:00Z: the weekday window opened at 11:00 and is open; Paris is on CET (UTC+1).
    expect(next.alwaysOpen).toBe(false);
    expect(next.openNow).toEqual({ start: '2026-11-23T11:00:00.000Z', end: '2026-11-23T13:00:00.000Z' });
    expect(next.openings.map((o) => [o.window, o.timeZone, o.start, o.end])).toEqual([
      [1, 'UTC', '2026-11-24T11:00:00.000Z', '2026-11-24T13:00:00.000Z'],
      [1, 'UTC', '2026-11-25T11:00:00.000Z', '2026-11-25T13:00:00.000Z'],
      [1, 'UTC', '2026-11-26T11:00:00.000Z', '2026-11-26T13:00:00.000Z'],
      [1, 'UTC', '2026-11-27T11:00:00.000Z', '2026-11-27T13:00:00.000Z'],
    ]);
    const five = (await call('GET', '/api/v1/rings/rg_broad/next-windows', tokens.operator)).json() as Next;
    expect(five.openings.map((o) => o.start).at(-1)).toBe('2026-11-28T02:00:00.000Z'); // Saturday 03:00 CET
    expect(five.openings).toHaveLength(5);
    expect((await call('GET', '/api/v1/rings/Broad/next-windows?count=0', tokens.admin)).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/rings/Nope/next-windows', tokens.admin)).statusCode).toBe(404);
    await call('PATCH', '/api/v1/rings/Broad', tokens.admin, { windows: [] });

    // Approvals: none unless required; then two people for a fleet-wide ring or an expedited rollout.
    expect((await call('GET', '/api/v1/rings/Broad', tokens.helpdesk)).json()).toMatchObject({ approvalRequired: false, approvals: { rollout: 0, expedited: 0 } });
    expect((await call('PATCH', '/api/v1/rings/Broad', tokens.admin, { approvalRequired: true })).json()).toMatchObject({ approvals: { rollout: 2, expedited: 2 } });
    expect((await call('PATCH', '/api/v1/rings/First', tokens.admin, { approvalRequired: true })).json()).toMatchObject({ approvals: { rollout: 1, expedited: 2 } });
    const listed = (await call('GET', '/api/v1/rings', tokens.helpdesk)).json() as { items: { name: string; approvals: { rollout: number } }[] };
    expect(listed.items.map((r) => [r.name, r.approvals.rollout])).toEqual([['Test', 0], ['First', 1], ['Fast', 0], ['Broad', 2]]);
    await call('PATCH', '/api/v1/rings/Broad', tokens.admin, { approvalRequired: false });
    await call('PATCH', '/api/v1/rings/First', tokens.admin, { approvalRequired: false });
  });
});
