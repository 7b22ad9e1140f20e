/**
 * Health retention: deletes raw samples that ended more than
 * `health.retentionDays` ago and hourly roll-ups older than
 * max(retentionDays, 90) days (daily roll-ups whose whole day is that old), in bounded batches (each its own short
 * transaction under JobLocks.healthRetention, so one replica prunes and a
 * large backlog never holds one long lock). The count is audited.
 *
 * The only delete from `health_samples` (sample-store.ts writes it),
 * `health_hourly` and `health_daily` (rollup.ts writes them).
 */
import { sql } from 'drizzle-orm';
import { repeatOnClock, type Clock, type ClockSchedule } from '@patchfleet/shared';
import cron, { type ScheduledTask } from 'node-cron';
import { audit } from '../audit/audit';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db } from '../db/index';
import { JobLocks, runAsLeader } from '../jobs/leader';
import type { Logger } from '../logger';
import { getHealthSettings, MIN_HOURLY_RETENTION_DAYS } from './settings';

const DAY_MS = 86_400_000;
export const RETENTION_BATCH_ROWS = 10_000;

export interface HealthPruneResult {
  ran: boolean;
  samplesDeleted: number;
  hourlyDeleted: number;
  dailyDeleted: number;
  samplesBefore: Date;
  hourlyBefore: Date;
}

/** Deletes old samples and roll-ups; `retentionDays` defaults to the stored setting. */
export async function pruneHealth(db: Db, now: Date, opts: { retentionDays?: number; batchRows?: number } = {}): Promise<HealthPruneResult> {
  const retentionDays = opts.retentionDays ?? (await getHealthSettings(db)).retentionDays;
  const batch = opts.batchRows ?? RETENTION_BATCH_ROWS;
  const samplesBefore = new Date(now.getTime() - retentionDays * DAY_MS);
  const hourlyBefore = new Date(now.getTime() - Math.max(retentionDays, MIN_HOURLY_RETENTION_DAYS) * DAY_MS);
  const out: HealthPruneResult = { ran: false, samplesDeleted: 0, hourlyDeleted: 0, dailyDeleted: 0, samplesBefore, hourlyBefore };
  const conditions = {
    health_samples: sql`period_end < ${samplesBefore.toISOString()}::timestamptz`,
    health_hourly: sql`hour < ${hourlyBefore.toISOString()}::timestamptz`,
    health_daily: sql`day + interval '1 day' <= ${hourlyBefore.toISOString()}::timestamptz`,
  };
  const deleteBatch = async (table: keyof typeof conditions): Promise<number | undefined> => {
    const r = await runAsLeader(db, JobLocks.healthRetention, async (tx) => {
      const cond = conditions[table];
      const rows = resultRows<{ n: number }>(
        await tx.execute(sql`with gone as (delete from ${sql.identifier(table)} where ctid = any(array(select ctid from ${sql.identifier(table)} where ${cond} limit ${batch})) returning 1) select count(*)::int as n from gone`),
      );
      return Number(rows[0]?.n ?? 0);
    });
    return r.ran ? r.value : undefined;
  };
  for (const table of ['health_samples', 'health_hourly', 'health_daily'] as const) {
    for (;;) {
      const n = await deleteBatch(table);
      if (n === undefined) return out; // another replica is pruning
      out.ran = true;
      if (table === 'health_samples') out.samplesDeleted += n;
      else if (table === 'health_hourly') out.hourlyDeleted += n;
      else out.dailyDeleted += n;
      if (n < batch) break;
    }
  }
  if (out.samplesDeleted + out.hourlyDeleted + out.dailyDeleted > 0) {
    await audit(db, now, {
      actor: 'system',
      action: 'health.retention',
      targetType: 'health-samples',
      targetId: 'health_samples',
      details: { samplesDeleted: out.samplesDeleted, hourlyDeleted: out.hourlyDeleted, dailyDeleted: out.dailyDeleted, samplesBefore: samplesBefore.toISOString(), hourlyBefore: hourlyBefore.toISOString(), retentionDays },
    });
  }
  return out;
}

/**
 * Prunes once a day (node-cron triggers at 03:17; the clock gives `now`), or
 * on the clock itself when `schedule` is a {@link ClockSchedule} (simulation
 * mode); stop() waits for a running round.
 */
export function startHealthRetention(deps: { db: Db; clock: Clock; log: Logger }, schedule: string | ClockSchedule = '17 3 * * *'): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const round = (): Promise<void> => {
    running = running
      .then(() => pruneHealth(deps.db, new Date(deps.clock.now())))
      .then((r) => {
        if (r.samplesDeleted + r.hourlyDeleted > 0) deps.log.info({ samplesDeleted: r.samplesDeleted, hourlyDeleted: r.hourlyDeleted }, 'health retention deleted old samples');
      })
      .catch((err: unknown) => deps.log.warn({ err }, 'health retention failed; retried next round'));
    return running;
  };
  if (typeof schedule !== 'string') {
    const repeat = repeatOnClock(deps.clock, { label: 'health retention', ...schedule }, round);
    return {
      async stop() {
        repeat.stop();
        await running;
      },
    };
  }
  const task: ScheduledTask = cron.schedule(schedule, () => void round(), { name: 'health-retention', noOverlap: true });
  return {
    async stop() {
      await task.stop();
      await running;
    },
  };
}
