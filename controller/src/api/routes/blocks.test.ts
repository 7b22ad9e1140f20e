/** Blocks and incidents through the REST API on a real database: listing, and the lift rules (admin, reason, two people fleet-wide). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { ManualClock } from '@patchfleet/shared';
import type { Db } from '../../db/index';
import { auditLog, hosts, incidents, rolloutHosts, rollouts } from '../../db/schema/index';
import { createApiToken } from '../../keys/api-tokens';
import { discardEvents } from '../../events/ports';
import { createBlocks } from '../../safety/blocks';
import { openIncident } from '../../safety/incidents';
import { errorOf, openRouteKit, type Method, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const WEB = JSON.stringify(['ubuntu', '24.04', 'R650', 'web']);

describe('blocks and incidents API', () => {
  let kit: RouteKit;
  let db: Db;
  const tokens = { admin: '', admin2: '', adminSamePerson: '', operator: '', helpdesk: '' };
  let incidentId = '';
  let classBlock = '';
  let fleetBlock = '';
  const call = (method: Method, url: string, token: string | undefined, body?: unknown): Promise<LightMyRequestResponse> => kit.call(method, url, token, body);
  const err = errorOf;

  beforeAll(async () => {
    kit = await openRouteKit(new ManualClock(T0));
    db = kit.db;
    const now = new Date(T0);
    tokens.admin = (await createApiToken(db, 'alice', 'admin', now)).token;
    tokens.adminSamePerson = (await createApiToken(db, 'alice', 'admin', now)).token;
    tokens.admin2 = (await createApiToken(db, 'bob', 'admin', now)).token;
    tokens.operator = (await createApiToken(db, 'olga', 'operator', now)).token;
    tokens.helpdesk = (await createApiToken(db, 'hank', 'helpdesk', now)).token;
    // A live rollout whose web host w1 is blocked; a tripped gate's incident with a class block and a fleet-wide one.
    await db.insert(hosts).values({ id: 'w1', hostname: 'w1', enrolledAt: now, osId: 'ubuntu', osVersion: '24.04', hwModel: 'R650', labels: { role: 'web' } });
    await db.insert(rollouts).values({ id: 'ro_1', name: 'x', content: { patches: [], packages: [{ name: 'x', version: '2.0' }] }, state: 'active', releasedAt: now, createdBy: 'system', createdAt: now, updatedAt: now });
    await db.insert(rolloutHosts).values({ rolloutId: 'ro_1', hostId: 'w1', ringId: 'rg_test', state: 'blocked', stateAt: now });
    await db.transaction(async (tx) => {
      incidentId = await openIncident(tx, { patchId: 'pkg:x=2.0', rolloutId: 'ro_1', hostClass: WEB, gate: 'probe-failure', summary: 'pkg:x=2.0 harmed hosts', evidence: { n: 1 }, rollbackPolicy: 'harmed', harmedHosts: ['w1'], timeline: [{ at: now.toISOString(), event: 'tripped' }] }, now);
      classBlock = (await createBlocks(tx, { patchIds: ['pkg:x=2.0'], hostClass: WEB, reason: 'tripped', incidentId, rolloutId: 'ro_1' }, T0, discardEvents))[0] ?? '';
      fleetBlock = (await createBlocks(tx, { patchIds: ['pkg:x=2.0'], hostClass: null, reason: 'spans classes', incidentId, rolloutId: 'ro_1' }, T0, discardEvents))[0] ?? '';
    });
  });

  afterAll(async () => {
    await kit?.close();
  });

  it('lists active blocks and incidents to helpdesk, with the class in words', async () => {
    const list = await call('GET', '/api/v1/blocks?state=active', tokens.helpdesk);
    expect(list.statusCode).toBe(200);
    const items = (list.json() as { items: { id: string; scope: string; hostClass: string | null }[] }).items;
    expect(items.map((b) => b.id).sort()).toEqual([classBlock, fleetBlock].sort());
    expect(items.find((b) => b.id === classBlock)?.scope).toBe('ubuntu 24.04, model R650, role web');
    expect(items.find((b) => b.id === fleetBlock)?.scope).toBe('every host class');
    expect((await call('GET', `/api/v1/blocks/${classBlock}`, tokens.helpdesk)).json()).toMatchObject({ id: classBlock, state: 'active', incidentId });
    expect((await call('GET', '/api/v1/blocks/bk_nope', tokens.helpdesk)).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/blocks?state=gone', tokens.helpdesk)).statusCode).toBe(400);
    // One patch's blocks, for its page.
    const ofPatch = (patch: string) => call('GET', `/api/v1/blocks?patch=${encodeURIComponent(patch)}`, tokens.helpdesk).then((r) => (r.json() as { items: { id: string }[] }).items.map((b) => b.id).sort());
    expect(await ofPatch('pkg:x=2.0')).toEqual([classBlock, fleetBlock].sort());
    expect(await ofPatch('USN-7604-1')).toEqual([]);
    const inc = await call('GET', `/api/v1/incidents/${incidentId}`, tokens.helpdesk);
    expect(inc.json()).toMatchObject({ id: incidentId, gate: 'probe-failure', state: 'open', harmedHosts: ['w1'], scope: 'ubuntu 24.04, model R650, role web' });
    expect(((await call('GET', '/api/v1/incidents?state=open', tokens.helpdesk)).json() as { items: unknown[] }).items).toHaveLength(1);
  });

  it('lets only admins lift, and only with a reason', async () => {
    expect((await call('POST', `/api/v1/blocks/${classBlock}/lift`, tokens.operator, { reason: 'fixed' })).statusCode).toBe(403);
    expect((await call('POST', `/api/v1/blocks/${classBlock}/lift`, tokens.helpdesk, { reason: 'fixed' })).statusCode).toBe(403);
    for (const body of [{}, { reason: '' }, { reason: '   ' }]) {
      const res = await call('POST', `/api/v1/blocks/${classBlock}/lift`, tokens.admin, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(err(res).code).toBe('PF_ERR_VALIDATION');
    }
    expect((await call('GET', `/api/v1/blocks/${classBlock}`, tokens.helpdesk)).json()).toMatchObject({ state: 'active' });
  });

  it('lifts a class block at once, audited and on the incident timeline; lifting it again is refused', async () => {
    const res = await call('POST', `/api/v1/blocks/${classBlock}/lift`, tokens.admin, { reason: 'vendor fixed the probe regression in 2.0-2' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ outcome: 'lifted', block: { state: 'lifted', liftReason: 'vendor fixed the probe regression in 2.0-2' } });
    const again = await call('POST', `/api/v1/blocks/${classBlock}/lift`, tokens.admin2, { reason: 'again' });
    expect(again.statusCode).toBe(409);
    expect(err(again).code).toBe('PF_ERR_BLOCK_STATE');
    expect((await db.select().from(auditLog).where(eq(auditLog.action, 'block.lift'))).map((a) => a.targetId)).toEqual([classBlock]);
    // The fleet-wide block still covers w1: it stays blocked.
    expect((await db.select().from(rolloutHosts))[0]?.state).toBe('blocked');
  });

  it('takes two different people for a fleet-wide block: 202 first, the same person refused, another person lifts it', async () => {
    const first = await call('POST', `/api/v1/blocks/${fleetBlock}/lift`, tokens.admin, { reason: 'root cause found' });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ outcome: 'awaiting-second-person', block: { state: 'active', liftRequest: { reason: 'root cause found' } } });
    const same = await call('POST', `/api/v1/blocks/${fleetBlock}/lift`, tokens.adminSamePerson, { reason: 'me again' });
    expect(err(same).code).toBe('PF_ERR_SAME_PERSON');
    expect((await call('GET', `/api/v1/blocks/${fleetBlock}`, tokens.helpdesk)).json()).toMatchObject({ state: 'active' });
    const second = await call('POST', `/api/v1/blocks/${fleetBlock}/lift`, tokens.admin2, { reason: 'agreed' });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ outcome: 'lifted', unblockedHosts: 1, block: { state: 'lifted' } });
    // No active block left: w1 is pending again, the incident resolved with its timeline telling how.
    expect((await db.select().from(rolloutHosts))[0]?.state).toBe('pending');
    const [inc] = await db.select().from(incidents);
    expect(inc?.state).toBe('resolved');
    expect(inc?.timeline.map((e) => e.event)).toEqual(['tripped', 'block lifted', 'lift requested', 'block lifted', 'resolved']);
    expect((await db.select().from(auditLog).where(eq(auditLog.action, 'block.lift_requested'))).length).toBe(1);
  });
});
