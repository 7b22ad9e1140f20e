/** Hourly roll-ups and retention on a real database (PGlite, or PostgreSQL under DATABASE_URL). */
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../db/index';
import { auditLog, controllerSettings, healthDaily, healthHourly, healthSamples, hosts } from '../db/schema/index';
import { resultRows } from '../catalog/rows/sync-rows';
import { pruneHealth } from './retention';
import { availableSeconds, rollupHealth } from './rollup';
import { storeHealthSamples } from './sample-store';
import { MIN, sample } from './test-samples.test-support';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('health roll-ups', () => {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDatabase();
    db = t.database.db;
    await db.insert(hosts).values([
      { id: 'h1', hostname: 'alpha', enrolledAt: new Date(T0) },
      { id: 'h2', hostname: 'beta', enrolledAt: new Date(T0) },
    ]);
  });
  afterAll(async () => t?.cleanup());
  beforeEach(async () => {
    await db.delete(healthSamples);
    await db.delete(healthHourly);
    await db.delete(healthDaily);
    await db.delete(controllerSettings);
  });

  const hourly = (hostId: string) => db.select().from(healthHourly).where(eq(healthHourly.hostId, hostId)).orderBy(asc(healthHourly.hour));

  it('sums per host and UTC hour of the interval start; nulls add 0; covered seconds capped at 3600; boot ids listed', async () => {
    // 12 five-minute samples in 10:00-11:00, the 13th starts at 11:00; one sample with sources unavailable.
    const samples = Array.from({ length: 13 }, (_, i) => sample(i + 1, T0 + i * 5 * MIN, { counters: { appCrashes: 1, kernelCrashes: 0, serviceFailures: 2, unexpectedShutdowns: 0, probeFailures: 1, probeRuns: 2 } }));
    samples[3] = sample(4, T0 + 15 * MIN, { counters: { probeRuns: 2 }, unavailable: ['journald', 'units'], bootId: 'boot-b' });
    // An overlapping extra sample (another epoch) pushes the hour's sampled time past 3600 s.
    await storeHealthSamples(db, 'h1', 'ep1', samples, new Date(T0 + 2 * HOUR));
    await storeHealthSamples(db, 'h1', 'ep2', [sample(1, T0 + 30 * MIN, { lengthMs: 10 * MIN, counters: {} })], new Date(T0 + 2 * HOUR));
    const r = await rollupHealth(db, new Date(T0 + 2 * HOUR));
    expect(r.hours).toBe(2);
    const rows = await hourly('h1');
    expect(rows.map((x) => [x.hour.toISOString(), x.samples, x.coveredSec, x.appCrashes, x.serviceFailures, x.probeFailures, x.probeRuns, x.bootIds])).toEqual([
      ['2026-12-01T10:00:00.000Z', 13, 3600, 11, 22, 11, 24, ['boot-a', 'boot-b']],
      ['2026-12-01T11:00:00.000Z', 1, 300, 1, 2, 1, 2, ['boot-a']],
    ]);
    // Availability is not in health_hourly; availableSeconds tells it from the raw samples.
    const avail = (await availableSeconds(db, ['h1'], new Date(T0), new Date(T0 + HOUR))).get('h1');
    expect(avail).toEqual({ sampled: 12 * 300 + 600, appCrashes: 11 * 300, kernelCrashes: 11 * 300, serviceFailures: 11 * 300, unexpectedShutdowns: 11 * 300, probeRuns: 12 * 300 });
  });

  it('is incremental: nothing to do when nothing arrived; a late sample re-computes only its hour; a resend changes nothing', async () => {
    await storeHealthSamples(db, 'h1', 'ep1', [sample(1, T0), sample(2, T0 + HOUR)], new Date(T0 + 2 * HOUR));
    await storeHealthSamples(db, 'h2', 'ep1', [sample(1, T0)], new Date(T0 + 2 * HOUR));
    expect((await rollupHealth(db, new Date(T0 + 2 * HOUR))).hours).toBe(3);
    const mark = (await rollupHealth(db, new Date(T0 + 3 * HOUR))).watermark;
    expect(mark?.toISOString()).toBe(new Date(T0 + 2 * HOUR).toISOString());
    expect((await rollupHealth(db, new Date(T0 + 3 * HOUR))).hours).toBe(0);
    // New samples: their hour, plus those of samples received in the overlap minute before the watermark (all three).
    await storeHealthSamples(db, 'h2', 'ep1', [sample(2, T0 + 5 * MIN)], new Date(T0 + 3 * HOUR));
    expect((await rollupHealth(db, new Date(T0 + 3 * HOUR))).hours).toBe(3);

    // A host back from a day offline delivers an old sample: its hour (10:00 of h1) is recomputed, and
    // the hours of samples received within the overlap minute before the watermark (h2 10:00); not h1 11:00.
    await storeHealthSamples(db, 'h1', 'ep1', [sample(3, T0 + 20 * MIN, { counters: { appCrashes: 4 } })], new Date(T0 + 26 * HOUR));
    const r = await rollupHealth(db, new Date(T0 + 26 * HOUR));
    expect(r.hours).toBe(2);
    expect((await hourly('h2')).map((x) => x.samples)).toEqual([2]);
    expect((await hourly('h1')).map((x) => [x.samples, x.appCrashes])).toEqual([
      [2, 4],
      [1, 0],
    ]);
    // The resent sample is a duplicate: nothing stored, nothing rolled up.
    await storeHealthSamples(db, 'h1', 'ep1', [sample(3, T0 + 20 * MIN, { counters: { appCrashes: 4 } })], new Date(T0 + 27 * HOUR));
    expect((await rollupHealth(db, new Date(T0 + 27 * HOUR))).hours).toBe(0);
    expect((await hourly('h1'))[0]?.samples).toBe(2);
  });

  it('keeps each UTC day the sum of its hourly rows, through increments, a day boundary and a late sample', async () => {
    // Hourly samples for 40 hours from 10:00 on day 1 (crossing two midnights), counters varying with the hour.
    const counters = (i: number) => ({ appCrashes: i % 3, kernelCrashes: i % 2, serviceFailures: i % 5 === 0 ? 2 : 0, unexpectedShutdowns: 0, probeFailures: i % 7 === 0 ? 1 : 0, probeRuns: 1 });
    const all = Array.from({ length: 40 }, (_, i) => sample(i + 1, T0 + i * HOUR, { lengthMs: HOUR, counters: counters(i) }));
    for (let k = 0; k < 40; k += 8) {
      await storeHealthSamples(db, 'h1', 'ep1', all.slice(k, k + 8), new Date(T0 + (k + 8) * HOUR));
      await storeHealthSamples(db, 'h2', 'ep1', all.slice(k, k + 8).filter((_, j) => j % 2 === 0), new Date(T0 + (k + 8) * HOUR));
      await rollupHealth(db, new Date(T0 + (k + 8) * HOUR));
    }
    // A late sample for the first day (another epoch), received a day later.
    await storeHealthSamples(db, 'h1', 'ep2', [sample(1, T0 + 3 * HOUR + 30 * MIN, { lengthMs: 10 * MIN, counters: { appCrashes: 5 } })], new Date(T0 + 64 * HOUR));
    await rollupHealth(db, new Date(T0 + 64 * HOUR));
    const fromHourly = await db.execute(sql`select host_id, date_trunc('day', hour, 'UTC') as day, sum(samples)::int as samples, sum(covered_sec)::int as covered,
        sum(app_crashes)::int as app, sum(kernel_crashes)::int as kernel, sum(service_failures)::int as svc, sum(probe_failures)::int as probe, sum(probe_runs)::int as runs
      from health_hourly group by 1, 2 order by 1, 2`);
    const daily = await db.select().from(healthDaily).orderBy(asc(healthDaily.hostId), asc(healthDaily.day));
    expect(daily.map((d) => [d.hostId, d.day.toISOString(), d.samples, d.coveredSec, d.appCrashes, d.kernelCrashes, d.serviceFailures, d.probeFailures, d.probeRuns])).toEqual(
      resultRows<{ host_id: string; day: string | Date; samples: number; covered: number; app: number; kernel: number; svc: number; probe: number; runs: number }>(fromHourly).map((r) => [
        r.host_id, new Date(r.day).toISOString(), Number(r.samples), Number(r.covered), Number(r.app), Number(r.kernel), Number(r.svc), Number(r.probe), Number(r.runs),
      ]),
    );
    // Three UTC days for h1 (14 + 24 + 2 hours), and the late sample counted on the first.
    expect(daily.filter((d) => d.hostId === 'h1').map((d) => d.samples)).toEqual([15, 24, 2]);
    expect(daily.find((d) => d.hostId === 'h1')?.appCrashes).toBe(Array.from({ length: 14 }, (_, i) => i % 3).reduce((a, b) => a + b, 0) + 5);
  });

  it('a caller on a virtual clock far ahead does not move the watermark past samples not yet received', async () => {
    await storeHealthSamples(db, 'h1', 'ep1', [sample(1, T0)], new Date(T0 + HOUR));
    await rollupHealth(db, new Date(T0 + 365 * DAY));
    await storeHealthSamples(db, 'h1', 'ep1', [sample(2, T0 + 5 * MIN)], new Date(T0 + 2 * HOUR));
    await rollupHealth(db, new Date(T0 + 365 * DAY));
    expect((await hourly('h1'))[0]?.samples).toBe(2);
  });
});

describe('health retention', () => {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDatabase();
    db = t.database.db;
    await db.insert(hosts).values({ id: 'h1', hostname: 'alpha', enrolledAt: new Date(T0) });
  });
  afterAll(async () => t?.cleanup());

  it('deletes samples older than retentionDays and roll-ups older than max(retentionDays, 90), in batches, audited', async () => {
    const now = T0 + 200 * DAY;
    // One sample a day for 200 days, rolled up.
    const samples = Array.from({ length: 200 }, (_, i) => sample(i + 1, T0 + i * DAY));
    await storeHealthSamples(db, 'h1', 'ep1', samples, new Date(T0));
    await rollupHealth(db, new Date(now));
    const r = await pruneHealth(db, new Date(now), { retentionDays: 30, batchRows: 7 });
    expect(r.ran).toBe(true);
    // Samples ending before now - 30 days go (those of days 0..169: the one of day 170 ends 5 minutes after the horizon... of day 170 starts exactly at it).
    const left = await db.select({ seq: healthSamples.seq }).from(healthSamples).orderBy(asc(healthSamples.seq));
    expect(left.map((x) => x.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 171 + i));
    expect(r.samplesDeleted).toBe(170);
    const hours = await db.select({ hour: healthHourly.hour }).from(healthHourly).orderBy(asc(healthHourly.hour));
    expect(hours).toHaveLength(90);
    expect(hours[0]?.hour.getTime()).toBe(now - 90 * DAY);
    expect(r.hourlyDeleted).toBe(110);
    // Daily roll-ups go when their whole day is older than the hourly horizon (days 0..109; day 110 holds its 10:00).
    expect(r.dailyDeleted).toBe(110);
    expect(await db.select({ day: healthDaily.day }).from(healthDaily)).toHaveLength(90);
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.action, 'health.retention'));
    expect(entry?.details).toMatchObject({ samplesDeleted: 170, hourlyDeleted: 110, retentionDays: 30 });
    // A second run finds nothing and audits nothing.
    const again = await pruneHealth(db, new Date(now), { retentionDays: 30 });
    expect([again.samplesDeleted, again.hourlyDeleted, again.dailyDeleted]).toEqual([0, 0, 0]);
    expect((await db.select({ n: sql<number>`count(*)::int` }).from(auditLog).where(eq(auditLog.action, 'health.retention')))[0]?.n).toBe(1);
  });
});
