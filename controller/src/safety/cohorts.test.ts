/** Cohort numbers on seeded health data (PGlite, or PostgreSQL with DATABASE_URL). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DAY, HOUR, MIN, RolloutKit, T0 } from '../rollout/rollout-kit.test-support';
import { hosts } from '../db/schema/index';
import { hostClassOf } from '../rollout/assign-rings';
import { assignableHost } from '../rollout/ring-store';
import { resultRows } from '../catalog/rows/sync-rows';
import { cohortPatchIds, cohortQuery, measureCohorts } from './cohorts';
import { hostClassSql } from './host-class';
import { seedSamples, setRole } from './safety-kit.test-support';
import { evaluateCohort } from './stats/evaluate';
import type { CohortEvidence } from './gate-types';

let kit: RolloutKit;
beforeEach(async () => {
  kit = await RolloutKit.open();
});
afterEach(async () => {
  await kit.cleanup();
});

const WEB = JSON.stringify(['', '', '', 'web']);
const DB = JSON.stringify(['', '', '', 'db']);

/** Test ring: web w1, w2 and db d1 patched at T0+30m; First ring: web w3, w4 unpatched (controls). */
async function patchedAtHalfPast(): Promise<string> {
  await kit.addHosts(['w1', 'w2', 'd1'], 'Test');
  await kit.addHosts(['w3', 'w4'], 'First');
  await setRole(kit.db, ['w1', 'w2', 'w3', 'w4'], 'web');
  await setRole(kit.db, ['d1'], 'db');
  const id = await kit.start(T0);
  expect((await kit.tick(T0, ['w1', 'w2', 'd1', 'w3', 'w4'])).sort()).toEqual(['d1', 'w1', 'w2']);
  for (const h of ['w1', 'w2', 'd1']) await kit.finish(h, T0 + 30 * MIN, 'succeeded', { replaced: [{ name: 'openssl', from: '1.0-1', to: '1.1-1' }] });
  await kit.tick(T0 + 30 * MIN);
  expect((await kit.host(id, 'w1')).installedAt).toEqual(new Date(T0 + 30 * MIN));
  return id;
}

describe('measureCohorts', () => {
  it('counts patched hosts from their install against controls over the same hours, hourly roll-ups for whole hours and raw samples for the rest, never twice', async () => {
    const id = await patchedAtHalfPast();
    // w1 crashes in every 5-minute sample after its install; w3 (a control) once an hour; hourly roll-ups exist up to T0+3h.
    await seedSamples(
      kit.db,
      ['w1', 'w2', 'w3', 'w4', 'd1'],
      T0 - 2 * HOUR,
      T0 + 3 * HOUR,
      5 * MIN,
      (h, t) => ({ appCrashes: (h === 'w1' && t >= T0 + 30 * MIN) || (h === 'w3' && t % HOUR === 0) ? 1 : 0 }),
      { hourlyBefore: T0 + 3 * HOUR },
    );
    const rollout = await kit.rollout(id);
    const now = T0 + 3 * HOUR;
    const cohorts = await kit.db.transaction((tx) => measureCohorts(tx, rollout, { now, realNow: now, speed: 1 }));
    expect(cohorts.map((c) => c.hostClass)).toEqual([DB, WEB]);
    const web = cohorts[1]?.evidence;
    expect(web).toMatchObject({ patchId: 'pkg:openssl=1.1-1', hostClass: WEB, mode: 'controls', patchedHosts: 2, controlHosts: 2, hoursSinceFirstInstall: 2.5 });
    // 2 hosts x 2.5 h each side; w1: 30 samples with a crash; w3: the samples starting at T0+1h and T0+2h.
    const crashes = { patchedEvents: 30, patchedHostHours: 5, controlEvents: 2, controlHostHours: 5 };
    // All on one UTC day: one daily increment, equal to the totals.
    expect(web?.counts['app-crash']).toEqual({ ...crashes, increments: [crashes] });
    expect(web?.installs).toEqual({ trials: 2, failures: 0, baselineTrials: 100, baselineFailures: 1 });
    expect(web?.boots).toEqual({ trials: 0, failures: 0, baselineTrials: 100, baselineFailures: 0 });
    // db has no unpatched host: before/after on d1, the same 2.5 h before its install.
    const db = cohorts[0]?.evidence;
    expect(db).toMatchObject({ mode: 'before-after', patchedHosts: 1 });
    // Before/after compares other hours, not the same days: no increments.
    expect(db?.counts['app-crash']).toEqual({ patchedEvents: 0, patchedHostHours: 2.5, controlEvents: 0, controlHostHours: 2.5 });
  });

  it('counts a signal only where its source was available, and works at seconds scale on raw samples', async () => {
    const id = await patchedAtHalfPast();
    // 2-second samples for two minutes after the install; kernel crashes unreadable (null) everywhere; w2 probes fail in each sample.
    const start = T0 + 30 * MIN;
    await seedSamples(kit.db, ['w1', 'w2', 'w3', 'w4', 'd1'], start - 2 * MIN, start + 2 * MIN, 2000, (h, t) => ({ kernelCrashes: null, probeRuns: 1, probeFailures: h === 'w2' && t >= start ? 1 : 0 }));
    const rollout = await kit.rollout(id);
    const now = start + 2 * MIN;
    const [, web] = await kit.db.transaction((tx) => measureCohorts(tx, rollout, { now, realNow: now, speed: 1 }));
    expect(web?.evidence.counts['kernel-crash']).toBeUndefined();
    expect(web?.evidence.counts['probe-failure']).toMatchObject({ patchedEvents: 60, patchedHostHours: (2 * 120) / 3600, controlEvents: 0, controlHostHours: (2 * 120) / 3600 });
  });

  it('moves install times to the wall clock when the rollout clock runs faster', async () => {
    const id = await patchedAtHalfPast();
    const rollout = await kit.rollout(id);
    // Rollout clock 60x: 60 virtual minutes after the install are one real minute; the wall clock is at W.
    const W = Date.UTC(2026, 5, 1, 12, 0, 0);
    await seedSamples(kit.db, ['w1', 'w2', 'w3', 'w4', 'd1'], W - 5 * MIN, W, 10_000, (h) => ({ appCrashes: h === 'w1' ? 1 : 0 }));
    const [, web] = await kit.db.transaction((tx) => measureCohorts(tx, rollout, { now: T0 + 90 * MIN, realNow: W, speed: 60 }));
    // Patched since W - 1 min: 6 samples each of w1 and w2.
    expect(web?.evidence.counts['app-crash']).toMatchObject({ patchedEvents: 6, patchedHostHours: (2 * 60) / 3600 });
    expect(web?.firstInstallWall).toBe(W - MIN);
  });

  it('sums whole days from the daily roll-up exactly as every hour from the hourly one, over windows of days crossing midnights', async () => {
    const id = await patchedAtHalfPast();
    // Four days of hourly samples around the install (rolled up but for the last hours), counters varying by host and hour.
    await seedSamples(
      kit.db,
      ['w1', 'w2', 'w3', 'w4', 'd1'],
      T0 - DAY - 7 * HOUR,
      T0 + 3 * DAY + 5 * HOUR,
      HOUR,
      (h, t) => ({ appCrashes: (t / HOUR + h.charCodeAt(1)) % 5 === 0 ? 1 : 0, serviceFailures: (t / HOUR) % 7 === 0 ? 2 : 0, probeRuns: 1, probeFailures: h === 'w1' && t > T0 ? 1 : 0 }),
      { hourlyBefore: T0 + 3 * DAY + 2 * HOUR },
    );
    const now = T0 + 3 * DAY + 4 * HOUR + 20 * MIN;
    const clock = { now, realNow: now, speed: 1 };
    const run = (daily: boolean, beforeOnly?: string[]) =>
      kit.db.transaction(async (tx) => resultRows<Record<string, unknown>>(await tx.execute(cohortQuery(id, clock, 300, beforeOnly, { daily }))));
    for (const beforeOnly of [undefined, [WEB, DB]]) {
      const withDays = await run(true, beforeOnly);
      const hourly = await run(false, beforeOnly);
      expect(withDays).toEqual(hourly);
      // Not vacuous: the windows hold days of exposure and events.
      const web = withDays.filter((r) => r['cls'] === WEB && r['side'] === (beforeOnly ? 'b' : 'c'));
      const sum = (k: string) => web.reduce((a, r) => a + Number(r[k] ?? 0), 0);
      expect(sum('app-crash:s')).toBeGreaterThan(2 * DAY / 1000);
      expect(sum('app-crash:e')).toBeGreaterThan(0);
    }
  });

  it('splits the comparison by UTC day, so an outage on a day when most hosts are patched is no evidence against the patch', async () => {
    // Test ring: w1, w2 patched at T0+30m. First ring: w3 (the control), and w4..w8, patched at the start of the second day.
    const late = ['w4', 'w5', 'w6', 'w7', 'w8'];
    const web = ['w1', 'w2', 'w3', ...late];
    await kit.addHosts(['w1', 'w2'], 'Test');
    await kit.addHosts(['w3', ...late], 'First');
    await setRole(kit.db, web, 'web');
    const id = await kit.start(T0);
    await kit.tick(T0, web);
    for (const h of ['w1', 'w2']) await kit.finish(h, T0 + 30 * MIN, 'succeeded');
    await kit.tick(T0 + 30 * MIN);
    await kit.db.execute(sql`update rollout_hosts set state = 'succeeded', installed_at = ${new Date(T0 + DAY).toISOString()}::timestamptz where rollout_id = ${id} and host_id in ('w4', 'w5', 'w6', 'w7', 'w8')`);
    // A quiet first day; on the second, every web host crashes ten times an hour (an outage, patched or not).
    await seedSamples(kit.db, web, T0, T0 + 2 * DAY, HOUR, (_h, t) => ({ appCrashes: t >= T0 + DAY ? 10 : 0 }), { hourlyBefore: T0 + 2 * DAY });
    const rollout = await kit.rollout(id);
    const now = T0 + 2 * DAY;
    const cohorts = await kit.db.transaction((tx) => measureCohorts(tx, rollout, { now, realNow: now, speed: 1 }));
    const ev = cohorts.find((c) => c.hostClass === WEB)?.evidence;
    const crashes = ev?.counts['app-crash'];
    if (!ev || !crashes) throw new Error('no web cohort');
    // Day 1: w1, w2 from their install (the hourly sample of 00:00 began before it) against w3 over the same hours
    // (w4..w8 are patched by now: neither side). Day 2: seven patched hosts against w3.
    expect(ev).toMatchObject({ mode: 'controls', patchedHosts: 7, controlHosts: 1 });
    expect(crashes.increments).toEqual([
      { patchedEvents: 0, patchedHostHours: 46, controlEvents: 0, controlHostHours: 23 },
      { patchedEvents: 1680, patchedHostHours: 168, controlEvents: 240, controlHostHours: 24 },
    ]);
    expect(crashes).toMatchObject({ patchedEvents: 1680, patchedHostHours: 214, controlEvents: 240, controlHostHours: 47 });
    const judge = (evidence: CohortEvidence) => evaluateCohort(evidence, { alpha: 0.01 }).verdicts.find((v) => v.gate === 'app-crash')?.tripped;
    // Day by day the outage is no evidence. On the totals it would trip: 7/8 of the outage day's exposure is patched, 82 % of the whole.
    expect(judge(ev)).toBe(false);
    const { increments: _days, ...totals } = crashes;
    expect(judge({ ...ev, counts: { 'app-crash': totals } })).toBe(true);
  });

  it("does not count another rollout's reboot of a host as history when it is the same restart as this rollout's", async () => {
    // Two rollouts installed on h1..h3 in one round, so one restart per host serves both; h1 does not come back.
    // The other rollout also rebooted h4, and h2 again five hours later: restarts of their own, which stay history.
    const ids = ['h1', 'h2', 'h3', 'h4'];
    await kit.addHosts(ids, 'Test');
    const a = await kit.start(T0);
    const b = await kit.start(T0, { packages: [{ name: 'openssl', version: '1.2-1' }] });
    const due = new Date(T0 + 26 * MIN).toISOString();
    const later = new Date(T0 + 5 * HOUR).toISOString();
    const installed = new Date(T0).toISOString();
    await kit.db.execute(sql`update rollout_hosts set state = 'succeeded', installed_at = ${installed}::timestamptz, reboot_due_by = ${due}::timestamptz,
      boot_state = case when host_id = 'h1' then 'failed' else 'back' end where host_id in ('h1', 'h2', 'h3') and rollout_id in (${a}, ${b})`);
    await kit.db.execute(sql`update rollout_hosts set state = 'succeeded', installed_at = ${installed}::timestamptz, reboot_due_by = ${later}::timestamptz, boot_state = 'back'
      where rollout_id = ${b} and host_id = 'h4'`);
    const clock = { now: T0 + 6 * HOUR, realNow: T0 + 6 * HOUR, speed: 1 };
    const boots = async (id: string) => {
      const rollout = await kit.rollout(id);
      return (await kit.db.transaction((tx) => measureCohorts(tx, rollout, clock)))[0]?.evidence.boots;
    };
    // A's own restarts: 3, one failed. History: only b's h4 restart (1 trial, under the 20 that stand alone: topped up with 0 in 100).
    expect(await boots(a)).toEqual({ trials: 3, failures: 1, baselineTrials: 101, baselineFailures: 0 });
    // Counting b's h1..h3 rows as history would have made h1's failure its own baseline.
    await kit.db.execute(sql`update rollout_hosts set reboot_due_by = ${later}::timestamptz where rollout_id = ${b} and host_id = 'h2'`);
    expect(await boots(a)).toEqual({ trials: 3, failures: 1, baselineTrials: 102, baselineFailures: 0 });
  });

  it('keys package-only rollouts by pkg:NAME=VERSION', () => {
    expect(cohortPatchIds({ patches: ['USN-1-1'], packages: [{ name: 'a', version: '2.0' }] })).toEqual(['USN-1-1', 'pkg:a=2.0']);
  });
});

describe('hostClassSql', () => {
  it('gives the string hostClassOf(assignableHost(row)) gives, whatever the facts hold', async () => {
    const rows: { id: string; osId: string; osVersion: string; hwModel: string; labels: Record<string, string>; facts: Record<string, unknown> | null }[] = [
      { id: 'c1', osId: 'ubuntu', osVersion: '22.04', hwModel: 'X1', labels: { role: 'web' }, facts: null },
      { id: 'c2', osId: 'ubuntu', osVersion: '22.04', hwModel: 'X1', labels: {}, facts: { os: { id: 'debian', version: '12', build: '6.1.0-9' }, hardware: { model: 'R650 "big"' } } },
      { id: 'c3', osId: 'windows', osVersion: '10.0', hwModel: '', labels: { role: 'db' }, facts: { os: { build: '', version: '' }, hardware: { model: 42 } } },
      { id: 'c4', osId: '', osVersion: '', hwModel: 'Ü\\n', labels: { role: 'a\tb' }, facts: { os: { build: 19045 } } },
    ];
    await kit.db.insert(hosts).values(rows.map((r) => ({ ...r, hostname: r.id, enrolledAt: new Date(T0) })));
    const got = resultRows<{ id: string; cls: string }>(await kit.db.execute(sql`select h.id, ${hostClassSql('h')} as cls from hosts h order by h.id`));
    expect(got).toEqual(rows.map((r) => ({ id: r.id, cls: hostClassOf(assignableHost(r)) })));
  });
});
