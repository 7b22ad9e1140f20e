/**
 * Reliability scores in the database: reads the evidence set-based (rollout
 * outcomes, incidents, health roll-ups, known issues, the product's history),
 * runs the model (model.ts) and stores one reliability_scores row per (patch,
 * class) and per patch (class ''), appending reliability_history only when a
 * score or confidence moved.
 *
 * Owns reliability_scores and reliability_history.
 *
 * When scores are computed: the planner refreshes the patches it handles at
 * ring pass and gate trip; a known-issues import refreshes the patches it
 * names; and a patch with no stored score, or one older than STALE_MS, is
 * scored when read (decisionsFor, the patch views, the reliability API), so
 * a newly released patch has a score from its prior before any host
 * installs it and a shown score is at most STALE_MS behind the evidence.
 */
import { and, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index';
import { installTriedSql, knownIssues, reliabilityHistory, reliabilityScores } from '../db/schema/index';
import { resultRows, upsertRows } from '../catalog/rows/sync-rows';
import { hostClassOf } from '../rollout/assign-rings';
import { assignableHost, classFactsSql } from '../rollout/ring-store';
import { estimateReliability, type ClassOutcomes, type KnownIssueSignal, type ProductHistory, type RateEvidence, type ReliabilityEstimate } from './model';

/** Serializes writers of reliability scores (refreshes by the planner, imports, reads). */
const SCORE_LOCK = 7_320_917;
/** A stored score older than this is recomputed when read (decisions, patch views, the API). */
export const STALE_MS = 15 * 60_000;

const ids = (list: readonly string[]) => sql`(select jsonb_array_elements_text(${JSON.stringify([...new Set(list)])}::jsonb))`;

/** Rollout outcomes per (patch, host), with what is needed for the host's class. */
interface HostOutcome {
  patch_id: string;
  host_id: string;
  os_id: string;
  os_version: string;
  hw_model: string;
  labels: Record<string, string>;
  facts: Record<string, unknown> | null;
  install_failed: boolean;
  rolled_back: boolean;
  boot_failed: boolean;
  trial: boolean;
}

/**
 * The patch ids a rollout carries, as safety/cohorts.ts keys them: its
 * catalog patches and `pkg:NAME=VERSION` per explicit package, so a package
 * rollout's outcomes score its `pkg:` id. Used as `cross join lateral ... as p(patch_id)` on `rollouts r`.
 */
const rolloutPatchIds = sql.raw(`(select jsonb_array_elements_text(r.content -> 'patches')
    union all select 'pkg:' || (x ->> 'name') || '=' || (x ->> 'version') from jsonb_array_elements(r.content -> 'packages') as x)`);

async function hostOutcomes(tx: Db | Tx, patchIds: readonly string[]): Promise<HostOutcome[]> {
  if (patchIds.length === 0) return [];
  return resultRows<HostOutcome>(
    await tx.execute(sql`select p.patch_id, h.id as host_id, h.os_id, h.os_version, h.hw_model, h.labels, ${classFactsSql('h')} as facts,
        bool_or(rh.state = 'failed' and rh.installed_at is null) as install_failed,
        bool_or(rh.state in ('rolling-back', 'rolled-back', 'rollback-failed')) as rolled_back,
        bool_or(rh.boot_state = 'failed') as boot_failed,
        bool_or(${installTriedSql}) as trial
      from rollout_hosts rh
      join rollouts r on r.id = rh.rollout_id
      cross join lateral ${rolloutPatchIds} as p(patch_id)
      join hosts h on h.id = rh.host_id
      where p.patch_id in ${ids(patchIds)}
      group by p.patch_id, h.id
      -- Only hosts that count (a trial, or harmed); a rollout's pending hosts are most of its rows and count for nothing.
      having bool_or(${installTriedSql} or rh.boot_state = 'failed')
        or exists (select 1 from incidents i where i.patch_id = p.patch_id and h.id = any(i.harmed_hosts))`),
  );
}

/** Hosts incidents list as harmed, and hosts rolled back only as a precaution (cohort policy), per patch. */
async function incidentHosts(tx: Db | Tx, patchIds: readonly string[]): Promise<Map<string, { harmed: Set<string>; precaution: Set<string> }>> {
  const rows = resultRows<{ patch_id: string; harmed_hosts: string[]; rolled_back_hosts: string[] }>(
    await tx.execute(sql`select patch_id, harmed_hosts, rolled_back_hosts from incidents where patch_id in ${ids(patchIds)}`),
  );
  const out = new Map<string, { harmed: Set<string>; precaution: Set<string> }>();
  for (const r of rows) {
    const e = out.get(r.patch_id) ?? { harmed: new Set<string>(), precaution: new Set<string>() };
    for (const h of r.harmed_hosts ?? []) e.harmed.add(h);
    for (const h of r.rolled_back_hosts ?? []) e.precaution.add(h);
    out.set(r.patch_id, e);
  }
  for (const e of out.values()) for (const h of e.harmed) e.precaution.delete(h);
  return out;
}

/** The events a health roll-up row counts against a patch (table alias `t`). */
const EVENTS = (t: string) => sql.raw(`${t}.app_crashes + ${t}.kernel_crashes + ${t}.service_failures + ${t}.unexpected_shutdowns + ${t}.probe_failures`);

/**
 * Health events after install against the same hosts' 14 days before, per (patch, host): hours starting at or
 * after the install (up to 14 days) against whole hours before it (back to 14 days before). Whole UTC days
 * inside a window come from health_daily and only the two partial days at each window's edges from
 * health_hourly (about 75 rows a host, not 672): with I the install and D0 its UTC day, before = the hours of
 * [I - 14 d, D0 - 13 d), the days [D0 - 13 d, D0) and the hours of D0 ending by I; after = the hours of D0 from
 * I, the days [D0 + 1 d, D0 + 14 d) and the hours of [D0 + 14 d, I + 14 d).
 */
export async function healthEvidenceRows(tx: Db | Tx, patchIds: readonly string[]): Promise<{ patch_id: string; host_id: string; after_events: number; after_sec: number; before_events: number; before_sec: number }[]> {
  return resultRows(
    await tx.execute(sql`with ph as (
        select p.patch_id, rh.host_id, min(rh.installed_at) as installed_at, date_trunc('day', min(rh.installed_at), 'UTC') as d0
        from rollout_hosts rh
        join rollouts r on r.id = rh.rollout_id
        cross join lateral ${rolloutPatchIds} as p(patch_id)
        where rh.installed_at is not null and p.patch_id in ${ids(patchIds)}
        group by p.patch_id, rh.host_id
      )
      select ph.patch_id, ph.host_id,
        (coalesce(d.after_events, 0) + coalesce(e.after_events, 0) + coalesce(ta.events, 0))::int as after_events,
        (coalesce(d.after_sec, 0) + coalesce(e.after_sec, 0) + coalesce(ta.sec, 0))::bigint as after_sec,
        (coalesce(d.before_events, 0) + coalesce(e.before_events, 0) + coalesce(hb.events, 0))::int as before_events,
        (coalesce(d.before_sec, 0) + coalesce(e.before_sec, 0) + coalesce(hb.sec, 0))::bigint as before_sec
      from ph
      -- Each part is one index range scan (an OR of ranges would scan every row of the table).
      cross join lateral (select sum(${EVENTS('hh')}) as events, sum(hh.covered_sec) as sec from health_hourly hh
        where hh.host_id = ph.host_id and hh.hour >= ph.installed_at - interval '14 days' and hh.hour < ph.d0 - interval '13 days') hb
      cross join lateral (select sum(${EVENTS('hh')}) filter (where hh.hour >= ph.installed_at) as after_events, sum(hh.covered_sec) filter (where hh.hour >= ph.installed_at) as after_sec,
          sum(${EVENTS('hh')}) filter (where hh.hour + interval '1 hour' <= ph.installed_at) as before_events, sum(hh.covered_sec) filter (where hh.hour + interval '1 hour' <= ph.installed_at) as before_sec
        from health_hourly hh where hh.host_id = ph.host_id and hh.hour >= ph.d0 and hh.hour < ph.d0 + interval '1 day') e
      cross join lateral (select sum(${EVENTS('hh')}) as events, sum(hh.covered_sec) as sec from health_hourly hh
        where hh.host_id = ph.host_id and hh.hour >= ph.d0 + interval '14 days' and hh.hour < ph.installed_at + interval '14 days') ta
      cross join lateral (select sum(${EVENTS('hd')}) filter (where hd.day > ph.d0) as after_events, sum(hd.covered_sec) filter (where hd.day > ph.d0) as after_sec,
          sum(${EVENTS('hd')}) filter (where hd.day < ph.d0) as before_events, sum(hd.covered_sec) filter (where hd.day < ph.d0) as before_sec
        from health_daily hd where hd.host_id = ph.host_id and hd.day >= ph.d0 - interval '13 days' and hd.day < ph.d0 + interval '14 days' and hd.day <> ph.d0) d`),
  );
}

/** {@link healthEvidenceRows} keyed by patch and host; a host with no health data in either window has no entry. */
async function healthEvidence(tx: Db | Tx, patchIds: readonly string[]): Promise<Map<string, RateEvidence>> {
  const rows = await healthEvidenceRows(tx, patchIds);
  const out = new Map<string, RateEvidence>();
  for (const r of rows) {
    if (Number(r.after_sec) + Number(r.before_sec) + Number(r.after_events) + Number(r.before_events) === 0) continue;
    out.set(`${r.patch_id}\u0000${r.host_id}`, {
      patchedEvents: Number(r.after_events),
      patchedHostHours: Number(r.after_sec) / 3600,
      baselineEvents: Number(r.before_events),
      baselineHostHours: Number(r.before_sec) / 3600,
    });
  }
  return out;
}

async function issuesFor(tx: Db | Tx, patchIds: readonly string[]): Promise<KnownIssueSignal[]> {
  const list = [...patchIds];
  return tx
    .select({ patchId: knownIssues.patchId, status: knownIssues.status, symptom: knownIssues.symptom, scope: knownIssues.scope, fixedBy: knownIssues.fixedBy })
    .from(knownIssues)
    .where(or(inArray(knownIssues.patchId, list), inArray(knownIssues.fixedBy, list)))
    .orderBy(knownIssues.id);
}

/**
 * Earlier patches of the same product: Windows KBs sharing a product (catalog_kb_products) from the
 * same or an earlier month; Ubuntu notices sharing a source package (catalog_usn_fixes) published no later.
 */
async function relatedPatches(tx: Db | Tx, patchIds: readonly string[]): Promise<{ related: Map<string, Set<string>>; product: Map<string, string> }> {
  const pairs = resultRows<{ patch_id: string; related: string }>(
    await tx.execute(sql`select distinct me.kb_id as patch_id, o.kb_id as related
      from catalog_kb_products me
      join catalog_kb_products o on o.name = me.name and o.kb_id <> me.kb_id
      join catalog_kbs k1 on k1.id = me.kb_id
      join catalog_kbs k2 on k2.id = o.kb_id
      where me.kb_id in ${ids(patchIds)} and coalesce(k2.month, '') <= coalesce(k1.month, '')
      union
      select distinct me.usn_id, o.usn_id
      from catalog_usn_fixes me
      join catalog_usn_fixes o on o.source_package = me.source_package and o.usn_id <> me.usn_id
      join catalog_usns u1 on u1.id = me.usn_id
      join catalog_usns u2 on u2.id = o.usn_id
      where me.usn_id in ${ids(patchIds)} and u2.published <= u1.published`),
  );
  const labels = resultRows<{ patch_id: string; first: string; n: number; kind: string }>(
    await tx.execute(sql`select kb_id as patch_id, min(name) as first, count(distinct name)::int as n, 'kb' as kind from catalog_kb_products where kb_id in ${ids(patchIds)} group by kb_id
      union all
      select usn_id, min(source_package), count(distinct source_package)::int, 'usn' from catalog_usn_fixes where usn_id in ${ids(patchIds)} group by usn_id`),
  );
  const related = new Map<string, Set<string>>();
  for (const p of pairs) related.set(p.patch_id, (related.get(p.patch_id) ?? new Set()).add(p.related));
  const product = new Map<string, string>();
  for (const l of labels) {
    const more = Number(l.n) - 1;
    const what = l.kind === 'kb' ? l.first : `source package ${l.first}`;
    product.set(l.patch_id, more > 0 ? `${what} (and ${more} more ${l.kind === 'kb' ? 'products' : 'source packages'})` : what);
  }
  return { related, product };
}

function isHarmed(o: HostOutcome, inc: { harmed: Set<string>; precaution: Set<string> } | undefined): { harmed: boolean; rolledBack: boolean; incident: boolean } {
  const incident = inc?.harmed.has(o.host_id) ?? false;
  // A cohort-policy rollback of a host nobody saw harmed is a precaution, not harm.
  const rolledBack = o.rolled_back && !(inc?.precaution.has(o.host_id) ?? false);
  return { harmed: o.install_failed || rolledBack || o.boot_failed || incident, rolledBack, incident };
}

/** The model's input for every patch given, read in a fixed number of queries. */
export async function reliabilityInputs(tx: Db | Tx, patchIds: readonly string[]) {
  const [outcomes, incidents, health, issues, rel] = await Promise.all([hostOutcomes(tx, patchIds), incidentHosts(tx, patchIds), healthEvidence(tx, patchIds), issuesFor(tx, patchIds), relatedPatches(tx, patchIds)]);
  const relatedIds = [...new Set([...rel.related.values()].flatMap((s) => [...s]))];
  const [relOutcomes, relIncidents] = await Promise.all([hostOutcomes(tx, relatedIds), incidentHosts(tx, relatedIds)]);
  const relStats = new Map<string, { trials: number; harmed: number }>();
  // Per class, reboots with the earlier patches of the product: the baseline the words compare with.
  const bootBase = new Map<string, { trials: number; failures: number }>();
  const classOf = (o: HostOutcome) => hostClassOf(assignableHost({ id: o.host_id, osId: o.os_id, osVersion: o.os_version, hwModel: o.hw_model, labels: o.labels ?? {}, facts: o.facts }));
  for (const o of relOutcomes) {
    const h = isHarmed(o, relIncidents.get(o.patch_id)).harmed;
    if (!o.trial && !h) continue;
    const s = relStats.get(o.patch_id) ?? { trials: 0, harmed: 0 };
    s.trials += 1;
    if (h) s.harmed += 1;
    relStats.set(o.patch_id, s);
    for (const patchId of patchIds) {
      if (!rel.related.get(patchId)?.has(o.patch_id)) continue;
      const key = `${patchId}\u0000${classOf(o)}`;
      const b = bootBase.get(key) ?? { trials: 0, failures: 0 };
      b.trials += 1;
      if (o.boot_failed) b.failures += 1;
      bootBase.set(key, b);
    }
  }

  return patchIds.map((patchId) => {
    const classes = new Map<string, ClassOutcomes>();
    for (const o of outcomes) {
      if (o.patch_id !== patchId) continue;
      const verdict = isHarmed(o, incidents.get(patchId));
      if (!o.trial && !verdict.harmed) continue;
      const hostClass = classOf(o);
      const base = bootBase.get(`${patchId}\u0000${hostClass}`);
      const c = classes.get(hostClass) ?? { hostClass, trials: 0, harmed: 0, installFailed: 0, rolledBack: 0, bootFailed: 0, incidentHarmed: 0, ...(base ? { bootBaseline: base } : {}) };
      c.trials += 1;
      if (verdict.harmed) c.harmed += 1;
      if (o.install_failed) c.installFailed += 1;
      if (verdict.rolledBack) c.rolledBack += 1;
      if (o.boot_failed) c.bootFailed += 1;
      if (verdict.incident) c.incidentHarmed += 1;
      const e = health.get(`${patchId}\u0000${o.host_id}`);
      if (e) {
        const sum = c.health ?? { patchedEvents: 0, patchedHostHours: 0, baselineEvents: 0, baselineHostHours: 0 };
        sum.patchedEvents += e.patchedEvents;
        sum.patchedHostHours += e.patchedHostHours;
        sum.baselineEvents += e.baselineEvents;
        sum.baselineHostHours += e.baselineHostHours;
        c.health = sum;
      }
      classes.set(hostClass, c);
    }
    const related = [...(rel.related.get(patchId) ?? [])].flatMap((id) => (relStats.has(id) ? [relStats.get(id)!] : []));
    const history: ProductHistory | null = rel.product.has(patchId)
      ? { product: rel.product.get(patchId)!, patches: related.length, trials: related.reduce((a, s) => a + s.trials, 0), harmed: related.reduce((a, s) => a + s.harmed, 0) }
      : null;
    return {
      patchId,
      knownIssues: issues.filter((i) => i.patchId === patchId || i.fixedBy === patchId),
      history,
      classes: [...classes.values()].sort((a, b) => a.hostClass.localeCompare(b.hostClass)),
    };
  });
}

/** Recomputes the reliability scores of these patches from the evidence stored now; appends history when a score moves. */
export async function refreshScores(tx: Db | Tx, patchIds: readonly string[], now: Date): Promise<void> {
  const unique = [...new Set(patchIds)];
  if (unique.length === 0) return;
  // Every writer of scores takes this lock before touching a row, so two refreshes never deadlock on rows and never append the same change twice.
  await tx.execute(sql`select pg_advisory_xact_lock(${SCORE_LOCK})`);
  const inputs = await reliabilityInputs(tx, unique);
  const rows: (ReliabilityEstimate & { patchId: string })[] = [];
  for (const input of inputs) {
    const result = estimateReliability(input);
    rows.push({ patchId: input.patchId, ...result.patch });
    for (const c of result.classes) rows.push({ patchId: input.patchId, ...c });
  }
  const stored = new Map(
    (await tx.select({ patchId: reliabilityScores.patchId, hostClass: reliabilityScores.hostClass, score: reliabilityScores.score, confidence: reliabilityScores.confidence }).from(reliabilityScores).where(inArray(reliabilityScores.patchId, unique))).map(
      (r) => [`${r.patchId}\u0000${r.hostClass}`, r],
    ),
  );
  // real is float4: compare as stored, or every refresh would look like a change.
  const f4 = (x: number) => Math.fround(x);
  const moved = rows.filter((r) => {
    const s = stored.get(`${r.patchId}\u0000${r.hostClass}`);
    return s === undefined || s.score !== r.score || f4(s.confidence) !== f4(r.confidence);
  });
  await upsertRows(
    tx,
    reliabilityScores,
    [reliabilityScores.patchId, reliabilityScores.hostClass],
    rows.map((r) => ({ patchId: r.patchId, hostClass: r.hostClass, score: r.score, confidence: r.confidence, pHarm: r.pHarm, reasons: r.reasons, evidence: r.evidence, computedAt: now.toISOString() })),
  );
  for (let i = 0; i < moved.length; i += 1000) {
    await tx.insert(reliabilityHistory).values(moved.slice(i, i + 1000).map((r) => ({ patchId: r.patchId, hostClass: r.hostClass, score: r.score, confidence: r.confidence, reasons: r.reasons, at: now })));
  }
}

/** Stored scores of these patches (every class), recomputing first the patches never scored or scored more than STALE_MS ago. */
export async function scoresOf(tx: Db | Tx, patchIds: readonly string[], now: Date) {
  const unique = [...new Set(patchIds)];
  if (unique.length === 0) return [];
  // Never scored, or scored longer ago than STALE_MS (installs finish between the planner's refreshes).
  const dueIn = async (t: Db | Tx) => {
    const fresh = new Set(
      (
        await t
          .selectDistinct({ patchId: reliabilityScores.patchId })
          .from(reliabilityScores)
          .where(and(inArray(reliabilityScores.patchId, unique), eq(reliabilityScores.hostClass, ''), gt(reliabilityScores.computedAt, new Date(now.getTime() - STALE_MS))))
      ).map((r) => r.patchId),
    );
    return unique.filter((p) => !fresh.has(p));
  };
  if ((await dueIn(tx)).length > 0) {
    await tx.transaction(async (t) => {
      // Two readers scoring the same patch at once would each append a history row: the second waits and finds it fresh.
      await t.execute(sql`select pg_advisory_xact_lock(${SCORE_LOCK})`);
      const due = await dueIn(t);
      if (due.length > 0) await refreshScores(t, due, now);
    });
  }
  return tx.select().from(reliabilityScores).where(inArray(reliabilityScores.patchId, unique)).orderBy(reliabilityScores.patchId, reliabilityScores.hostClass);
}

/** History of a patch's scores, oldest first. */
export async function scoreHistory(db: Db | Tx, patchId: string, limit = 200) {
  const rows = await db
    .select()
    .from(reliabilityHistory)
    .where(inArray(reliabilityHistory.patchId, [patchId]))
    .orderBy(sql`${reliabilityHistory.at} desc, ${reliabilityHistory.id} desc`)
    .limit(limit);
  return rows.reverse();
}
