/**
 * Install KPIs from rollout_hosts (written by rollout/): mean time to patch
 * by priority tier, install success rate and rollback rate. One statement
 * each, over the rows of both periods, grouped in SQL.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index';
import { resultRows } from '../catalog/rows/sync-rows';
import { TIERS, type Tier } from '../scoring/sla';
import { DAY_MS, rate, ts, type KpiPeriods, type Trend } from './period';

/** Mean time to patch over the installs of one period (and one tier). */
export interface Mttp {
  /** Mean of (install time - start) in days; null when nothing was installed. */
  meanDays: number | null;
  /** Installs the mean is over. */
  installs: number;
}

export type MttpByTier = Record<Tier | 'all', Trend<Mttp>>;

/**
 * Mean time to patch (MTTP), per tier and over all installs.
 *
 * Over the rollout hosts whose install succeeded in the period
 * (`installed_at` in it, whatever happened after: a rolled-back host was
 * patched first), the mean of `installed_at - start` in days, where start is
 * the later of the rollout's release date (`rollouts.released_at`: the
 * catalog's publication of its patches, or the release an admin gave) and
 * the host's enrollment (a host enrolled later could not be patched sooner).
 * The tier is the one the host was taken into the rollout with
 * (`rollout_hosts.tier`: the most urgent of the patches it was missing);
 * rollouts of explicit package versions have none and count only in `all`.
 */
export async function mttpByTier(db: Db, p: KpiPeriods): Promise<MttpByTier> {
  const rows = resultRows<{ tier: string | null; every: number; cur: boolean; n: number; mean_ms: number | null }>(
    await db.execute(sql`select tier, grouping(tier)::int as every, cur, count(*)::int as n, avg(ms)::float8 as mean_ms
      from (
        select rh.tier, rh.installed_at >= ${ts(p.current.from)} as cur,
          greatest(0, extract(epoch from rh.installed_at - greatest(r.released_at, h.enrolled_at)) * 1000) as ms
        from rollout_hosts rh
        join rollouts r on r.id = rh.rollout_id
        join hosts h on h.id = rh.host_id
        where rh.installed_at >= ${ts(p.previous.from)} and rh.installed_at < ${ts(p.current.to)}
      ) i
      group by grouping sets ((tier, cur), (cur))`),
  );
  const empty = (): Trend<Mttp> => ({ current: { meanDays: null, installs: 0 }, previous: { meanDays: null, installs: 0 } });
  const out = Object.fromEntries([...TIERS, 'all'].map((t) => [t, empty()])) as MttpByTier;
  for (const r of rows) {
    const key = Number(r.every) === 1 ? 'all' : r.tier;
    if (key === null || !(key in out)) continue; // untiered installs count only in "all"
    out[key as Tier | 'all'][r.cur ? 'current' : 'previous'] = { meanDays: r.mean_ms === null ? null : Number(r.mean_ms) / DAY_MS, installs: Number(r.n) };
  }
  return out;
}

/** Install outcomes of one period. */
export interface InstallOutcomes {
  /** succeeded / (succeeded + failed); null when no install finished. */
  successRate: number | null;
  succeeded: number;
  failed: number;
  /** rolledBack / succeeded; null when nothing was installed. */
  rollbackRate: number | null;
  rolledBack: number;
}

/**
 * Install success rate and rollback rate, from each rollout host's outcome.
 *
 * - succeeded: rollout hosts whose install succeeded in the period
 *   (`installed_at` in it), including those rolled back since;
 * - failed: rollout hosts in state `failed` that never installed, whose
 *   failure (`state_at`) falls in the period;
 * - success rate = succeeded / (succeeded + failed);
 * - rolled back: of the succeeded ones, those now rolling back, rolled back
 *   or whose rollback failed (a rollback was ordered: the install harmed or
 *   was judged to harm); rollback rate = rolled back / succeeded.
 *
 * A host that failed and then succeeded on a retry counts once, as succeeded
 * (the row holds its last outcome).
 */
export async function installOutcomes(db: Db, p: KpiPeriods): Promise<Trend<InstallOutcomes>> {
  const [from, mid, to] = [ts(p.previous.from), ts(p.current.from), ts(p.current.to)];
  const inPeriod = (col: string, lo: ReturnType<typeof ts>, hi: ReturnType<typeof ts>) => sql`${sql.raw(col)} >= ${lo} and ${sql.raw(col)} < ${hi}`;
  const rolledBack = sql`rh.state in ('rolling-back', 'rolled-back', 'rollback-failed')`;
  const failed = sql`rh.installed_at is null and rh.state = 'failed'`;
  const [r] = resultRows<Record<string, number>>(
    await db.execute(sql`select
        count(*) filter (where ${inPeriod('rh.installed_at', mid, to)})::int as ok_cur,
        count(*) filter (where ${inPeriod('rh.installed_at', from, mid)})::int as ok_prev,
        count(*) filter (where ${inPeriod('rh.installed_at', mid, to)} and ${rolledBack})::int as rb_cur,
        count(*) filter (where ${inPeriod('rh.installed_at', from, mid)} and ${rolledBack})::int as rb_prev,
        count(*) filter (where ${failed} and ${inPeriod('rh.state_at', mid, to)})::int as fail_cur,
        count(*) filter (where ${failed} and ${inPeriod('rh.state_at', from, mid)})::int as fail_prev
      from rollout_hosts rh
      where ${inPeriod('rh.installed_at', from, to)} or (${failed} and ${inPeriod('rh.state_at', from, to)})`),
  );
  const of = (ok: number, fail: number, rb: number): InstallOutcomes => ({ successRate: rate(ok, ok + fail), succeeded: ok, failed: fail, rollbackRate: rate(rb, ok), rolledBack: rb });
  return {
    current: of(Number(r?.ok_cur ?? 0), Number(r?.fail_cur ?? 0), Number(r?.rb_cur ?? 0)),
    previous: of(Number(r?.ok_prev ?? 0), Number(r?.fail_prev ?? 0), Number(r?.rb_prev ?? 0)),
  };
}
