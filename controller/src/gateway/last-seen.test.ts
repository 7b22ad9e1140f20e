import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, SteppedClock } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { hostSessions, hosts } from '../db/schema/index';
import { searchHosts } from '../hosts/queries';
import { LastSeenTracker } from './last-seen';

describe('LastSeenTracker and the online flag', () => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await openTestDatabase();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('flushes batched heartbeats to sessions and hosts, and online follows them', async () => {
    const db = t.database.db;
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const start = new Date(clock.now());
    await db.insert(hosts).values([
      { id: 'h1', hostname: 'alpha', enrolledAt: start },
      { id: 'h2', hostname: 'beta', enrolledAt: start },
    ]);
    await db.insert(hostSessions).values([
      { id: 's1', hostId: 'h1', controllerId: 'c', connectedAt: start, lastSeenAt: start },
      { id: 's2', hostId: 'h2', controllerId: 'c', connectedAt: start, lastSeenAt: start },
    ]);
    const tracker = new LastSeenTracker(db, clock, pino({ level: 'silent' }));
    clock.advance(60_000);
    tracker.touch('s1', 'h1');
    await tracker.flush();
    const [s1] = await db.select().from(hostSessions).where(eq(hostSessions.id, 's1'));
    const [h1] = await db.select().from(hosts).where(eq(hosts.id, 'h1'));
    expect(s1?.lastSeenAt.getTime()).toBe(clock.now());
    expect(h1?.lastSeenAt?.getTime()).toBe(clock.now());

    // 100 s after the start, with a 90 s staleness window: only the host seen at +60 s is online.
    const now = new Date(clock.now() + 40_000);
    const { items } = await searchHosts(db, { limit: 10, offset: 0, now, staleMs: 90_000 });
    expect(items.map((h) => [h.id, h.online])).toEqual([
      ['h1', true],
      ['h2', false],
    ]);
    // A closed session is offline however recent.
    await db.update(hostSessions).set({ disconnectedAt: now }).where(eq(hostSessions.id, 's1'));
    expect((await searchHosts(db, { limit: 10, offset: 0, now, staleMs: 90_000 })).items[0]?.online).toBe(false);
  });
  it('on a simulated clock: no timer while nothing is pending, one flush 5 s after the first touch', async () => {
    const db = t.database.db;
    const clock = new SteppedClock(Date.parse('2026-01-01T00:00:00Z'));
    const start = new Date(clock.now());
    await db.insert(hosts).values({ id: 'h1', hostname: 'alpha', enrolledAt: start });
    await db.insert(hostSessions).values({ id: 's1', hostId: 'h1', controllerId: 'c', connectedAt: start, lastSeenAt: start });
    const tracker = new LastSeenTracker(db, clock, pino({ level: 'silent' }), 5000, true);
    tracker.start();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(3_600_000);
    expect(clock.firedTotal).toBe(0);
    const seenAt = clock.now();
    tracker.touch('s1', 'h1');
    await clock.advance(2_000);
    tracker.touch('s1', 'h1'); // joins the flush armed by the first touch
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(2_999);
    const lastSeen = async () => (await db.select().from(hosts).where(eq(hosts.id, 'h1')))[0]?.lastSeenAt?.getTime();
    expect(await lastSeen()).toBeUndefined();
    await clock.advance(1);
    expect(await lastSeen()).toBe(seenAt + 2_000);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(3_600_000);
    expect(clock.firedTotal).toBe(1);
    await tracker.stop();
    tracker.touch('s1', 'h1'); // after stop: nothing armed
    expect(clock.pendingTimers).toBe(0);
  });
});
