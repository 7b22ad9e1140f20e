/**
 * Hourly and daily health roll-ups (owner of `health_hourly` and `health_daily`): per host and UTC hour
 * (the hour the sample's interval starts in), the number of samples, the
 * sampled seconds (capped at 3600) and the counters summed, a counter whose
 * source was unavailable (null) adding 0, and the boot ids seen.
 *
 * Incremental: only hours holding a sample received since the last run are
 * recomputed, from all their samples (so a re-run or a resent sample changes
 * nothing), and then the UTC days of those hours from their hourly rows. The watermark is the newest `received_at` rolled up, kept in
 * controller_settings; it comes from the stored rows, never from the
 * caller's clock, so a planner on a virtual clock cannot skip samples.
 *
 * What health_hourly cannot say: for how many of `coveredSec` seconds each
 * counter's source was available (it has no per-counter seconds). A reader
 * that must tell "0 crashes" from "crashes not readable" reads
 * `availableSeconds` below, which computes it from the raw samples.
 */
import { sql, type SQL } from 'drizzle-orm';
import { repeatOnClock, type Clock, type ClockSchedule } from '@patchfleet/shared';
import cron, { type ScheduledTask } from 'node-cron';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db, Tx } from '../db/index';
import { JobLocks, runAsLeader } from '../jobs/leader';
import type { Logger } from '../logger';
import { getRollupWatermark, setRollupWatermark } from './settings';

/**
 * Samples received up to this long before the watermark are rolled up
 * again: a frame whose transaction committed after a later one (received_at
 * is taken before the insert) is not missed.
 */
export const ROLLUP_OVERLAP_MS = 60_000;

export interface RollupResult {
  /** (host, hour) rows written. */
  hours: number;
  watermark: Date | undefined;
}

/**
 * Rolls up every hour that gained samples since the last run. Cheap when
 * nothing changed (one probe for a sample newer than the watermark). Takes
 * a transaction from the planner, or the database from the leader job.
 */
export async function rollupHealth(db: Db | Tx, now: Date): Promise<RollupResult> {
  const mark = await getRollupWatermark(db);
  if (mark) {
    const fresh = resultRows<{ one: number }>(await db.execute(sql`select 1 as one from health_samples where received_at > ${mark.toISOString()}::timestamptz limit 1`));
    if (fresh.length === 0) return { hours: 0, watermark: mark };
  }
  const since = new Date((mark?.getTime() ?? 0) - ROLLUP_OVERLAP_MS).toISOString();
  const rows = resultRows<{ mark: string | Date | null; n: number; days: unknown }>(
    await db.execute(sql`
      with touched as (
        select host_id, date_trunc('hour', period_start, 'UTC') as hour, max(received_at) as received
        from health_samples where received_at > ${since}::timestamptz
        group by 1, 2
      ), agg as (
        select t.host_id, t.hour,
               count(*)::int as samples,
               least(3600, round(sum(extract(epoch from (s.period_end - s.period_start)))))::int as covered_sec,
               coalesce(sum(s.app_crashes), 0)::int as app_crashes,
               coalesce(sum(s.kernel_crashes), 0)::int as kernel_crashes,
               coalesce(sum(s.service_failures), 0)::int as service_failures,
               coalesce(sum(s.unexpected_shutdowns), 0)::int as unexpected_shutdowns,
               coalesce(sum(s.probe_failures), 0)::int as probe_failures,
               coalesce(sum(s.probe_runs), 0)::int as probe_runs,
               coalesce(array_agg(distinct s.boot_id) filter (where s.boot_id <> ''), '{}') as boot_ids
        from touched t
        join health_samples s on s.host_id = t.host_id and s.period_start >= t.hour and s.period_start < t.hour + interval '1 hour'
        group by t.host_id, t.hour
      ), up as (
        insert into health_hourly (host_id, hour, samples, covered_sec, app_crashes, kernel_crashes, service_failures, unexpected_shutdowns, probe_failures, probe_runs, boot_ids)
        select host_id, hour, samples, covered_sec, app_crashes, kernel_crashes, service_failures, unexpected_shutdowns, probe_failures, probe_runs, boot_ids from agg
        on conflict (host_id, hour) do update set
          samples = excluded.samples, covered_sec = excluded.covered_sec, app_crashes = excluded.app_crashes, kernel_crashes = excluded.kernel_crashes,
          service_failures = excluded.service_failures, unexpected_shutdowns = excluded.unexpected_shutdowns, probe_failures = excluded.probe_failures,
          probe_runs = excluded.probe_runs, boot_ids = excluded.boot_ids
        returning 1
      )
      select (select max(received) from touched) as mark, (select count(*) from up)::int as n,
        (select coalesce(jsonb_agg(distinct jsonb_build_object('host', host_id, 'day', date_trunc('day', hour, 'UTC'))), '[]'::jsonb) from touched) as days`),
  );
  // The days of those hours, from their hourly rows (the statement above cannot see its own upserts).
  const days = JSON.stringify(rows[0]?.days ?? []);
  if (days !== '[]') await upsertDays(db, sql`select host, day from jsonb_to_recordset(${days}::jsonb) as d(host text, day timestamptz)`);
  const newest = rows[0]?.mark ? new Date(rows[0].mark) : undefined;
  const watermark = newest && (!mark || newest > mark) ? newest : mark;
  if (watermark && watermark !== mark) await setRollupWatermark(db, watermark, now);
  return { hours: Number(rows[0]?.n ?? 0), watermark };
}

/**
 * Recomputes every health_daily row from health_hourly (what migration 0011 did on upgrade): for tests and
 * benchmarks that write hourly rows directly, and for repairs. {@link rollupHealth} keeps the days current.
 */
export async function rebuildDailyRollup(db: Db | Tx): Promise<void> {
  await db.execute(sql`delete from health_daily`);
  await upsertDays(db, sql`select distinct host_id, date_trunc('day', hour, 'UTC') from health_hourly`);
}

/** Writes the health_daily rows of the (host, UTC day) pairs `days` selects, each the sum of that day's hourly rows. */
async function upsertDays(db: Db | Tx, days: SQL): Promise<void> {
  await db.execute(sql`
    insert into health_daily (host_id, day, samples, covered_sec, app_crashes, kernel_crashes, service_failures, unexpected_shutdowns, probe_failures, probe_runs)
    select d.host_id, d.day, sum(hh.samples)::int, sum(hh.covered_sec)::int, sum(hh.app_crashes)::int, sum(hh.kernel_crashes)::int, sum(hh.service_failures)::int,
           sum(hh.unexpected_shutdowns)::int, sum(hh.probe_failures)::int, sum(hh.probe_runs)::int
    from (${days}) as d(host_id, day)
    join health_hourly hh on hh.host_id = d.host_id and hh.hour >= d.day and hh.hour < d.day + interval '1 day'
    group by d.host_id, d.day
    on conflict (host_id, day) do update set
      samples = excluded.samples, covered_sec = excluded.covered_sec, app_crashes = excluded.app_crashes, kernel_crashes = excluded.kernel_crashes,
      service_failures = excluded.service_failures, unexpected_shutdowns = excluded.unexpected_shutdowns, probe_failures = excluded.probe_failures,
      probe_runs = excluded.probe_runs`);
}

/** Seconds each counter's source was available, per host, over [from, to) (from raw samples; health_hourly does not hold it). */
export async function availableSeconds(db: Db | Tx, hostIds: readonly string[], from: Date, to: Date): Promise<Map<string, Record<'sampled' | 'appCrashes' | 'kernelCrashes' | 'serviceFailures' | 'unexpectedShutdowns' | 'probeRuns', number>>> {
  const out = new Map<string, Record<'sampled' | 'appCrashes' | 'kernelCrashes' | 'serviceFailures' | 'unexpectedShutdowns' | 'probeRuns', number>>();
  if (hostIds.length === 0) return out;
  const rows = resultRows<{ host_id: string; sampled: number; ac: number; kc: number; sf: number; us: number; pr: number }>(
    await db.execute(sql`
      select host_id,
             coalesce(sum(d), 0)::float8 as sampled,
             coalesce(sum(d) filter (where app_crashes is not null), 0)::float8 as ac,
             coalesce(sum(d) filter (where kernel_crashes is not null), 0)::float8 as kc,
             coalesce(sum(d) filter (where service_failures is not null), 0)::float8 as sf,
             coalesce(sum(d) filter (where unexpected_shutdowns is not null), 0)::float8 as us,
             coalesce(sum(d) filter (where probe_runs is not null), 0)::float8 as pr
      from (select host_id, app_crashes, kernel_crashes, service_failures, unexpected_shutdowns, probe_runs, extract(epoch from (period_end - period_start)) as d
            from health_samples
            where host_id in (select jsonb_array_elements_text(${JSON.stringify(hostIds)}::jsonb))
              and period_start >= ${from.toISOString()}::timestamptz and period_start < ${to.toISOString()}::timestamptz) x
      group by host_id`),
  );
  for (const r of rows) out.set(r.host_id, { sampled: Number(r.sampled), appCrashes: Number(r.ac), kernelCrashes: Number(r.kc), serviceFailures: Number(r.sf), unexpectedShutdowns: Number(r.us), probeRuns: Number(r.pr) });
  return out;
}

/** One round as the leader job: under JobLocks.healthRollup, so one replica rolls up at a time. */
export async function rollupHealthAsLeader(db: Db, now: Date): Promise<{ ran: boolean; result?: RollupResult }> {
  const r = await runAsLeader(db, JobLocks.healthRollup, (tx) => rollupHealth(tx, now));
  return r.ran ? { ran: true, result: r.value } : { ran: false };
}

/**
 * Runs the roll-up every five minutes (node-cron triggers; the clock gives
 * `now`), or on the clock itself when `schedule` is a {@link ClockSchedule}
 * (simulation mode); stop() waits for a running round.
 */
export function startHealthRollup(deps: { db: Db; clock: Clock; log: Logger }, schedule: string | ClockSchedule = '*/5 * * * *'): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const round = (): Promise<void> => {
    running = running
      .then(() => rollupHealthAsLeader(deps.db, new Date(deps.clock.now())))
      .then((r) => {
        if (r.result && r.result.hours > 0) deps.log.info({ hours: r.result.hours, watermark: r.result.watermark?.toISOString() }, 'health roll-up');
      })
      .catch((err: unknown) => deps.log.warn({ err }, 'health roll-up failed; retried next round'));
    return running;
  };
  if (typeof schedule !== 'string') {
    const repeat = repeatOnClock(deps.clock, { label: 'health roll-up', ...schedule }, round);
    return {
      async stop() {
        repeat.stop();
        await running;
      },
    };
  }
  const task: ScheduledTask = cron.schedule(schedule, () => void round(), { name: 'health-rollup', noOverlap: true });
  return {
    async stop() {
      await task.stop();
      await running;
    },
  };
}
