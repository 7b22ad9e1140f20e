/**
 * The health gates inside the planner: at every round, for a live rollout
 * with a ring installing or soaking, every class cohort is measured
 * (cohorts.ts) and judged (stats/evaluate.ts) at the strictest alpha of
 * those rings; a trip acts at once (actions.ts). The answer tells the
 * planner, per class, whether the gate tripped or how much exposure the
 * patched hosts have, so a ring is promoted only once its soak is over and
 * its classes have passed.
 *
 * Blocks: a class that trips is blocked on its own. Fleet-wide when the
 * evidence spans classes: once one class has tripped, the classes neither
 * blocked nor tripped are judged pooled (judgeRest: outcomes summed, count
 * signals one increment per class) and trip together; or installs or
 * reboots of the patch fail on two classes (this round or earlier). Two
 * classes tripping on count signals alone block those two classes.
 */
import type { Logger } from 'pino';
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/index';
import type { EventSink } from '../events/ports';
import { resultRows } from '../catalog/rows/sync-rows';
import { DEFAULT_RING_HEALTH, type RingHealthPolicy, type RolloutContent } from '../db/schema/index';
import { decisionsFor, refreshScores } from '../reliability/decision-service';
import { actOnTrip } from './actions';
import { activeBlocks } from './blocks';
import { incidentVerdicts } from './incidents';
import { cohortPatchIds, measureCohorts, type ClassCohort } from './cohorts';
import { COUNT_SIGNALS, type CohortEvidence, type CountIncrement, type GateOptions, type GateVerdict, type OutcomeEvidence, type SignalVerdict } from './gate-types';
import { hostClassSql } from './host-class';
import { evaluateCohort } from './stats/evaluate';
import type { GateMetrics } from '../metrics/ports';

/** What the gates need from outside: the judge and the reliability service (injectable for unit tests). */
export interface SafetyPorts {
  evaluate: (evidence: CohortEvidence, options: GateOptions) => GateVerdict;
  decisionsFor: typeof decisionsFor;
  refreshScores: typeof refreshScores;
}

export const defaultSafety: SafetyPorts = { evaluate: evaluateCohort, decisionsFor, refreshScores };

/** `safety` whose judge also reports every signal it judged to `metrics` (one count per signal, passed or tripped). */
export function withGateMetrics(safety: SafetyPorts, metrics: GateMetrics): SafetyPorts {
  return {
    ...safety,
    evaluate: (evidence, options) => {
      const verdict = safety.evaluate(evidence, options);
      for (const v of verdict.verdicts) metrics.gateEvaluated(v.gate, v.tripped ? 'tripped' : 'passed');
      return verdict;
    },
  };
}

export interface GateDeps {
  tx: Tx;
  now: number;
  realNow: number;
  speed: number;
  log: Logger;
  safety: SafetyPorts;
  /** Blocks are reported here (patch.blocked). */
  events: EventSink;
}

export interface ClassGate {
  hostClass: string;
  tripped: boolean;
  /** Patched online host-hours (the best-covered signal), wall clock. */
  exposureHours: number;
  verdict: GateVerdict | undefined;
}

export interface RolloutGates {
  /** Gates of the classes measured this round (blocked classes are not). */
  classes: Map<string, ClassGate>;
  /** Classes (and '*' for fleet-wide) blocked for this rollout's patches, after this round's trips. */
  blocked: Set<string>;
  /** Succeeded hosts per ring and class. */
  ringClasses: Map<string, Map<string, number>>;
  /** Incidents opened this round. */
  incidents: string[];
}

/** Runs the gates of one rollout. */
export async function runGates(d: GateDeps, rollout: { id: string; name: string; content: RolloutContent }, health: ReadonlyMap<string, RingHealthPolicy>, watchedRings: readonly string[]): Promise<RolloutGates> {
  const patchIds = cohortPatchIds(rollout.content);
  const blocks = await activeBlocks(d.tx, patchIds);
  const blocked = new Set(blocks.map((b) => b.hostClass ?? '*'));
  const out: RolloutGates = { classes: new Map(), blocked, ringClasses: await ringClasses(d.tx, rollout.id), incidents: [] };
  if (blocked.has('*')) return out;
  const cohorts = await measureCohorts(d.tx, rollout, d, { skipClasses: blocked });
  const alphas = watchedRings.map((r) => health.get(r)?.alpha ?? DEFAULT_RING_HEALTH.alpha);
  const alpha = alphas.length > 0 ? Math.min(...alphas) : DEFAULT_RING_HEALTH.alpha;
  const tripped: { cohort: ClassCohort; verdict: GateVerdict }[] = [];
  for (const cohort of cohorts) {
    const verdict = d.safety.evaluate(cohort.evidence, { alpha });
    const exposureHours = Math.max(0, ...Object.values(cohort.evidence.counts).map((c) => c.patchedHostHours));
    out.classes.set(cohort.hostClass, { hostClass: cohort.hostClass, tripped: verdict.tripped, exposureHours, verdict });
    if (verdict.tripped) tripped.push({ cohort, verdict });
  }
  // A trip blocks its class. Once one class of the patch has tripped (this round or before), the classes neither
  // blocked nor tripped are judged together: a patch that hurts every class (an installer broken everywhere, a
  // subtle crash rise) is seen on all of them long before each small class shows it alone. That pooled evidence
  // blocks the patch fleet-wide, and so do installs or reboots failing on two classes (what fails there is this
  // patch's own install). Two classes tripping on crashes or failures over time do not: an incident on two
  // classes, or another patch on the same hosts, moves those rates too.
  const rest = tripped.length > 0 || blocked.size > 0 ? judgeRest(cohorts.filter((c) => !out.classes.get(c.hostClass)?.tripped), d.safety, alpha) : undefined;
  if (tripped.length === 0 && rest === undefined) return out;
  const outcomeTrips = tripped.filter((t) => tripsOnOutcome(t.verdict.verdicts));
  const installerBroken = outcomeTrips.length > 0 && outcomeTrips.length + (await outcomeBlockedClasses(d.tx, blocks)) >= 2;
  const fleetActor = rest === undefined && installerBroken ? outcomeTrips[0] : undefined;
  const trip = { tx: d.tx, rollout, now: d.now, realNow: d.realNow, speed: d.speed, health, log: d.log, events: d.events };
  for (const t of tripped) {
    out.incidents.push((await actOnTrip(trip, t.cohort, t.verdict, t === fleetActor)).incidentId);
    blocked.add(t.cohort.hostClass);
  }
  if (rest) {
    const gate = out.classes.get(rest.cohort.hostClass);
    if (gate) gate.tripped = true;
    out.incidents.push((await actOnTrip(trip, rest.cohort, rest.verdict, true)).incidentId);
    blocked.add(rest.cohort.hostClass);
  }
  if (rest || installerBroken) blocked.add('*');
  await d.safety.refreshScores(d.tx, patchIds, new Date(d.now));
  return out;
}

/** Gates whose trip is this patch's own install or reboot failing, not a rate over time (absolute-limit: the small-sample limit on those outcomes). */
const OUTCOME_GATES: ReadonlySet<string> = new Set(['install-failure', 'boot-failure', 'absolute-limit']);

/** Whether these verdicts tripped on an outcome gate (this round's, or those an incident recorded). */
function tripsOnOutcome(verdicts: readonly SignalVerdict[]): boolean {
  return verdicts.some((v) => v.tripped && OUTCOME_GATES.has(v.gate));
}

/** How many classes hold an active class block whose incident tripped on an outcome gate. */
async function outcomeBlockedClasses(tx: Tx, blocks: readonly { hostClass: string | null; incidentId: string | null }[]): Promise<number> {
  const classBlocks = blocks.flatMap((b) => (b.hostClass !== null && b.incidentId !== null ? [{ hostClass: b.hostClass, incidentId: b.incidentId }] : []));
  const verdicts = await incidentVerdicts(tx, [...new Set(classBlocks.map((b) => b.incidentId))]);
  return new Set(classBlocks.filter((b) => tripsOnOutcome(verdicts.get(b.incidentId) ?? [])).map((b) => b.hostClass)).size;
}

/**
 * The classes of `cohorts` (those neither blocked nor tripped) judged as one cohort at `alpha`: install and
 * boot outcomes summed, and each count signal as one increment per class (the rate-ratio test weighs each
 * with its own exposure share, so classes with other baselines or modes are not mixed into one ratio).
 * When they trip: the class with the most failures (install, boot, then counted events) among them, with
 * the pooled verdict (its summaries say they are pooled), for the caller to act on fleet-wide. Undefined when
 * nothing to judge or no trip.
 */
export function judgeRest(cohorts: readonly ClassCohort[], safety: Pick<SafetyPorts, 'evaluate'>, alpha: number): { cohort: ClassCohort; verdict: GateVerdict } | undefined {
  const first = cohorts[0];
  if (first === undefined) return undefined;
  const total = (of: (e: CohortEvidence) => number) => cohorts.reduce((a, c) => a + of(c.evidence), 0);
  const sum = (pick: (e: CohortEvidence) => OutcomeEvidence): OutcomeEvidence => ({
    trials: total((e) => pick(e).trials),
    failures: total((e) => pick(e).failures),
    baselineTrials: total((e) => pick(e).baselineTrials),
    baselineFailures: total((e) => pick(e).baselineFailures),
  });
  const counts: CohortEvidence['counts'] = {};
  for (const signal of COUNT_SIGNALS) {
    const parts = cohorts.flatMap((c) => {
      const ev = c.evidence.counts[signal];
      return ev ? (ev.increments && ev.increments.length > 0 ? ev.increments : [ev]) : [];
    });
    if (parts.length === 0) continue;
    const add = (k: keyof CountIncrement) => parts.reduce((a, p) => a + p[k], 0);
    // Plain increments: a class's own `increments` field must not nest inside the pooled one.
    const increments = parts.map(({ patchedEvents, patchedHostHours, controlEvents, controlHostHours }) => ({ patchedEvents, patchedHostHours, controlEvents, controlHostHours }));
    counts[signal] = { patchedEvents: add('patchedEvents'), patchedHostHours: add('patchedHostHours'), controlEvents: add('controlEvents'), controlHostHours: add('controlHostHours'), increments };
  }
  const pooled: CohortEvidence = {
    ...first.evidence,
    hostClass: '',
    patchedHosts: total((e) => e.patchedHosts),
    controlHosts: total((e) => e.controlHosts),
    counts,
    installs: sum((e) => e.installs),
    boots: sum((e) => e.boots),
  };
  const verdict = safety.evaluate(pooled, { alpha });
  if (!verdict.tripped) return undefined;
  const words = `the ${cohorts.length} class(es) not blocked, together, after another class tripped: `;
  const events = (c: ClassCohort) => Object.values(c.evidence.counts).reduce((a, ev) => a + ev.patchedEvents, 0);
  const worse = (c: ClassCohort, w: ClassCohort) => {
    const f = c.evidence.installs.failures + c.evidence.boots.failures - (w.evidence.installs.failures + w.evidence.boots.failures);
    return f > 0 || (f === 0 && events(c) > events(w));
  };
  const worst = cohorts.reduce((w, c) => (worse(c, w) ? c : w), first);
  return { cohort: worst, verdict: { tripped: true, verdicts: verdict.verdicts.map((v) => ({ ...v, summary: words + v.summary })) } };
}

async function ringClasses(tx: Tx, rolloutId: string): Promise<Map<string, Map<string, number>>> {
  const rows = resultRows<{ ring_id: string; cls: string; n: number }>(
    await tx.execute(sql`
      select rh.ring_id, ${hostClassSql('h')} as cls, count(*)::int as n
      from rollout_hosts rh join hosts h on h.id = rh.host_id
      where rh.rollout_id = ${rolloutId} and rh.state = 'succeeded'
      group by 1, 2`),
  );
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const m = out.get(r.ring_id) ?? new Map<string, number>();
    m.set(r.cls, Number(r.n));
    out.set(r.ring_id, m);
  }
  return out;
}

/**
 * A ring's classes that have not yet shown enough exposure to pass: each
 * needs half the soak (wall clock) in online host-hours per patched host of
 * the ring. A class with no health data at all (agents without health/1)
 * is not waited for: there is nothing coming to wait for; it is listed in
 * `noData`.
 */
export function classesShortOfExposure(gates: RolloutGates, ringId: string, soakWallHours: number): { short: { hostClass: string; have: number; need: number }[]; noData: string[] } {
  const short: { hostClass: string; have: number; need: number }[] = [];
  const noData: string[] = [];
  for (const [hostClass, n] of gates.ringClasses.get(ringId) ?? []) {
    if (gates.blocked.has(hostClass) || gates.blocked.has('*')) continue;
    const need = 0.5 * soakWallHours * n;
    const have = gates.classes.get(hostClass)?.exposureHours ?? 0;
    if (have === 0) noData.push(hostClass);
    else if (have < need) short.push({ hostClass, have, need });
  }
  return { short, noData };
}
