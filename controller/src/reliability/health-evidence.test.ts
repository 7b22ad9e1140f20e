/**
 * The reliability score's health evidence (score-service.ts healthEvidenceRows) reads whole days from
 * health_daily and the partial days at a window's edges from health_hourly. It must give exactly what summing
 * every hour of the two 14-day windows gives: checked here against that plain query, on a real database
 * (PGlite, or PostgreSQL with DATABASE_URL), for installs at random instants (mid-hour, on the hour, at
 * midnight) with hours rolled up through the real roll-up, some hours missing and a late sample.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db } from '../db/index';
import { hosts, rolloutHosts, rollouts } from '../db/schema/index';
import { rollupHealth } from '../health/rollup';
import { storeHealthSamples } from '../health/sample-store';
import { sample } from '../health/test-samples.test-support';
import { healthEvidenceRows } from './score-service';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Midnight UTC: the hours below start 20 days before it and end 20 days after. */
const MID = Date.parse('2026-03-20T00:00:00Z');

/** Every hour of both windows from health_hourly: what the score read before health_daily existed. */
const reference = sql`with ph as (
    select p.patch_id, rh.host_id, min(rh.installed_at) as installed_at
    from rollout_hosts rh join rollouts r on r.id = rh.rollout_id
    cross join lateral (select jsonb_array_elements_text(r.content -> 'patches')) as p(patch_id)
    where rh.installed_at is not null
    group by p.patch_id, rh.host_id
  )
  select ph.patch_id, ph.host_id,
    coalesce(sum(hh.app_crashes + hh.kernel_crashes + hh.service_failures + hh.unexpected_shutdowns + hh.probe_failures) filter (where hh.hour >= ph.installed_at), 0)::int as after_events,
    coalesce(sum(hh.covered_sec) filter (where hh.hour >= ph.installed_at), 0)::bigint as after_sec,
    coalesce(sum(hh.app_crashes + hh.kernel_crashes + hh.service_failures + hh.unexpected_shutdowns + hh.probe_failures) filter (where hh.hour + interval '1 hour' <= ph.installed_at), 0)::int as before_events,
    coalesce(sum(hh.covered_sec) filter (where hh.hour + interval '1 hour' <= ph.installed_at), 0)::bigint as before_sec
  from ph join health_hourly hh on hh.host_id = ph.host_id
    and hh.hour >= ph.installed_at - interval '14 days' and hh.hour < ph.installed_at + interval '14 days'
  group by ph.patch_id, ph.host_id`;

type Row = { patch_id: string; host_id: string; after_events: number; after_sec: number; before_events: number; before_sec: number };
const norm = (rows: Row[]) =>
  rows
    .map((r) => [r.patch_id, r.host_id, Number(r.after_events), Number(r.after_sec), Number(r.before_events), Number(r.before_sec)] as const)
    .filter((r) => r[2] + r[3] + r[4] + r[5] > 0)
    .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));

/** A small deterministic generator (the test must give the same data every run). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('health evidence from daily and hourly roll-ups', () => {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDatabase();
    db = t.database.db;
  });
  afterAll(async () => t?.cleanup());

  it('equals the sum over every hour of both 14-day windows', async () => {
    const rnd = lcg(20260320);
    const HOSTS = 12;
    const now = new Date(MID + 20 * DAY);
    await db.insert(hosts).values(Array.from({ length: HOSTS }, (_, i) => ({ id: `he${i}`, hostname: `he${i}`, enrolledAt: new Date(MID - 30 * DAY) })));
    // Installs: on the hour, at midnight, mid-hour, near the edges of the data.
    const installs = [MID, MID + 7 * HOUR, MID + 7 * HOUR + 23 * 60_000, MID - 13 * DAY + 5 * HOUR + 1, MID + 13 * DAY + 59 * 60_000, ...Array.from({ length: HOSTS - 5 }, () => MID + Math.floor((rnd() * 36 - 18) * DAY))];
    const mk = (id: string, patch: string) => ({ id, name: id, content: { patches: [patch], packages: [] }, state: 'active' as const, releasedAt: now, createdBy: 'test', createdAt: now, updatedAt: now });
    await db.insert(rollouts).values([mk('ro_a', 'PATCH-A'), mk('ro_b', 'PATCH-B')]);
    await db.insert(rolloutHosts).values(
      installs.flatMap((at, i) => [
        { rolloutId: 'ro_a', hostId: `he${i}`, ringId: 'rg', state: 'succeeded' as const, stateAt: now, installedAt: new Date(at) },
        // A second patch on half the hosts, installed later.
        ...(i % 2 === 0 ? [{ rolloutId: 'ro_b', hostId: `he${i}`, ringId: 'rg', state: 'succeeded' as const, stateAt: now, installedAt: new Date(at + Math.floor(rnd() * 5 * DAY)) }] : []),
      ]),
    );
    // Hourly samples over 40 days, some hours missing, received and rolled up a day at a time.
    for (let d = -20; d < 20; d++) {
      for (let i = 0; i < HOSTS; i++) {
        const samples = [];
        for (let h = 0; h < 24; h++) {
          if (rnd() < 0.1) continue;
          const start = MID + d * DAY + h * HOUR;
          const c = () => (rnd() < 0.2 ? Math.floor(rnd() * 4) : 0);
          samples.push(sample((d + 20) * 24 + h + 1, start, { lengthMs: rnd() < 0.1 ? 20 * 60_000 : HOUR, counters: { appCrashes: c(), kernelCrashes: c(), serviceFailures: c(), unexpectedShutdowns: 0, probeFailures: c(), probeRuns: 1 } }));
        }
        await storeHealthSamples(db, `he${i}`, 'ep1', samples, new Date(MID + (d + 1) * DAY));
      }
      await rollupHealth(db, new Date(MID + (d + 1) * DAY));
    }
    // A late sample for an old hour (another epoch), rolled up later.
    await storeHealthSamples(db, 'he1', 'ep2', [sample(1, MID + 2 * HOUR + 10 * 60_000, { lengthMs: 10 * 60_000, counters: { appCrashes: 7 } })], now);
    await rollupHealth(db, now);

    const want = norm(resultRows<Row>(await db.execute(reference)));
    const got = norm(await healthEvidenceRows(db, ['PATCH-A', 'PATCH-B']));
    expect(want.length).toBeGreaterThan(HOSTS);
    expect(got).toEqual(want);
    // The data is not trivial: both windows hold events and time for most pairs.
    expect(want.filter((r) => r[2] > 0 && r[4] > 0).length).toBeGreaterThan(HOSTS / 2);
  });
});
