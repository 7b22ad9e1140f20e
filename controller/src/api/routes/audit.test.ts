/** GET /audit's filters (actor, action, target, time range) on a real database: every filter given must match. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { auditLog } from '../../db/schema/index';
import { errorOf, openRouteKit, roleTokens, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const HOUR = 3_600_000;

interface Entry {
  id: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
}

describe('audit log API filters', () => {
  let kit: RouteKit;
  const tokens = { admin: '', operator: '', helpdesk: '' };
  const list = async (query: string): Promise<Entry[]> => {
    const res = await kit.call('GET', `/api/v1/audit?${query}`, tokens.admin);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: Entry[] }).items;
  };

  beforeAll(async () => {
    kit = await openRouteKit(new ManualClock(T0));
    Object.assign(tokens, await roleTokens(kit.db, new Date(T0)));
    // 12 entries, one an hour: three actors in turn, two actions alternating, targets r0..r3.
    await kit.db.insert(auditLog).values(
      Array.from({ length: 12 }, (_, i) => ({
        at: new Date(T0 - (12 - i) * HOUR),
        actor: ['user:ada', 'user:bob', 'system'][i % 3]!,
        action: i % 2 ? 'ring.update' : 'freeze.create',
        targetType: i % 2 ? 'ring' : 'freeze',
        targetId: `r${i % 4}`,
      })),
    );
  });

  afterAll(async () => {
    await kit?.close();
  });

  it('filters by actor and action together, newest first, and the rows are exactly the matching ones', async () => {
    const items = await list('actor=user%3Aada&action=ring.update');
    // i = 3 and 9 are ada's (i % 3 = 0) odd entries.
    expect(items.map((e) => [e.actor, e.action, e.targetId])).toEqual([
      ['user:ada', 'ring.update', 'r1'],
      ['user:ada', 'ring.update', 'r3'],
    ]);
    expect((await list('actor=user%3Abob')).every((e) => e.actor === 'user:bob')).toBe(true);
    expect(await list('actor=user%3Aad')).toEqual([]); // exact, not a prefix
  });

  it('filters by target and by a time range [since, until)', async () => {
    expect((await list('targetType=ring&targetId=r1')).map((e) => e.at)).toEqual([new Date(T0 - 3 * HOUR).toISOString(), new Date(T0 - 7 * HOUR).toISOString(), new Date(T0 - 11 * HOUR).toISOString()]);
    const since = new Date(T0 - 4 * HOUR).toISOString();
    const until = new Date(T0 - 2 * HOUR).toISOString();
    expect((await list(`since=${since}&until=${until}`)).map((e) => e.at)).toEqual([new Date(T0 - 3 * HOUR).toISOString(), since]);
    expect(await list(`since=${since}&until=${until}&action=freeze.create&actor=user%3Aada`)).toEqual([]);
    expect((await list(`since=${since}&until=${until}&action=freeze.create`)).map((e) => e.actor)).toEqual(['system']); // i = 8
  });

  it('refuses a bad time range and unknown filters, and non-admins', async () => {
    const bad = async (query: string) => {
      const res = await kit.call('GET', `/api/v1/audit?${query}`, tokens.admin);
      expect(res.statusCode, query).toBe(400);
      return errorOf(res);
    };
    expect((await bad('since=yesterday')).code).toBe('PF_ERR_VALIDATION');
    expect((await bad('since=2026-11-23T00:00:00Z&until=2026-11-22T00:00:00Z')).message).toMatch(/since must not be after until/);
    expect((await bad('who=ada')).code).toBe('PF_ERR_VALIDATION');
    expect((await bad(`actor=${'x'.repeat(201)}`)).code).toBe('PF_ERR_VALIDATION');
    expect(errorOf(await kit.call('GET', '/api/v1/audit?actor=user%3Aada', tokens.operator)).code).toBe('PF_ERR_FORBIDDEN');
  });
});
