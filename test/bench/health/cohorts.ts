/**
 * The planner's cohort evaluation at fleet scale: `hosts` hosts in 12
 * classes (3 OS builds x 2 models x 2 roles), one rollout that patched 1 %
 * of them 48 h ago, 9 % 24 h ago and 40 % 6 h ago (the rest pending:
 * controls), hourly roll-ups for 72 hours and raw 5-minute samples for the
 * hours a window starts or ends in (the last 3 hours and the hours of the
 * installs). Then it times what one planner round does for the rollout's
 * gates: measure every class cohort (safety/cohorts.ts, one set-based
 * statement) and judge each (safety/stats evaluateCohort), several times;
 * the goal is <= 1 s on PostgreSQL. Called by `pnpm bench:health --cohorts`
 * (test/bench/health/main.ts).
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import type { Db } from '@patchfleet/controller/src/db/index';
import { rebuildDailyRollup } from '@patchfleet/controller/src/health/rollup';
import { measureCohorts } from '@patchfleet/controller/src/safety/cohorts';
import { evaluateCohort } from '@patchfleet/controller/src/safety/stats/evaluate';

const HOUR = 3_600_000;

export async function benchCohorts(opts: { db: Db; log: (line: string) => void; hosts: number; rounds?: number }): Promise<Record<string, unknown>> {
  const { db, log } = opts;
  const n = opts.hosts;
  const now = Math.floor(Date.now() / HOUR) * HOUR + 40 * 60_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const rolloutId = `ro_bench_${now}`;
  const t0 = performance.now();
  log(`cohorts: seeding ${n} hosts in 12 classes`);
  await db.execute(sql`
    insert into hosts (id, hostname, enrolled_at, os_id, os_version, hw_model, labels, facts)
    select 'cb_' || i, 'cb-' || i, ${iso(now - 30 * 24 * HOUR)}::timestamptz, 'benchos', '24.04', 'M' || (i % 2),
      jsonb_build_object('role', case when (i / 2) % 2 = 0 then 'web' else 'db' end),
      jsonb_build_object('os', jsonb_build_object('id', 'benchos', 'version', '24.04', 'build', '6.8.0-' || ((i / 4) % 3)), 'hardware', jsonb_build_object('model', 'M' || (i % 2)))
    from generate_series(1, ${n}) i`);
  await db.execute(sql`
    insert into rollouts (id, name, content, state, expedite, released_at, created_by, created_at, updated_at)
    values (${rolloutId}, 'bench', '{"patches":[],"packages":[{"name":"benchpkg","version":"2.0"}]}'::jsonb, 'active', false, ${iso(now - 3 * 24 * HOUR)}::timestamptz, 'bench', ${iso(now - 3 * 24 * HOUR)}::timestamptz, ${iso(now)}::timestamptz)`);
  // Wave by hash bucket: 1 % at -48 h, 9 % at -24 h, 40 % at -6 h, the rest pending.
  await db.execute(sql`
    insert into rollout_hosts (rollout_id, host_id, ring_id, state, state_at, installed_at)
    select ${rolloutId}, 'cb_' || i, 'rg_bench',
      case when i % 100 < 50 then 'succeeded' else 'pending' end, ${iso(now)}::timestamptz,
      case when i % 100 = 0 then ${iso(now - 48 * HOUR - 17 * 60_000)}::timestamptz
           when i % 100 < 10 then ${iso(now - 24 * HOUR - 23 * 60_000)}::timestamptz
           when i % 100 < 50 then ${iso(now - 6 * HOUR - 11 * 60_000)}::timestamptz end
    from generate_series(1, ${n}) i`);
  log('cohorts: seeding 72 hours of hourly roll-ups');
  const firstHour = Math.floor(now / HOUR) * HOUR - 72 * HOUR;
  await db.execute(sql`
    insert into health_hourly (host_id, hour, samples, covered_sec, app_crashes, kernel_crashes, service_failures, unexpected_shutdowns, probe_failures, probe_runs, boot_ids)
    select 'cb_' || i, ${iso(firstHour)}::timestamptz + h * interval '1 hour', 12, 3600,
      (hashtext(i::text || '/' || h) & 255 = 0)::int, 0, (hashtext(h::text || '/' || i) & 511 = 0)::int, 0, 0, 12, array['b']
    from generate_series(1, ${n}) i, generate_series(0, 71) h`);
  await rebuildDailyRollup(db);
  log('cohorts: seeding raw 5-minute samples for the last 3 hours and the install hours');
  const rawHours = [now - 2 * HOUR, now - HOUR, now, now - 48 * HOUR - HOUR, now - 24 * HOUR - HOUR, now - 6 * HOUR - HOUR].map((t) => Math.floor(t / HOUR) * HOUR);
  for (const start of rawHours) {
    await db.execute(sql`
      insert into health_samples (host_id, epoch, seq, period_start, period_end, boot_id, uptime_sec, app_crashes, kernel_crashes, service_failures, unexpected_shutdowns, probe_failures, probe_runs, unavailable, events, received_at)
      select 'cb_' || i, 'bench', (${start / 1000}::bigint + k * 300), ${iso(start)}::timestamptz + k * interval '5 minutes', ${iso(start)}::timestamptz + (k + 1) * interval '5 minutes',
        'b', 1000, (hashtext(i::text || ':' || k) & 1023 = 0)::int, 0, 0, 0, 0, 1, '{}', '[]', ${iso(start)}::timestamptz + (k + 1) * interval '5 minutes'
      from generate_series(1, ${n}) i, generate_series(0, 11) k
      where ${iso(start)}::timestamptz + k * interval '5 minutes' < ${iso(now)}::timestamptz`);
  }
  await db.execute(sql`analyze hosts`);
  await db.execute(sql`analyze rollout_hosts`);
  // Vacuumed as autovacuum leaves a settled table: the visibility map lets the cohort sums run as index-only scans.
  await db.execute(sql`vacuum analyze health_hourly`);
  await db.execute(sql`vacuum analyze health_samples`);
  const seedSec = (performance.now() - t0) / 1000;
  log(`cohorts: seeded in ${seedSec.toFixed(1)} s; timing one planner round's gates`);

  const rollout = { id: rolloutId, content: { patches: [], packages: [{ name: 'benchpkg', version: '2.0' }] } };
  const times: number[] = [];
  let classes = 0;
  let tripped = 0;
  let sample: unknown;
  for (let r = 0; r < (opts.rounds ?? 5); r++) {
    const start = performance.now();
    const cohorts = await db.transaction((tx) => measureCohorts(tx, rollout, { now, realNow: now, speed: 1 }));
    const verdicts = cohorts.map((c) => evaluateCohort(c.evidence, { alpha: 0.01 }));
    times.push(performance.now() - start);
    classes = cohorts.length;
    tripped = verdicts.filter((v) => v.tripped).length;
    sample = cohorts[0]?.evidence;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const result = {
    goal: '<= 1 s per planner round (every cohort of the fleet)',
    hosts: n,
    classes,
    patchedHosts: Math.floor(n / 2),
    hourlyRows: n * 72,
    tripped,
    roundMs: { first: Math.round(times[0] ?? 0), median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0), max: Math.round(sorted.at(-1) ?? 0) },
    seedSec: Math.round(seedSec),
    exampleEvidence: sample,
  };
  log(`cohorts: ${JSON.stringify({ ...result, exampleEvidence: undefined })}`);
  return result;
}
