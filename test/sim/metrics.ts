/**
 * The metrics of a rollout run, exactly as ../shared/scenarios/README.md
 * prints them, and their summary over a sweep of many runs.
 *
 * Definitions the README leaves open:
 * - goodCoverage is pooled: sum of patchedAtEnd / sum of hosts over the good
 *   pairs (a big class weighs more than a tiny one, as hosts do).
 * - daysTo95 of a pair: days from the patch's release to the first moment at
 *   least 95 % of the class's hosts held it (patched >= ceil(0.95 hosts)),
 *   from a series of patched counts; null if that never happened in the run.
 * - goodDaysTo95Median: the median over good pairs, a null counting as
 *   "later than any number"; null when that median falls on a null (more
 *   than half never got there) or there is no good pair.
 * - badExposureMedian and goodCoverage are null when there is no bad (good)
 *   pair to measure; precision and recall are 1 then, as the README says.
 */
import type { PairTruth } from './truth';

/** What the simulator measured for one (patch, class) pair at the end of a run. */
export interface PairOutcome {
  patch: string;
  class: string;
  /** The controller will not give the patch to this class at the end of the run. */
  blocked: boolean;
  /** Run day of the block in force at the end (null when not blocked). */
  blockedAtDay: number | null;
  /** Hosts of the class that received the patch (an install ran, whatever its outcome). */
  exposed: number;
  /** Exposed hosts that showed its harm (fleet-model.ts: failed install caused by it, no boot, or an event caused by it). */
  harmed: number;
  /** Hosts the controller rolled back. */
  rolledBack: number;
  /** Hosts of the class. */
  hosts: number;
  /** Hosts holding the patch at the end, online or not. */
  patchedAtEnd: number;
  /** See daysTo95(). */
  daysTo95: number | null;
}

/** One line of `pairs`, fields in the README's order. */
export interface PairResult {
  patch: string;
  class: string;
  bad: boolean;
  blocked: boolean;
  blockedAtDay: number | null;
  exposed: number;
  harmed: number;
  rolledBack: number;
  hosts: number;
  patchedAtEnd: number;
  daysTo95: number | null;
}

export interface RolloutSummary {
  /** blocked & bad / blocked; 1 when nothing is blocked. */
  precision: number;
  /** blocked & bad / bad; 1 when nothing is bad. */
  recall: number;
  /** Median over bad pairs of exposed / hosts; null without bad pairs. */
  badExposureMedian: number | null;
  badHarmedTotal: number;
  /** Pooled over good pairs: sum patchedAtEnd / sum hosts; null without good pairs. */
  goodCoverage: number | null;
  /** Median over good pairs of daysTo95, null counting as never. */
  goodDaysTo95Median: number | null;
  wallSeconds: number;
}

/** The JSON `pnpm bench:rollout --json` prints. */
export interface RolloutReport {
  scenario: string;
  pairs: PairResult[];
  summary: RolloutSummary;
}

/** Median of numbers; null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median where null means "never" (after every number); null when the median is a never, or for none. */
export function medianOrNever(values: readonly (number | null)[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : a - b));
  const mid = s.length >> 1;
  if (s.length % 2 === 1) return s[mid]!;
  const lo = s[mid - 1]!;
  const hi = s[mid]!;
  return lo === null || hi === null ? null : (lo + hi) / 2;
}

/** A patched count from `day` (run days, fractional) on. */
export interface PatchedPoint {
  day: number;
  patched: number;
}

/**
 * Days from `releasedDay` to the first point of `series` where at least
 * `fraction` of `hosts` held the patch (patched >= ceil(fraction x hosts)),
 * or null if none did. `series` holds the patched count whenever it changed,
 * in time order; a count holds until the next point, so recording changes
 * only (installs, rollbacks) gives the exact moment.
 */
export function daysTo95(series: readonly PatchedPoint[], hosts: number, releasedDay: number, fraction = 0.95): number | null {
  const needed = Math.max(1, Math.ceil(fraction * hosts - 1e-9));
  let previous = -Infinity;
  for (const p of series) {
    if (p.day < previous) throw new RangeError(`patched series goes back in time: day ${p.day} after day ${previous}`);
    previous = p.day;
    if (p.patched >= needed) return Math.max(0, p.day - releasedDay);
  }
  return null;
}

const ratio = (num: number, den: number, empty: number): number => (den === 0 ? empty : num / den);

/** The README's summary of one run's pairs. wallSeconds is rounded to 0.1 s. */
export function summarize(pairs: readonly PairResult[], wallSeconds: number): RolloutSummary {
  const bad = pairs.filter((p) => p.bad);
  const good = pairs.filter((p) => !p.bad);
  const blocked = pairs.filter((p) => p.blocked);
  const goodHosts = good.reduce((a, p) => a + p.hosts, 0);
  return {
    precision: ratio(blocked.filter((p) => p.bad).length, blocked.length, 1),
    recall: ratio(bad.filter((p) => p.blocked).length, bad.length, 1),
    badExposureMedian: median(bad.map((p) => p.exposed / p.hosts)),
    badHarmedTotal: bad.reduce((a, p) => a + p.harmed, 0),
    goodCoverage: goodHosts === 0 ? null : good.reduce((a, p) => a + p.patchedAtEnd, 0) / goodHosts,
    goodDaysTo95Median: medianOrNever(good.map((p) => p.daysTo95)),
    wallSeconds: Math.round(wallSeconds * 10) / 10,
  };
}

function checkOutcome(o: PairOutcome): void {
  const where = `${o.patch} on ${o.class}`;
  const counts = { exposed: o.exposed, harmed: o.harmed, rolledBack: o.rolledBack, hosts: o.hosts, patchedAtEnd: o.patchedAtEnd };
  for (const [name, v] of Object.entries(counts)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${where}: ${name} ${v} is not a count`);
  }
  if (o.hosts === 0) throw new RangeError(`${where}: a class with no host`);
  if (o.exposed > o.hosts || o.patchedAtEnd > o.hosts) throw new RangeError(`${where}: more hosts exposed or patched than the class holds`);
  if (o.harmed > o.exposed || o.rolledBack > o.exposed) throw new RangeError(`${where}: more hosts harmed or rolled back than exposed`);
  if (o.blocked && o.blockedAtDay === null) throw new RangeError(`${where}: blocked without blockedAtDay`);
}

/**
 * The report of one run: one outcome per pair of the ground truth (in its
 * order), the verdict joined from it. Throws when an outcome is missing,
 * repeated or not a pair of the scenario, or its counts cannot be right.
 */
export function buildReport(scenario: string, truth: readonly PairTruth[], outcomes: readonly PairOutcome[], wallSeconds: number): RolloutReport {
  const key = (p: { patch: string; class: string }): string => `${p.patch}\u0000${p.class}`;
  const byPair = new Map<string, PairOutcome>();
  for (const o of outcomes) {
    if (byPair.has(key(o))) throw new RangeError(`two outcomes for ${o.patch} on ${o.class}`);
    byPair.set(key(o), o);
  }
  const pairs = truth.map((t): PairResult => {
    const o = byPair.get(key(t));
    if (!o) throw new RangeError(`no outcome for ${t.patch} on ${t.class}`);
    byPair.delete(key(t));
    checkOutcome(o);
    return {
      patch: t.patch,
      class: t.class,
      bad: t.bad,
      blocked: o.blocked,
      blockedAtDay: o.blocked ? o.blockedAtDay : null,
      exposed: o.exposed,
      harmed: o.harmed,
      rolledBack: o.rolledBack,
      hosts: o.hosts,
      patchedAtEnd: o.patchedAtEnd,
      daysTo95: o.daysTo95,
    };
  });
  const extra = [...byPair.values()][0];
  if (extra) throw new RangeError(`outcome for ${extra.patch} on ${extra.class}, which is not a pair of the scenario`);
  return { scenario, pairs, summary: summarize(pairs, wallSeconds) };
}

/** The decision-quality goals a run is held to. */
export const GOALS = Object.freeze({
  precision: 0.97,
  recall: 0.99,
  badExposureMedian: 0.02,
  goodCoverage: 0.95,
  goodDaysTo95Median: 10,
});

export type GoalName = keyof typeof GOALS;

/**
 * Which goals one run meets. A goal with nothing to measure is met
 * (exposure without bad pairs, coverage and speed without good pairs), as
 * precision and recall are 1 then; a null goodDaysTo95Median with good pairs
 * (most never reached 95 %) is not.
 */
export function goalsMet(report: RolloutReport): Record<GoalName | 'all', boolean> {
  const s = report.summary;
  const hasGood = report.pairs.some((p) => !p.bad);
  const met = {
    precision: s.precision >= GOALS.precision,
    recall: s.recall >= GOALS.recall,
    badExposureMedian: s.badExposureMedian === null || s.badExposureMedian <= GOALS.badExposureMedian,
    goodCoverage: s.goodCoverage === null || s.goodCoverage >= GOALS.goodCoverage,
    goodDaysTo95Median: hasGood ? s.goodDaysTo95Median !== null && s.goodDaysTo95Median <= GOALS.goodDaysTo95Median : true,
  };
  return { ...met, all: Object.values(met).every(Boolean) };
}

/** Decision quality over many runs. */
export interface SweepSummary {
  scenarios: number;
  pairs: { total: number; bad: number; good: number; blocked: number };
  /** summarize() over the pairs of every run taken together (wallSeconds: their sum). */
  pooled: RolloutSummary;
  /** Medians of the runs' own summaries (runs with nothing to measure left out; goodDaysTo95Median: null as never). */
  medianOfRuns: { precision: number | null; recall: number | null; badExposureMedian: number | null; goodCoverage: number | null; goodDaysTo95Median: number | null; wallSeconds: number | null };
  /** How many runs meet each goal (see goalsMet), and all of them. */
  goalsMet: Record<GoalName | 'all', number>;
  goals: typeof GOALS;
}

export function summarizeSweep(results: readonly RolloutReport[]): SweepSummary {
  const all = results.flatMap((r) => r.pairs);
  const withBad = results.filter((r) => r.pairs.some((p) => p.bad));
  const withGood = results.filter((r) => r.pairs.some((p) => !p.bad));
  const counts = { precision: 0, recall: 0, badExposureMedian: 0, goodCoverage: 0, goodDaysTo95Median: 0, all: 0 };
  for (const r of results) {
    const met = goalsMet(r);
    for (const k of Object.keys(counts) as (keyof typeof counts)[]) if (met[k]) counts[k]++;
  }
  const numbers = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null);
  return {
    scenarios: results.length,
    pairs: { total: all.length, bad: all.filter((p) => p.bad).length, good: all.filter((p) => !p.bad).length, blocked: all.filter((p) => p.blocked).length },
    pooled: summarize(all, results.reduce((a, r) => a + r.summary.wallSeconds, 0)),
    medianOfRuns: {
      precision: median(results.filter((r) => r.pairs.some((p) => p.blocked)).map((r) => r.summary.precision)),
      recall: median(withBad.map((r) => r.summary.recall)),
      badExposureMedian: median(numbers(withBad.map((r) => r.summary.badExposureMedian))),
      goodCoverage: median(numbers(withGood.map((r) => r.summary.goodCoverage))),
      goodDaysTo95Median: medianOrNever(withGood.map((r) => r.summary.goodDaysTo95Median)),
      wallSeconds: median(results.map((r) => r.summary.wallSeconds)),
    },
    goalsMet: counts,
    goals: GOALS,
  };
}
