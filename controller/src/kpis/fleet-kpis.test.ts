/** The fleet KPIs on a fleet worked out by hand (kpi-seed.test-support.ts), on PGlite or on PostgreSQL under DATABASE_URL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { fleetKpis } from './fleet-kpis';
import { KPI_EXPECTED, seedKpiFleet, T0 } from './kpi-seed.test-support';
import { kpiPeriods } from './period';

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await openTestDatabase();
  await seedKpiFleet(tdb.database.db);
});

afterAll(async () => {
  await tdb?.cleanup();
});

/** Numbers compared to 9 decimals (sums of intervals in float8), everything else exactly. */
function close(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    expect(actual as number, path).toBeCloseTo(expected, 9);
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) close((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else expect(actual, path).toEqual(expected);
}

describe('fleet KPIs', () => {
  it('gives each figure for the last 7 days and the 7 before, as worked out by hand', async () => {
    const k = await fleetKpis(tdb.database.db, { nowMs: T0, days: 7 });
    expect(k.period).toEqual({ from: new Date('2026-11-16T12:00:00Z'), to: new Date(T0) });
    expect(k.previousPeriod).toEqual({ from: new Date('2026-11-09T12:00:00Z'), to: new Date('2026-11-16T12:00:00Z') });
    close(k.mttp, KPI_EXPECTED.mttp, 'mttp');
    close(k.withinSla, KPI_EXPECTED.withinSla, 'withinSla');
    close(k.exposure, KPI_EXPECTED.exposure, 'exposure');
    close(k.installs, KPI_EXPECTED.installs, 'installs');
    close(k.stops, KPI_EXPECTED.stops, 'stops');
    close(k.staleHosts, KPI_EXPECTED.staleHosts, 'staleHosts');
  });

  it('moves with the clock and the period: a day later over 1 day', async () => {
    const k = await fleetKpis(tdb.database.db, { nowMs: T0 + 86_400_000, days: 1 });
    // [Nov 23 12:00, Nov 24 12:00): nothing installed, halted or blocked; still-missing critical/high patches (h3 h6 h8) accrue a day each.
    expect(k.mttp.all.current).toEqual({ meanDays: null, installs: 0 });
    expect(k.installs.current).toMatchObject({ successRate: null, rollbackRate: null, succeeded: 0, failed: 0 });
    expect(k.exposure.current.hostDays).toBeCloseTo(3, 9);
    // Previous period [Nov 22 12:00, Nov 23 12:00): the same three.
    expect(k.exposure.previous.hostDays).toBeCloseTo(3, 9);
    expect(k.stops.current).toEqual({ halts: 0, blocks: 0, fleetWideBlocks: 0 });
  });

  it('computes the periods as half-open intervals back from now', () => {
    const p = kpiPeriods(T0, 30);
    expect(p.current.from.toISOString()).toBe('2026-10-24T12:00:00.000Z');
    expect(p.previous).toEqual({ from: new Date('2026-09-24T12:00:00Z'), to: new Date('2026-10-24T12:00:00Z') });
  });
});
