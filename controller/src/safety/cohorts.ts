/**
 * Cohorts: for one live rollout, per host class among its patched hosts,
 * the patched hosts since their install against controls (active hosts of
 * the class this rollout has not patched) over the same hours, in online
 * host-hours, both sides split by UTC day (the count gates weigh each day
 * with its own exposure ratio, so an outage on a day when most hosts are
 * patched is no evidence); before/after on the same hosts (totals only)
 * when the class has no controls with health data. One set-based statement
 * per rollout (GROUP BY class, side and day), never a query per host.
 *
 * Patch ids: a rollout installs its content as one unit, so every patch of
 * it shares one cohort per class (the evidence cannot tell them apart); a
 * package-only rollout's ids are `pkg:NAME=VERSION` (cohortPatchIds).
 *
 * Time: health samples carry wall-clock times, installs the rollout clock;
 * an install time is moved to the wall clock with the rollout clock's speed
 * (wall = realNow - (now - installedAt) / speed: the identity in production).
 *
 * Precision and bounded work: whole UTC days come from health_daily, the
 * whole hours of the partial days at a window's ends from health_hourly, the
 * partial hour at a window's start and the recent hours (the last whole hour
 * may not be rolled up yet: ROLLUP_LAG_MS) from raw health_samples, each
 * through the (host_id, period_start) index over at most about two hours per
 * host. So a window costs at most about 48 hourly rows and a row a day, not
 * a row an hour (a control's window is as long as the class's first install
 * is old, which made every planner round of a three-week rollout slower
 * than the last). A class with more than `maxHostsPerSide` hosts on one side is
 * measured on a deterministic hash sample of that side (the test compares
 * rates; beyond a few thousand hosts more exposure adds no power). Raw
 * samples count a signal's exposure only where its counter is not null
 * (source available); the hourly roll-up has no per-signal availability, so
 * there the covered time counts for every signal.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../db/index';
import { resultRows } from '../catalog/rows/sync-rows';
import { installTriedSql, type RolloutContent } from '../db/schema/index';
import { COUNT_SIGNALS, type CohortEvidence, type CountEvidence, type CountIncrement, type CountSignal, type OutcomeEvidence } from './gate-types';
import { hostClassSql } from './host-class';

const HOUR_MS = 3_600_000;
/** How long after an hour ends before its roll-up is trusted (raw samples cover it until then). */
export const ROLLUP_LAG_MS = 15 * 60_000;
/** Hosts measured per side and class (a hash sample beyond). */
export const MAX_HOSTS_PER_SIDE = 300;
/** Weak baselines when a class has little history: install failures 1 in 100, boot failures 0 in 100. */
export const WEAK_INSTALL_BASELINE = { trials: 100, failures: 1 };
export const WEAK_BOOT_BASELINE = { trials: 100, failures: 0 };
const MIN_HISTORY_TRIALS = 20;
/** How far back other rollouts count toward a class's baseline. */
const HISTORY_DAYS = 180;

const COLUMN: Record<CountSignal, string> = {
  'app-crash': 'app_crashes',
  'kernel-crash': 'kernel_crashes',
  'service-failure': 'service_failures',
  'unexpected-shutdown': 'unexpected_shutdowns',
  'probe-failure': 'probe_failures',
};

/** The patch ids a rollout's cohorts and blocks are keyed by: its catalog patches, and `pkg:NAME=VERSION` per explicit package. */
export function cohortPatchIds(content: RolloutContent): string[] {
  return [...content.patches, ...content.packages.map((p) => `pkg:${p.name}=${p.version}`), ...(content.agentUpdate ? [`agent:${content.agentUpdate.version}`] : [])];
}

export interface CohortClock {
  /** Rollout clock (ms). */
  now: number;
  /** Wall clock (ms): health samples are on it. */
  realNow: number;
  /** Rollout clock speed (virtual ms per real ms). */
  speed: number;
}

/** One class's cohort and what the planner needs beside the evidence. */
export interface ClassCohort {
  hostClass: string;
  evidence: CohortEvidence;
  /** First install of the class on the wall clock (ms). */
  firstInstallWall: number;
}

/**
 * Measures every class cohort of rollout `rolloutId` (classes listed in
 * `skipClasses`, e.g. already blocked, are left out).
 */
export async function measureCohorts(
  tx: Tx,
  rollout: { id: string; content: RolloutContent },
  clock: CohortClock,
  opts: { skipClasses?: ReadonlySet<string>; maxHostsPerSide?: number } = {},
): Promise<ClassCohort[]> {
  const patchIds = cohortPatchIds(rollout.content);
  const cap = opts.maxHostsPerSide ?? MAX_HOSTS_PER_SIDE;
  const rows = resultRows<Row>(await tx.execute(cohortQuery(rollout.id, clock, cap)));
  const outcomes = outcomesOf(rows);
  const sides = sumSides(rows);
  // Controls that exist but sent no health data cannot be compared with: those classes are measured before/after too.
  const silent = [...sides.values()].filter((e) => e.controls > 0 && exposureOf(e.c) === 0 && !opts.skipClasses?.has(e.cls)).map((e) => e.cls);
  if (silent.length > 0) {
    const before = sumSides(resultRows<Row>(await tx.execute(cohortQuery(rollout.id, clock, cap, silent))));
    for (const cls of silent) {
      const e = sides.get(cls);
      if (e) e.b = before.get(cls)?.b;
    }
  }
  return assemble(rollout, patchIds, sides, outcomes, clock, opts.skipClasses);
}

/** A row of cohortQuery: one class, side and UTC day (day_ms null when the side had no data). */
type Row = Record<string, unknown> & { cls: string; side: 'p' | 'c' | 'b' };

/** Events (e) and covered seconds (s) per signal, of one side of a class. */
type SideSums = Record<string, number>;

interface ClassSides {
  cls: string;
  since: number;
  patched: number;
  controls: number;
  p?: SideSums;
  c?: SideSums;
  b?: SideSums;
  /** The patched and control sides per UTC day (ms): the count gates weigh each day with its own exposure ratio. */
  days: Map<number, { p?: SideSums; c?: SideSums }>;
}

/** Sums the day rows of cohortQuery per class and side, keeping the p and c sides per day. */
function sumSides(rows: readonly Row[]): Map<string, ClassSides> {
  const out = new Map<string, ClassSides>();
  for (const r of rows) {
    const e: ClassSides = out.get(r.cls) ?? { cls: r.cls, since: Number(r['since_ms']), patched: 0, controls: 0, days: new Map() };
    out.set(r.cls, e);
    if (r.side === 'p') e.patched = Number(r['hosts']);
    if (r.side === 'c') e.controls = Number(r['hosts']);
    const sums = signalSums(r);
    e[r.side] = addSums(e[r.side], sums);
    if (r.side !== 'b' && r['day_ms'] !== null && r['day_ms'] !== undefined) {
      const day = Number(r['day_ms']);
      const d: { p?: SideSums; c?: SideSums } = e.days.get(day) ?? {};
      d[r.side] = addSums(d[r.side], sums);
      e.days.set(day, d);
    }
  }
  return out;
}

function signalSums(r: Record<string, unknown>): SideSums {
  const out: SideSums = {};
  for (const s of COUNT_SIGNALS) {
    out[`${s}:e`] = Number(r[`${s}:e`] ?? 0);
    out[`${s}:s`] = Number(r[`${s}:s`] ?? 0);
  }
  return out;
}

function addSums(a: SideSums | undefined, b: SideSums): SideSums {
  if (!a) return { ...b };
  for (const k of Object.keys(b)) a[k] = (a[k] ?? 0) + (b[k] ?? 0);
  return a;
}

function exposureOf(row: SideSums | undefined): number {
  return COUNT_SIGNALS.reduce((a, s) => a + (row?.[`${s}:s`] ?? 0), 0);
}

/**
 * The one statement that measures the class cohorts of a rollout (exported
 * for EXPLAIN in the bench). Sides: 'p' patched since install, 'c' controls
 * over [first install of the class, now), 'b' the patched hosts over the
 * same length of time before their install: for classes with no unpatched
 * host, or for the classes in `beforeOnly` (then only 'b' is measured).
 * Each window's rows come from one LATERAL union (index range scans per
 * window and source: health_hourly and health_samples on the covering
 * indexes of migration 0010, health_daily on its key; `opts.daily: false`
 * sums every hour from health_hourly instead, for the equivalence test),
 * each with its UTC day, so the statement returns one row per class, side
 * and day (one row with a null day_ms for a side without data), ordered by
 * them. The host classes are
 * computed once (hca), for the cohorts and for the install and boot
 * outcomes of the classes (columns own_* and hist_*, see outcomeCounts;
 * left out when `beforeOnly` is given: the first pass has them).
 */
export function cohortQuery(rolloutId: string, clock: CohortClock, cap: number, beforeOnly?: readonly string[], opts: { daily?: boolean } = {}): SQL {
  const daily = opts.daily ?? true;
  const real = new Date(clock.realNow).toISOString();
  const now = new Date(clock.now).toISOString();
  const boundary = new Date(Math.floor((clock.realNow - ROLLUP_LAG_MS) / HOUR_MS) * HOUR_MS).toISOString();
  const cls = hostClassSql('h');
  // One row per source row of a window: its UTC day, and per signal its events (e_) and covered seconds (s_).
  // Summed per day inside each source, so a window hands up a row or two per source, not a row per hour.
  const hourlyCols = (src: string, day: string) => `${day} as dy, ` + COUNT_SIGNALS.map((s) => `sum(${src}.${COLUMN[s]})::float8 as e_${COLUMN[s]}, sum(${src}.covered_sec)::float8 as s_${COLUMN[s]}`).join(', ');
  const rawCols = `date_trunc('day', x.period_start, 'UTC') as dy, ` + COUNT_SIGNALS.map((s) => `sum(x.${COLUMN[s]})::float8 as e_${COLUMN[s]}, sum(case when x.${COLUMN[s]} is not null then extract(epoch from x.period_end - x.period_start) end)::float8 as s_${COLUMN[s]}`).join(', ');
  const total = COUNT_SIGNALS.map((s) => `sum(coalesce(u.e_${COLUMN[s]}, 0)) as "${s}:e", sum(coalesce(u.s_${COLUMN[s]}, 0)) as "${s}:s"`).join(', ');
  const before = beforeOnly ? sql`p_s.cls in (select jsonb_array_elements_text(${JSON.stringify(beforeOnly)}::jsonb))` : sql`not exists (select 1 from c_all where c_all.cls = p_s.cls)`;
  const measured = beforeOnly ? sql`false` : sql`true`;
  const historySince = new Date(clock.realNow - HISTORY_DAYS * 24 * HOUR_MS).toISOString();

  return sql`
      with hca as (
        select h.id, h.status, ${cls} as cls from hosts h
      ),
      hc as (select id, cls from hca where status = 'active'),
      p_all as (
        select rh.host_id, hc.cls,
          ${real}::timestamptz - (${now}::timestamptz - rh.installed_at) / ${clock.speed}::float8 as since
        from rollout_hosts rh join hc on hc.id = rh.host_id
        where rh.rollout_id = ${rolloutId} and rh.state = 'succeeded' and rh.installed_at is not null
      ),
      classes as (
        select cls, min(since) as since, count(*)::int as n from p_all group by cls
      ),
      c_all as (
        select hc.id as host_id, hc.cls from hc join classes k on k.cls = hc.cls
        where not exists (
          select 1 from rollout_hosts rh where rh.rollout_id = ${rolloutId} and rh.host_id = hc.id
            and (rh.installed_at is not null or rh.state not in ('pending', 'blocked', 'skipped')))
      ),
      c_n as (select cls, count(*)::int as n from c_all group by cls),
      p_s as (
        select host_id, cls, since from (select p.*, count(*) over (partition by cls) as n from p_all p) x
        where abs(hashtext(host_id)) % greatest(1, ceil(n / ${cap}::float8))::int = 0
      ),
      c_s as (
        select host_id, cls from (select c.*, count(*) over (partition by cls) as n from c_all c) x
        where abs(hashtext(host_id)) % greatest(1, ceil(n / ${cap}::float8))::int = 0
      ),
      w as (
        select host_id, cls, 'p' as side, since as f, ${real}::timestamptz as t from p_s where ${measured}
        union all
        select c.host_id, c.cls, 'c', k.since, ${real}::timestamptz from c_s c join classes k on k.cls = c.cls where ${measured}
        union all
        select host_id, cls, 'b', since - (${real}::timestamptz - since), since from p_s where ${before}
      ),
      wh as (
        select w.*,
          date_trunc('hour', f) + case when f = date_trunc('hour', f) then interval '0 hours' else interval '1 hour' end as h0,
          least(date_trunc('hour', t), ${boundary}::timestamptz) as h1
        from w where t > f
      ),
      wd as (
        select wh.*,
          case when ${daily ? sql`h0 >= h1` : sql`true`} then greatest(h0, h1)
            else least(h1, date_trunc('day', h0, 'UTC') + case when h0 = date_trunc('day', h0, 'UTC') then interval '0 days' else interval '1 day' end) end as da
        from wh
      ),
      wb as (
        select wd.*, greatest(da, date_trunc('day', h1, 'UTC')) as db from wd
      ),
      sums as (
        select wb.cls as s_cls, wb.side as s_side, extract(epoch from u.dy) * 1000 as day_ms, ${sql.raw(total)}
        from wb
        cross join lateral (
          select ${sql.raw(hourlyCols('hh', "date_trunc('day', hh.hour, 'UTC')"))} from health_hourly hh where hh.host_id = wb.host_id and hh.hour >= wb.h0 and hh.hour < wb.da group by 1
          union all
          select ${sql.raw(hourlyCols('hh', 'hh.day'))} from health_daily hh where hh.host_id = wb.host_id and hh.day >= wb.da and hh.day < wb.db group by 1
          union all
          select ${sql.raw(hourlyCols('hh', "date_trunc('day', hh.hour, 'UTC')"))} from health_hourly hh where hh.host_id = wb.host_id and hh.hour >= wb.db and hh.hour < wb.h1 group by 1
          union all
          select ${sql.raw(rawCols)} from health_samples x where x.host_id = wb.host_id and x.period_start >= wb.f and x.period_start < least(wb.h0, wb.t) group by 1
          union all
          select ${sql.raw(rawCols)} from health_samples x where x.host_id = wb.host_id and x.period_start >= greatest(wb.h0, wb.h1) and x.period_start < wb.t group by 1
        ) u
        group by wb.cls, wb.side, u.dy
      ),
      oc as (
        select hca.cls, rh.rollout_id = ${rolloutId} as own,
          count(*) filter (where ${installTriedSql})::int as it,
          count(*) filter (where rh.state = 'failed')::int as if,
          count(*) filter (where rh.boot_state in ('back', 'failed') and mine.host_id is null)::int as bt,
          count(*) filter (where rh.boot_state = 'failed' and mine.host_id is null)::int as bf
        from rollout_hosts rh join hca on hca.id = rh.host_id
        join rollouts r on r.id = rh.rollout_id
        -- Another rollout's reboot of a host within an hour of this rollout's reboot of it is the same restart: not history.
        left join rollout_hosts mine on rh.rollout_id <> ${rolloutId} and mine.rollout_id = ${rolloutId} and mine.host_id = rh.host_id
          and mine.boot_state in ('expected', 'back', 'failed')
          and mine.reboot_due_by between rh.reboot_due_by - interval '1 hour' and rh.reboot_due_by + interval '1 hour'
        where ${measured} and (rh.rollout_id = ${rolloutId} or r.created_at > ${historySince}::timestamptz)
          and hca.cls in (select cls from classes)
        group by 1, 2
      ),
      o as (
        select cls,
          coalesce(sum(it) filter (where own), 0)::int as own_it, coalesce(sum(if) filter (where own), 0)::int as own_if,
          coalesce(sum(bt) filter (where own), 0)::int as own_bt, coalesce(sum(bf) filter (where own), 0)::int as own_bf,
          coalesce(sum(it) filter (where not own), 0)::int as hist_it, coalesce(sum(if) filter (where not own), 0)::int as hist_if,
          coalesce(sum(bt) filter (where not own), 0)::int as hist_bt, coalesce(sum(bf) filter (where not own), 0)::int as hist_bf
        from oc group by cls
      )
      select k.cls, sides.side, extract(epoch from k.since) * 1000 as since_ms,
        case when sides.side = 'c' then coalesce(c_n.n, 0) else k.n end as hosts,
        o.own_it, o.own_if, o.own_bt, o.own_bf, o.hist_it, o.hist_if, o.hist_bt, o.hist_bf, sums.*
      from classes k
      cross join (values ('p'), ('c'), ('b')) as sides(side)
      left join c_n on c_n.cls = k.cls
      left join o on o.cls = k.cls
      left join sums on sums.s_cls = k.cls and sums.s_side = sides.side
      order by k.cls, sides.side, sums.day_ms`;
}

function assemble(
  rollout: { id: string; content: RolloutContent },
  patchIds: string[],
  sides: ReadonlyMap<string, ClassSides>,
  outcomes: Map<string, ClassOutcomes>,
  clock: CohortClock,
  skipClasses: ReadonlySet<string> | undefined,
): ClassCohort[] {
  const out: ClassCohort[] = [];
  for (const [hostClass, e] of sides) {
    if (skipClasses?.has(hostClass)) continue;
    const mode: CohortEvidence['mode'] = e.controls > 0 && exposureOf(e.c) > 0 ? 'controls' : 'before-after';
    const other = mode === 'controls' ? e.c : e.b;
    const counts: Partial<Record<CountSignal, CountEvidence>> = {};
    const days = mode === 'controls' ? [...e.days.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d) : [];
    for (const s of COUNT_SIGNALS) {
      const patchedSec = e.p?.[`${s}:s`] ?? 0;
      if (!(patchedSec > 0)) continue; // source unavailable on the patched hosts: not a zero
      const evidence: CountEvidence = {
        patchedEvents: e.p?.[`${s}:e`] ?? 0,
        patchedHostHours: patchedSec / 3600,
        controlEvents: other?.[`${s}:e`] ?? 0,
        controlHostHours: (other?.[`${s}:s`] ?? 0) / 3600,
      };
      // Against controls, day by day: an outage that hits patched and unpatched hosts alike on a day when most are patched is no evidence.
      if (mode === 'controls') evidence.increments = dayIncrements(days, s);
      counts[s] = evidence;
    }
    const o = outcomes.get(hostClass) ?? emptyOutcomes();
    out.push({
      hostClass,
      firstInstallWall: e.since,
      evidence: {
        patchId: patchIds[0] ?? rollout.id,
        hostClass,
        mode,
        patchedHosts: e.patched,
        controlHosts: mode === 'controls' ? e.controls : e.patched,
        counts,
        installs: withBaseline(o.installs, o.installBase, WEAK_INSTALL_BASELINE),
        boots: withBaseline(o.boots, o.bootBase, WEAK_BOOT_BASELINE),
        hoursSinceFirstInstall: Math.max(0, (clock.realNow - e.since) / HOUR_MS),
      },
    });
  }
  return out.sort((a, b) => (a.hostClass < b.hostClass ? -1 : a.hostClass > b.hostClass ? 1 : 0));
}

/** One increment per UTC day (`days` in day order; the totals are their sums). */
function dayIncrements(days: readonly { p?: SideSums; c?: SideSums }[], s: CountSignal): CountIncrement[] {
  return days.map((d) => ({
    patchedEvents: d.p?.[`${s}:e`] ?? 0,
    patchedHostHours: (d.p?.[`${s}:s`] ?? 0) / 3600,
    controlEvents: d.c?.[`${s}:e`] ?? 0,
    controlHostHours: (d.c?.[`${s}:s`] ?? 0) / 3600,
  }));
}

interface Tally {
  trials: number;
  failures: number;
}
interface ClassOutcomes {
  installs: Tally;
  installBase: Tally;
  boots: Tally;
  bootBase: Tally;
}

function emptyOutcomes(): ClassOutcomes {
  return { installs: { trials: 0, failures: 0 }, installBase: { trials: 0, failures: 0 }, boots: { trials: 0, failures: 0 }, bootBase: { trials: 0, failures: 0 } };
}

/** History with too few trials is topped up by the weak default. */
function withBaseline(own: Tally, history: Tally, weak: Tally): OutcomeEvidence {
  const base = history.trials >= MIN_HISTORY_TRIALS ? history : { trials: history.trials + weak.trials, failures: history.failures + weak.failures };
  return { trials: own.trials, failures: own.failures, baselineTrials: base.trials, baselineFailures: base.failures };
}

/**
 * Install and boot outcomes per class (the oc/o part of cohortQuery): this
 * rollout's, and the class's history in other rollouts of the last
 * HISTORY_DAYS days (the baseline). Installs finished = succeeded or failed
 * (rolled back hosts had succeeded); boots resolved = back or failed.
 */
function outcomesOf(rows: readonly Record<string, unknown>[]): Map<string, ClassOutcomes> {
  const out = new Map<string, ClassOutcomes>();
  const n = (r: Record<string, unknown>, k: string) => Number(r[k] ?? 0);
  for (const r of rows) {
    const cls = String(r['cls']);
    if (out.has(cls)) continue;
    out.set(cls, {
      installs: { trials: n(r, 'own_it'), failures: n(r, 'own_if') },
      installBase: { trials: n(r, 'hist_it'), failures: n(r, 'hist_if') },
      boots: { trials: n(r, 'own_bt'), failures: n(r, 'own_bf') },
      bootBase: { trials: n(r, 'hist_bt'), failures: n(r, 'hist_bf') },
    });
  }
  return out;
}
