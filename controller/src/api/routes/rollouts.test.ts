/** `GET /api/v1/rollouts?patch=` on a real database: a patch page lists only the rollouts that carry its patch. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '@patchfleet/shared';
import { buildApp } from '../../app';
import { rollouts } from '../../db/schema/index';
import { discardEvents } from '../../events/ports';
import { RolloutService } from '../../rollout/rollout-service';
import { openRouteKit, roleTokens, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-11-23T12:00:00Z');

describe('GET /api/v1/rollouts', () => {
  let kit: RouteKit;
  let app: FastifyInstance;
  let tokens: Awaited<ReturnType<typeof roleTokens>>;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    kit = await openRouteKit(clock);
    tokens = await roleTokens(kit.db, new Date(T0));
    const commands = { create: async () => [], announce: async () => undefined };
    app = await buildApp(kit.ctx, { tls: undefined, rollouts: new RolloutService(kit.ctx, commands, { clock, speed: 1 }, discardEvents) });
    await app.ready();
    const at = (h: number) => new Date(T0 - h * 3_600_000);
    const ro = (id: string, patches: string[], h: number) => ({ id, name: id, content: { patches, packages: [{ name: 'USN-7604-1', version: '1' }] }, state: 'active' as const, releasedAt: at(h), createdBy: 'system', createdAt: at(h), updatedAt: at(h) });
    await kit.db.insert(rollouts).values([ro('ro_a', ['USN-7604-1', 'USN-6756-1'], 3), ro('ro_b', ['USN-6756-1'], 2), ro('ro_c', ['USN-7604-1'], 1)]);
  });

  afterAll(async () => {
    await app?.close();
    await kit?.close();
  });

  const ids = async (query: string) => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/rollouts${query}`, headers: { authorization: `Bearer ${tokens.helpdesk}` } });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: { id: string }[] }).items.map((r) => r.id);
  };

  it('lists every rollout, newest first, or those carrying one patch (not a package of the same name)', async () => {
    expect(await ids('')).toEqual(['ro_c', 'ro_b', 'ro_a']);
    expect(await ids('?patch=USN-7604-1')).toEqual(['ro_c', 'ro_a']);
    expect(await ids('?patch=USN-6756-1')).toEqual(['ro_b', 'ro_a']);
    expect(await ids('?patch=USN-1-1')).toEqual([]);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/rollouts?state=x', headers: { authorization: `Bearer ${tokens.helpdesk}` } });
    expect(bad.statusCode).toBe(400);
  });
});
