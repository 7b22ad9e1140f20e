/** Storing health samples on a real database (PGlite, or PostgreSQL under DATABASE_URL): batches, duplicates, refusals. */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../db/index';
import { healthSamples, hosts } from '../db/schema/index';
import { ManualClock } from '@patchfleet/shared';
import { createLogger } from '../logger';
import { HealthIngest } from './ingest';
import { checkHealthSamples, newestBoot, storeHealthFrames, storeHealthSamples } from './sample-store';
import { MIN, sample } from './test-samples.test-support';

const T0 = Date.parse('2026-12-01T10:00:00Z');

describe('health sample store', () => {
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
  });

  const count = async () => (await db.select({ n: sql<number>`count(*)::int` }).from(healthSamples))[0]?.n;

  it('stores a frame of 500 samples in one statement, nulls kept as null, lists intact', async () => {
    const samples = Array.from({ length: 500 }, (_, i) => sample(i + 1, T0 + i * 5 * MIN));
    samples[7] = sample(8, T0 + 7 * 5 * MIN, {
      counters: { appCrashes: 2, probeFailures: 1, probeRuns: 3 },
      unavailable: ['journald', 'units'],
      events: [{ kind: 'app-crash', at: T0 + 36 * MIN, subject: 'nginx', message: 'SIGSEGV' }],
    });
    expect(await storeHealthSamples(db, 'h1', 'ep1', samples, new Date(T0 + 3000 * MIN))).toEqual({ inserted: 500 });
    expect(await count()).toBe(500);
    const [row] = await db.select().from(healthSamples).where(eq(healthSamples.seq, 8));
    expect(row).toMatchObject({ appCrashes: 2, kernelCrashes: null, serviceFailures: null, unexpectedShutdowns: null, probeFailures: 1, probeRuns: 3, unavailable: ['journald', 'units'], bootId: 'boot-a', uptimeSec: 1008 });
    expect(row?.periodStart.getTime()).toBe(T0 + 35 * MIN);
    expect(row?.events).toEqual([{ kind: 'app-crash', at: T0 + 36 * MIN, subject: 'nginx', message: 'SIGSEGV' }]);
  });

  it('skips resent samples (same host, epoch, seq) and stores the new ones of a frame; another epoch is not a duplicate', async () => {
    const first = [1, 2, 3].map((s) => sample(s, T0 + s * 5 * MIN));
    expect((await storeHealthSamples(db, 'h1', 'ep1', first, new Date(T0))).inserted).toBe(3);
    const again = [2, 3, 4, 5].map((s) => sample(s, T0 + s * 5 * MIN, { counters: { appCrashes: 9 } }));
    expect((await storeHealthSamples(db, 'h1', 'ep1', again, new Date(T0))).inserted).toBe(2);
    expect((await storeHealthSamples(db, 'h1', 'ep2', [sample(1, T0)], new Date(T0))).inserted).toBe(1);
    expect(await count()).toBe(6);
    // The stored copy of seq 2 is the first one: a resend never rewrites.
    const [two] = await db.select().from(healthSamples).where(sql`${healthSamples.seq} = 2 and ${healthSamples.epoch} = 'ep1'`);
    expect(two?.appCrashes).toBe(0);
  });

  it('stores nothing of a frame the database refuses in part (one event holding a NUL)', async () => {
    const samples = [sample(1, T0), sample(2, T0 + 5 * MIN, { events: [{ kind: 'app-crash', at: T0, subject: 'a\u0000b' }] }), sample(3, T0 + 10 * MIN)];
    await expect(storeHealthSamples(db, 'h1', 'ep1', samples, new Date(T0))).rejects.toThrow();
    expect(await count()).toBe(0);
  });

  it('stores the frames of several agents in one statement, counting the new rows of each frame', async () => {
    expect((await storeHealthSamples(db, 'h1', 'ep1', [sample(1, T0)], new Date(T0))).inserted).toBe(1);
    const counts = await storeHealthFrames(db, [
      { hostId: 'h1', epoch: 'ep1', samples: [1, 2].map((q) => sample(q, T0 + q * MIN)), receivedAt: new Date(T0 + 10 * MIN) },
      { hostId: 'h2', epoch: 'ep1', samples: [1, 2, 3].map((q) => sample(q, T0 + q * MIN)), receivedAt: new Date(T0 + 20 * MIN) },
      { hostId: 'h2', epoch: 'ep9', samples: [], receivedAt: new Date(T0) },
    ]);
    expect(counts).toEqual([1, 3, 0]);
    expect(await count()).toBe(5);
    const [row] = await db.select().from(healthSamples).where(sql`${healthSamples.hostId} = 'h2' and ${healthSamples.seq} = 3`);
    expect(row?.receivedAt.getTime()).toBe(T0 + 20 * MIN);
  });

  it('group commit: frames stored in one turn share a write; a frame the database refuses fails only its own caller', async () => {
    const ingest = new HealthIngest({ db, clock: new ManualClock(T0), log: createLogger({ level: 'silent' }) });
    const results = await Promise.allSettled([
      ingest.store('h1', 'ep1', [sample(1, T0), sample(2, T0 + MIN)], new Date(T0)),
      ingest.store('h2', 'ep1', [sample(1, T0, { events: [{ kind: 'app-crash', at: T0, subject: 'a\u0000b' }] })], new Date(T0)),
      ingest.store('h2', 'ep2', [sample(1, T0)], new Date(T0)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[0]).toMatchObject({ value: { inserted: 2 } });
    expect(results[2]).toMatchObject({ value: { inserted: 1 } });
    expect(await count()).toBe(3);
    // Again, all good: one batch, each frame's count its own (the resend of h1's stores nothing).
    const again = await Promise.all([ingest.store('h1', 'ep1', [sample(2, T0 + MIN), sample(3, T0 + 2 * MIN)], new Date(T0)), ingest.store('h2', 'ep1', [sample(1, T0)], new Date(T0))]);
    expect(again).toEqual([{ inserted: 1 }, { inserted: 1 }]);
  });

  it('checks periods, future ends and repeated seqs, naming the bad sample; returns the highest seq', () => {
    const now = T0 + 60 * MIN;
    expect(checkHealthSamples([sample(3, T0), sample(9, T0 + 5 * MIN), sample(4, T0 + 10 * MIN)], now)).toBe(9);
    const bad: [ReturnType<typeof sample>[], RegExp][] = [
      [[sample(1, T0), sample(2, T0, { lengthMs: -1 })], /samples\[1\] \(seq 2\): periodEnd is before periodStart/],
      [[sample(1, now + 25 * 60 * MIN)], /more than a day ahead/],
      [[sample(1, T0, { lengthMs: 8 * 24 * 60 * MIN })], /period longer than 7 days/],
      [[sample(1, T0), sample(1, T0 + 5 * MIN)], /seq repeated/],
    ];
    for (const [samples, message] of bad) {
      let thrown: unknown;
      try {
        checkHealthSamples(samples, now);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toMatchObject({ code: 'PF_ERR_BAD_HEALTH_SAMPLE' });
      expect((thrown as Error).message).toMatch(message);
    }
    // A clock a few hours ahead is tolerated.
    expect(checkHealthSamples([sample(1, now + 3 * 60 * MIN)], now)).toBe(1);
  });

  it('names the newest sample\'s boot', () => {
    expect(newestBoot([sample(1, T0, { bootId: 'old' }), sample(3, T0 + 10 * MIN, { bootId: 'new' }), sample(2, T0 + 5 * MIN, { bootId: 'mid' })])).toEqual({ bootId: 'new', at: T0 + 15 * MIN });
    // When the frame first shows the newest boot: the end of its earliest sample.
    expect(newestBoot([sample(1, T0, { bootId: 'old' }), sample(2, T0 + 5 * MIN, { bootId: 'new' }), sample(3, T0 + 10 * MIN, { bootId: 'new' })])).toEqual({ bootId: 'new', at: T0 + 10 * MIN });
    expect(newestBoot([sample(1, T0, { bootId: '' })])).toBeUndefined();
  });
});
