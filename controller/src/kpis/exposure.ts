/**
 * Patch-state KPIs: the share of hosts within SLA and critical/high
 * exposure-days. Read from host_patch_summary and host_patch_state (assess/,
 * the present) and rollout_hosts (rollout/, what rollouts fixed and when),
 * one statement each.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index';
import { resultRows } from '../catalog/rows/sync-rows';
import { patchReleaseSql } from './patch-release-sql';
import { rate, ts, type KpiPeriods, type Trend } from './period';

/** Hosts within SLA at one instant. */
export interface SlaShare {
  /** within / hosts; null when no host is assessed. */
  share: number | null;
  within: number;
  hosts: number;
}

/**
 * Share of hosts within SLA: of the active hosts the assessment has rows for
 * (host_patch_summary; a host no advisory source covers has none and is left
 * out: its state is unknown, not good), those with no overdue missing patch:
 * none whose deadline (`due_by`: the tier's SLA from release, or the KEV due
 * date) has passed, i.e. whose earliest deadline (`first_due_by`) is not
 * past. `current` is at now; `previous` at the start of the current period,
 * rebuilt from what is recorded: the patches still missing whose deadline
 * had passed by then, and the patches a rollout installed after then whose
 * deadline had passed by then (`rollout_hosts.due_by`), over the hosts
 * enrolled by then. Patches installed outside a rollout leave no date and
 * count as never missing then: `previous` can be too good, never too bad.
 */
export async function slaShare(db: Db, p: KpiPeriods): Promise<Trend<SlaShare>> {
  const now = ts(p.now);
  const then = ts(p.current.from);
  const [r] = resultRows<Record<string, number>>(
    await db.execute(sql`select
        count(*)::int as hosts_cur,
        count(*) filter (where s.first_due_by is null or s.first_due_by >= ${now})::int as within_cur,
        count(*) filter (where h.enrolled_at <= ${then})::int as hosts_prev,
        count(*) filter (where h.enrolled_at <= ${then} and (s.first_due_by is null or s.first_due_by >= ${then}) and late.host_id is null)::int as within_prev
      from host_patch_summary s
      join hosts h on h.id = s.host_id
      left join (select distinct host_id from rollout_hosts where installed_at >= ${then} and due_by < ${then}) late on late.host_id = s.host_id
      where h.status = 'active'`),
  );
  const of = (within: number, hosts: number): SlaShare => ({ share: rate(within, hosts), within, hosts });
  return { current: of(Number(r?.within_cur ?? 0), Number(r?.hosts_cur ?? 0)), previous: of(Number(r?.within_prev ?? 0), Number(r?.hosts_prev ?? 0)) };
}

/** Critical/high exposure accrued in one period. */
export interface Exposure {
  /** Host-days: summed over (host, patch) pairs, the days of the period the patch was missing. */
  hostDays: number;
}

/**
 * Exposure-days: the days critical or high patches were missing, summed over
 * hosts, accrued within each period. Each exposure runs from the later of
 * the patch's release and the host's enrollment to its end, clipped to the
 * period:
 * - a patch the host still misses (host_patch_state, tier critical or high
 *   now) runs to now; its release is the catalog's (patch-release-sql.ts),
 *   or the enrollment when the catalog has no date;
 * - a patch a rollout installed and kept (rollout host `succeeded` or
 *   `rollback-failed`, tier critical or high) runs from the rollout's release
 *   date to `installed_at`, counted once per rollout host (a rollout's
 *   patches reach a host in one install). Rolled-back hosts are left to the
 *   first case: the patch is missing again and counts from its release.
 * Patches installed outside a rollout leave no date and add nothing.
 */
export async function exposureDays(db: Db, p: KpiPeriods): Promise<Trend<Exposure>> {
  const [from, mid, to] = [ts(p.previous.from), ts(p.current.from), ts(p.current.to)];
  const overlap = (lo: ReturnType<typeof ts>, hi: ReturnType<typeof ts>) => sql`greatest(0, extract(epoch from least(e.ends, ${hi}) - greatest(e.starts, ${lo})))`;
  const [r] = resultRows<{ cur: number | null; prev: number | null }>(
    // `released` is materialized: inlined, its catalog lookups ran once per missing row instead of once per patch.
    await db.execute(sql`with released as materialized (
        select p.patch_id, ${patchReleaseSql('p.patch_id')} as at
        from (select distinct patch_id from host_patch_state where status = 'missing' and tier in ('critical', 'high')) p
      )
      select (sum(${overlap(mid, to)}) / 86400)::float8 as cur, (sum(${overlap(from, mid)}) / 86400)::float8 as prev
      from (
        select greatest(coalesce(rel.at, h.enrolled_at), h.enrolled_at) as starts, ${to} as ends
        from host_patch_state m join released rel on rel.patch_id = m.patch_id join hosts h on h.id = m.host_id
        where m.status = 'missing' and m.tier in ('critical', 'high') and h.status = 'active'
        union all
        select greatest(r.released_at, h.enrolled_at), rh.installed_at
        from rollout_hosts rh join rollouts r on r.id = rh.rollout_id join hosts h on h.id = rh.host_id
        where rh.tier in ('critical', 'high') and rh.state in ('succeeded', 'rollback-failed') and rh.installed_at >= ${from} and h.status = 'active'
      ) e
      where e.ends > ${from} and e.starts < ${to}`),
  );
  return { current: { hostDays: Number(r?.cur ?? 0) }, previous: { hostDays: Number(r?.prev ?? 0) } };
}
