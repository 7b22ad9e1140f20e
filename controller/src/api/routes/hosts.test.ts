/** GET /api/v1/hosts/resolve through the app on a real database: one host, 404 for none, 409 with the candidates for several, helpdesk and up only. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { hosts } from '../../db/schema/index';
import { errorOf, openRouteKit, roleTokens, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-11-23T12:00:00Z');

describe('GET /api/v1/hosts/resolve', () => {
  let kit: RouteKit;
  let tokens: { admin: string; operator: string; helpdesk: string };

  beforeAll(async () => {
    kit = await openRouteKit(new ManualClock(T0));
    const now = new Date(T0);
    tokens = await roleTokens(kit.db, now);
    await kit.db.insert(hosts).values([
      { id: 'h-1111', hostname: 'vm', fqdn: 'vm.lan', addresses: ['192.168.1.5'], enrolledAt: now },
      { id: 'h-2222', hostname: 'db', addresses: ['192.168.1.6'], enrolledAt: now },
      { id: 'h-3333', hostname: 'db', addresses: ['192.168.1.7'], enrolledAt: now },
    ]);
  });

  afterAll(async () => {
    await kit?.close();
  });

  it('answers the one host a helpdesk token names by hostname, address or id prefix', async () => {
    const byName = await kit.call('GET', '/api/v1/hosts/resolve?q=vm', tokens.helpdesk);
    expect(byName.statusCode, byName.body).toBe(200);
    expect(byName.json()).toEqual({ id: 'h-1111', hostname: 'vm', fqdn: 'vm.lan', status: 'active', matchedBy: 'hostname' });
    expect((await kit.call('GET', '/api/v1/hosts/resolve?q=192.168.1.6', tokens.helpdesk)).json()).toMatchObject({ id: 'h-2222', matchedBy: 'address' });
    expect((await kit.call('GET', '/api/v1/hosts/resolve?q=h-33', tokens.helpdesk)).json()).toMatchObject({ id: 'h-3333', matchedBy: 'id-prefix' });
    // The static route is not taken for a host id: /hosts/:id still answers ids.
    expect((await kit.call('GET', '/api/v1/hosts/h-1111', tokens.helpdesk)).json()).toMatchObject({ id: 'h-1111', hostname: 'vm' });
  });

  it('answers 409 PF_ERR_HOST_AMBIGUOUS with the candidates when several hosts match', async () => {
    const res = await kit.call('GET', '/api/v1/hosts/resolve?q=db', tokens.helpdesk);
    expect(res.statusCode).toBe(409);
    const body = res.json() as { error: { code: string; message: string; retryable: boolean; details: unknown } };
    expect(body.error.code).toBe('PF_ERR_HOST_AMBIGUOUS');
    expect(body.error.retryable).toBe(false);
    expect(body.error.message).toContain('db (h-2222)');
    expect(body.error.message).toContain('db (h-3333)');
    expect(body.error.details).toEqual({
      candidates: [
        { id: 'h-2222', hostname: 'db', status: 'active', lastSeenAt: null },
        { id: 'h-3333', hostname: 'db', status: 'active', lastSeenAt: null },
      ],
      more: false,
    });
  });

  it('answers 404 PF_ERR_NOT_FOUND when nothing matches, 400 without q, 401 without a token', async () => {
    const none = await kit.call('GET', '/api/v1/hosts/resolve?q=nosuch', tokens.helpdesk);
    expect(none.statusCode).toBe(404);
    expect(errorOf(none).code).toBe('PF_ERR_NOT_FOUND');
    // Other refusals carry no details.
    expect((none.json() as { error: Record<string, unknown> }).error).not.toHaveProperty('details');
    expect((await kit.call('GET', '/api/v1/hosts/resolve', tokens.helpdesk)).statusCode).toBe(400);
    const anonymous = await kit.call('GET', '/api/v1/hosts/resolve?q=vm', undefined);
    expect(anonymous.statusCode).toBe(401);
    expect(errorOf(anonymous).code).toBe('PF_ERR_UNAUTHORIZED');
  });
});
