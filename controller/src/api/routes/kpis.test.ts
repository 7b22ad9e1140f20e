/** `GET /api/v1/kpis` on a real database: roles, the days bounds, and the hand-worked figures through HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { KPI_EXPECTED, seedKpiFleet, T0 } from '../../kpis/kpi-seed.test-support';
import { MAX_KPI_DAYS } from '../../kpis/period';
import { errorOf, openRouteKit, roleTokens, type RouteKit } from './route-kit.test-support';

describe('GET /api/v1/kpis', () => {
  let kit: RouteKit;
  let tokens: { admin: string; operator: string; helpdesk: string };
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    kit = await openRouteKit(clock);
    tokens = await roleTokens(kit.db, new Date(T0));
    await seedKpiFleet(kit.db);
  });

  afterAll(async () => {
    await kit?.close();
  });

  it('answers helpdesk with every figure over the last 7 days by default, now from the controller clock', async () => {
    const res = await kit.call('GET', '/api/v1/kpis', tokens.helpdesk);
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ at: '2026-11-23T12:00:00.000Z', days: 7, period: { from: '2026-11-16T12:00:00.000Z', to: '2026-11-23T12:00:00.000Z' } });
    expect(body.installs).toEqual(KPI_EXPECTED.installs);
    expect(body.stops).toEqual(KPI_EXPECTED.stops);
    expect(body.staleHosts).toEqual(KPI_EXPECTED.staleHosts);
    expect(body.withinSla).toEqual(KPI_EXPECTED.withinSla);
    expect((body.mttp as typeof KPI_EXPECTED.mttp).critical).toEqual(KPI_EXPECTED.mttp.critical);
    expect((body.exposure as typeof KPI_EXPECTED.exposure).current.hostDays).toBeCloseTo(KPI_EXPECTED.exposure.current.hostDays, 9);
  });

  it('takes days from 1 to the maximum and refuses the rest', async () => {
    const one = await kit.call('GET', '/api/v1/kpis?days=1', tokens.helpdesk);
    expect(one.json()).toMatchObject({ days: 1, previousPeriod: { from: '2026-11-21T12:00:00.000Z', to: '2026-11-22T12:00:00.000Z' } });
    expect((await kit.call('GET', `/api/v1/kpis?days=${MAX_KPI_DAYS}`, tokens.helpdesk)).statusCode).toBe(200);
    for (const bad of ['0', String(MAX_KPI_DAYS + 1), 'x', '1.5']) {
      const res = await kit.call('GET', `/api/v1/kpis?days=${bad}`, tokens.helpdesk);
      expect(res.statusCode, bad).toBe(400);
      expect(errorOf(res).code).toBe('PF_ERR_VALIDATION');
    }
    expect((await kit.call('GET', '/api/v1/kpis?other=1', tokens.helpdesk)).statusCode).toBe(400);
  });

  it('answers for the start of the clock minute, computed once a minute and shared (kpis/kpi-snapshots.ts)', async () => {
    const first = (await kit.call('GET', '/api/v1/kpis?days=3', tokens.helpdesk)).json() as Record<string, unknown>;
    clock.advance(45_000);
    const again = (await kit.call('GET', '/api/v1/kpis?days=3', tokens.helpdesk)).json() as Record<string, unknown>;
    expect(again).toEqual(first);
    expect(again).toMatchObject({ at: '2026-11-23T12:00:00.000Z', period: { to: '2026-11-23T12:00:00.000Z' } });
  });

  it('needs a token', async () => {
    expect((await kit.call('GET', '/api/v1/kpis', undefined)).statusCode).toBe(401);
  });
});
