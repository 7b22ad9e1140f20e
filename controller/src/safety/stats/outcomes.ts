/**
 * Gates on per-host outcomes (install failed, host not back after reboot):
 * a Beta-binomial posterior against the class baseline, and a small-sample
 * limit that decides on the first few failed hosts.
 *
 * Posterior gate. The class baseline p_b gets Beta(0.5 + f_b, 49.5 + t_b − f_b):
 * the history's failures f_b in t_b trials on a weak default prior worth 50
 * hosts at 1 % (so a class without history is judged against "about 1 %,
 * not sure"). The patched failure rate p_t gets a sceptical prior centred
 * on the baseline mean, worth SCEPTIC_TRIALS hosts, updated with the cohort's
 * failures. The gate trips when P(p_t > HARM_FACTOR · p_b | data) reaches
 * 1 − alpha (outcomeThreshold). This is a Bayesian rule, not an anytime-valid
 * one: its false trips under continuous monitoring were measured
 * (gates.montecarlo.test.ts, true rate equal to the baseline, 500 installs
 * checked after every one), not derived. Evidence only rises with a new
 * failure (more successes move the posterior down), so checking after every
 * outcome is no worse than checking after every failure.
 *
 * Small-sample limit. No test that must stay valid under continuous
 * monitoring decides on two or three hosts: a likelihood ratio that knows
 * both rates exactly (20 % against exactly 1 %) trips by install 30 in only
 * about 92 % of runs at 1/alpha = 100, and the posterior above in about
 * 88 %. Small-sample behaviour is therefore a designed rule, with its cost
 * measured and printed:
 *  - the class's history shows no failure: trip at 2 failed hosts that are
 *    also at least 5 % of the trials (Microsoft pauses a deployment at 5 %
 *    rollbacks); cost at a true rate q: about 0.05 % of 500-host watches at
 *    q = 0.1 %, 2 % at q = 0.5 %, 7 % at q = 1 %;
 *  - boots, when the history shows no host that failed to come back: one
 *    host not back after the patch's reboot that is also at least 5 % of the
 *    rebooted hosts (so within the first 20) trips. A host that does not
 *    boot is the worst harm a patch does and cannot be undone remotely; in a
 *    class of a dozen hosts a second one may never come. Cost: about 20·q of
 *    cohorts at a true unrelated rate q (2 % at q = 0.1 %), measured by
 *    bench:gates;
 *  - otherwise: trip at 3 failed hosts that are also at least 10 % of the
 *    trials and at least 10 times the history's failure rate.
 */
import { betaCdf } from './math';
import type { OutcomeEvidence } from '../gate-types';

/** Harm means at least this many times the baseline failure rate. */
export const HARM_FACTOR = 2;
/** Weight (in hosts) of the sceptical prior on the patched failure rate. */
export const SCEPTIC_TRIALS = 6;
/** Default baseline prior: about 1 % failures, worth 50 hosts. */
export const BASELINE_PRIOR = { failures: 0.5, trials: 50 } as const;
/** Small-sample limit when the class's history shows no failure: at least this many failures... */
export const ABSOLUTE_MIN_FAILURES = 2;
/** ...that are at least this share of trials. */
export const ABSOLUTE_MIN_SHARE = 0.05;
/** Boots: when the history shows none, this many hosts not back (at ABSOLUTE_MIN_SHARE) trip. */
export const BOOT_MIN_FAILURES = 1;
/** Small-sample limit when the history shows failures: at least this many failures... */
export const RATIO_MIN_FAILURES = 3;
/** ...that are at least this share of trials... */
export const RATIO_MIN_SHARE = 0.1;
/** ...and at least this many times the history's failure rate. */
export const RATIO_MIN_MULTIPLE = 10;

const GRID_POINTS = 160;
const GRID_LOW = 1e-9;

const count = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

/** Beta parameters of the baseline posterior and of the patched posterior. */
export function outcomePosteriors(ev: OutcomeEvidence, scepticTrials = SCEPTIC_TRIALS): { baseline: [number, number]; patched: [number, number] } {
  const bt = count(ev.baselineTrials);
  const bf = Math.min(count(ev.baselineFailures), bt);
  const n = count(ev.trials);
  const x = Math.min(count(ev.failures), n);
  const baseline: [number, number] = [BASELINE_PRIOR.failures + bf, BASELINE_PRIOR.trials - BASELINE_PRIOR.failures + bt - bf];
  const mean = baseline[0] / (baseline[0] + baseline[1]);
  const patched: [number, number] = [mean * scepticTrials + x, (1 - mean) * scepticTrials + n - x];
  return { baseline, patched };
}

const COARSE_POINTS = 24;

/**
 * ∫ F_t(factor·p) dF_b(p) on `points` log-spaced p from `low` to `high`
 * (at most 1/factor), as [lower, middle, upper]: F_t(factor·p) rises with p,
 * so the left and right Stieltjes sums bound the integral, and the sum at
 * the geometric midpoints (or, without `midpoints`, the trapezoid) estimates it. Baseline mass below `low` and above
 * `high` is bounded the same way (F_t between 0 and F_t(factor·low), and
 * between F_t(factor·high) and 1); above 1/factor harm is impossible.
 */
function noHarmSums(ab: number, bb: number, at: number, bt: number, factor: number, points: number, low: number, high: number, midpoints: boolean): [number, number, number] {
  const top = Math.min(1, 1 / factor);
  const hi = Math.min(high, top);
  const step = Math.log(hi / low) / points;
  let prevP = low;
  let prevF = betaCdf(prevP, ab, bb);
  let prevT = betaCdf(factor * prevP, at, bt);
  let lower = 0;
  let upper = prevF * prevT;
  let middle = prevF * prevT;
  for (let i = 1; i <= points; i++) {
    const p = i === points ? hi : low * Math.exp(step * i);
    const f = betaCdf(p, ab, bb);
    const t = betaCdf(factor * p, at, bt);
    const mass = f - prevF;
    lower += mass * prevT;
    upper += mass * t;
    middle += mass * (midpoints ? betaCdf(factor * Math.sqrt(p * prevP), at, bt) : (prevT + t) / 2);
    prevP = p;
    prevF = f;
    prevT = t;
  }
  const above = 1 - prevF;
  if (hi >= top) return [lower + above, middle + above, upper + above];
  return [lower + above * prevT, middle + (above * (prevT + 1)) / 2, upper + above];
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/**
 * P(p_t > factor · p_b | data): the posterior probability of harm, as
 * 1 − ∫ F_t(factor·p) dF_b(p) (160-point midpoint sum, within 1e-4 of a fine
 * integral in the tests). With `decideAt`, a 24-point pass over the
 * baseline's bulk first bounds the probability; when both bounds lie on one
 * side of decideAt the verdict is certain and that pass's midpoint estimate
 * is returned (inside the bounds, a few percent wide), which keeps a tick
 * over thousands of cohorts cheap.
 */
export function harmProbability(ev: OutcomeEvidence, factor = HARM_FACTOR, scepticTrials = SCEPTIC_TRIALS, decideAt?: number): number {
  const key = `${ev.trials}/${ev.failures}/${ev.baselineTrials}/${ev.baselineFailures}/${factor}/${scepticTrials}/${decideAt}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const p = computeHarmProbability(ev, factor, scepticTrials, decideAt);
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value as string);
  memo.set(key, p);
  return p;
}

// A pure function of its arguments: remembering recent answers makes the next tick, where most cohorts saw no new outcome, cheap.
const MEMO_SIZE = 8192;
const memo = new Map<string, number>();

function computeHarmProbability(ev: OutcomeEvidence, factor: number, scepticTrials: number, decideAt: number | undefined): number {
  const { baseline, patched } = outcomePosteriors(ev, scepticTrials);
  const [ab, bb] = baseline;
  const [at, bt] = patched;
  if (decideAt !== undefined) {
    // Where the baseline's mass lies: from a thousandth of its mean to twelve deviations above it.
    const mean = ab / (ab + bb);
    const sd = Math.sqrt((ab * bb) / ((ab + bb) ** 2 * (ab + bb + 1)));
    const [lower, middle, upper] = noHarmSums(ab, bb, at, bt, factor, COARSE_POINTS, Math.max(GRID_LOW, mean / 1000), mean + 12 * sd, false);
    if (1 - lower < decideAt || 1 - upper >= decideAt) return clamp01(1 - middle);
  }
  return clamp01(1 - noHarmSums(ab, bb, at, bt, factor, GRID_POINTS, GRID_LOW, 1, true)[1]);
}

/** Posterior probability of harm that trips the gate: 1 − alpha. */
export function outcomeThreshold(alpha: number): number {
  return 1 - alpha;
}

/** The small-sample limit for this evidence: failures and share that trip it, and whether they are reached. */
export function smallSampleLimit(ev: OutcomeEvidence, gate: 'install-failure' | 'boot-failure' = 'install-failure'): { minFailures: number; minShare: number; historyShowsNone: boolean; reached: boolean } {
  const bt = count(ev.baselineTrials);
  const bf = Math.min(count(ev.baselineFailures), bt);
  const n = count(ev.trials);
  const x = Math.min(count(ev.failures), n);
  const historyShowsNone = bf === 0;
  const minFailures = historyShowsNone ? (gate === 'boot-failure' ? BOOT_MIN_FAILURES : ABSOLUTE_MIN_FAILURES) : RATIO_MIN_FAILURES;
  const minShare = historyShowsNone ? ABSOLUTE_MIN_SHARE : Math.max(RATIO_MIN_SHARE, (RATIO_MIN_MULTIPLE * bf) / bt);
  return { minFailures, minShare, historyShowsNone, reached: n > 0 && x >= minFailures && x >= minShare * n };
}
