/**
 * The served KPI snapshots give exactly the definition (`fleetKpis`) at the
 * start of a clock minute, before and after writes; on PGlite or on
 * PostgreSQL under DATABASE_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { auditLog, patchBlocks } from '../db/schema/index';
import { fleetKpis } from './fleet-kpis';
import { KPI_EXPECTED, seedKpiFleet, T0 } from './kpi-seed.test-support';
import { KPI_KEEP_WARM_MS, KPI_SNAPSHOT_MS, KpiSnapshots } from './kpi-snapshots';
import { MAX_KPI_DAYS } from './period';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await openTestDatabase();
  await seedKpiFleet(tdb.database.db);
});
afterAll(async () => {
  await tdb?.cleanup();
});

/** Waits (a few seconds at most) until `get` serves the snapshot of `minute`. */
async function servedAt(s: KpiSnapshots, days: number, minute: number) {
  for (let i = 0; i < 500; i++) {
    const k = await s.get(days);
    if (k.at.getTime() === minute) return k;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no snapshot of ${new Date(minute).toISOString()}`);
}

describe('KPI snapshots', () => {
  it('serve the definition at the start of the current minute, for every period length', async () => {
    const clock = new ManualClock(T0 + 25_000);
    const s = new KpiSnapshots(tdb.database.db, clock);
    for (const days of [1, 7, 30, MAX_KPI_DAYS]) expect(await s.get(days), `days ${days}`).toEqual(await fleetKpis(tdb.database.db, { nowMs: T0, days }));
    const k = await s.get(7);
    expect(k.at).toEqual(new Date(T0));
    expect(k.installs).toEqual(KPI_EXPECTED.installs);
    expect(k.withinSla).toEqual(KPI_EXPECTED.withinSla);
  });

  it('compute once per minute and period length, whoever asks', async () => {
    const s = new KpiSnapshots(tdb.database.db, new ManualClock(T0));
    const [a, b] = await Promise.all([s.get(7), s.get(7)]);
    expect(a).toBe(b);
    expect(await s.get(7)).toBe(a);
    expect(await s.get(30)).not.toBe(a);
  });

  it('after writes, the next minute equals a computation from scratch (the minute before is served while it is computed)', async () => {
    const clock = new ManualClock(T0 + 5_000);
    const s = new KpiSnapshots(tdb.database.db, clock);
    const before = await s.get(7);
    // A block and a halt after the snapshot: this minute's answer stays the one at T0.
    await tdb.database.db.insert(patchBlocks).values({ id: 'bk_snap', patchId: 'USN-1-1', hostClass: null, state: 'active', reason: 'r', createdBy: 'system', createdAt: new Date(T0 + 10_000) });
    await tdb.database.db.insert(auditLog).values({ at: new Date(T0 - 1_000), actor: 'system', action: 'rollout.halted', targetType: 'rollout', targetId: 'ro_a', details: {} });
    clock.advance(10_000);
    expect(await s.get(7)).toBe(before);

    clock.advance(KPI_SNAPSHOT_MS);
    expect(await s.get(7), 'served while the next minute is computed').toBe(before);
    const next = await servedAt(s, 7, T0 + KPI_SNAPSHOT_MS);
    expect(next).toEqual(await fleetKpis(tdb.database.db, { nowMs: T0 + KPI_SNAPSHOT_MS, days: 7 }));
    expect(next.stops.current).toEqual({ halts: KPI_EXPECTED.stops.current.halts + 1, blocks: KPI_EXPECTED.stops.current.blocks + 1, fleetWideBlocks: KPI_EXPECTED.stops.current.fleetWideBlocks + 1 });

    // Older than the minute before: computed and awaited, never served stale.
    clock.advance(5 * KPI_SNAPSHOT_MS);
    const later = await s.get(7);
    expect(later.at).toEqual(new Date(T0 + 6 * KPI_SNAPSHOT_MS));
    expect(later).toEqual(await fleetKpis(tdb.database.db, { nowMs: T0 + 6 * KPI_SNAPSHOT_MS, days: 7 }));
  });

  it('recompute each minute the period lengths asked for in the last 10 minutes, until stopped', async () => {
    const clock = new ManualClock(T0 + 30_000);
    const computed: string[] = [];
    const running: Promise<unknown>[] = [];
    const count: typeof fleetKpis = (db, o) => {
      computed.push(`${o.days}d@${(o.nowMs - T0) / KPI_SNAPSHOT_MS}`);
      const k = fleetKpis(db, o);
      running.push(k);
      return k;
    };
    const s = new KpiSnapshots(tdb.database.db, clock, undefined, count);
    await s.get(7);
    await s.get(30);
    expect(computed).toEqual(['7d@0', '30d@0']);
    clock.advance(30_000); // T0 + 1 min: the timer computes both, unasked
    expect(computed).toEqual(['7d@0', '30d@0', '7d@1', '30d@1']);
    await servedAt(s, 7, T0 + KPI_SNAPSHOT_MS);
    expect(computed).toHaveLength(4);
    // 7 days was asked at T0 + 1 min, 30 days at T0: the 30-day one goes cold 10 minutes after.
    for (let m = 2; m <= 12; m++) clock.advance(KPI_SNAPSHOT_MS);
    expect(computed.filter((c) => c.startsWith('30d')).at(-1)).toBe(`30d@${KPI_KEEP_WARM_MS / KPI_SNAPSHOT_MS}`);
    expect(computed.filter((c) => c.startsWith('7d')).at(-1)).toBe(`7d@${KPI_KEEP_WARM_MS / KPI_SNAPSHOT_MS + 1}`);
    const n = computed.length;
    clock.advance(5 * KPI_SNAPSHOT_MS);
    expect(computed, 'nothing asked for 10 minutes: no timer').toHaveLength(n);
    await s.get(7);
    s.stop();
    clock.advance(5 * KPI_SNAPSHOT_MS);
    expect(computed).toHaveLength(n + 1);
    // The background computations end before the database closes, and each one succeeded.
    expect((await Promise.allSettled(running)).filter((r) => r.status === 'rejected')).toEqual([]);
  });
});
