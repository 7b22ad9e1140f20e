/**
 * Gates on per-host outcomes (install failed, host not back after reboot):
 * a Beta-binomial posterior against the class baseline, and an absolute limit
 * for classes whose history shows no failures at all.
 *
 * Posterior gate. The class baseline p_b gets Beta(0.5 + f_b, 49.5 + t_b − f_b):
 * the history's failures f_b in t_b trials on a weak default prior worth 50
 * hosts at 1 % (so a class without history is judged against "about 1 %,
 * not sure"). The patched failure rate p_t gets a sceptical prior centred
 * on the baseline mean, worth SCEPTIC_TRIALS hosts, updated with the cohort's
 * failures. The gate trips when P(p_t > HARM_FACTOR · p_b | data) reaches
 * 1 − 2·alpha (outcomeThreshold). This is a Bayesian rule, not an
 * anytime-valid one (no such test can reach the "20 % against 1 %
 * within 30 installs" at 90 %: even a likelihood ratio that knows both rates
 * exactly needs 3 failures by install 23 at 1/alpha = 100): its false
 * trips under continuous monitoring were measured (gates.montecarlo.test.ts,
 * true rate equal to the baseline, 500 installs checked after every one),
 * not derived. Evidence only rises with a new failure (more successes move
 * the posterior down), so checking after every outcome is no worse than
 * checking after every failure.
 *
 * Absolute limit (tiny classes). With no failure in the class's history the
 * baseline cannot say how rare failures are, and two hosts that did not come
 * back are already alarming: trip when failures >= 2 and failures >= 5 % of
 * trials (Microsoft pauses a deployment at 5 % rollbacks). Its false-trip
 * cost depends on the true rate q: at q = 0.1 % about 0.1 % of cohorts, at
 * q = 1 % about 6 % (measured and printed by the Monte-Carlo test).
 */
import { betaCdf } from './math';
import type { OutcomeEvidence } from '../gate-types';

/** Harm means at least this many times the baseline failure rate. */
export const HARM_FACTOR = 2;
/** Weight (in hosts) of the sceptical prior on the patched failure rate. */
export const SCEPTIC_TRIALS = 6;
/** Default baseline prior: about 1 % failures, worth 50 hosts. */
export const BASELINE_PRIOR = { failures: 0.5, trials: 50 } as const;
/** Absolute limit: at least this many failures... */
export const ABSOLUTE_MIN_FAILURES = 2;
/** ...and at least this share of trials. */
export const ABSOLUTE_MIN_SHARE = 0.05;

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

/**
 * P(p_t > factor · p_b | data): the posterior probability of harm. Computed
 * as 1 − ∫ F_t(factor·p) dF_b(p) on a log-spaced grid of p (a Stieltjes sum
 * with midpoints), exact enough for thresholds near 0.99 (error below 1e-4
 * against a fine grid in the tests).
 */
export function harmProbability(ev: OutcomeEvidence, factor = HARM_FACTOR, scepticTrials = SCEPTIC_TRIALS): number {
  const { baseline, patched } = outcomePosteriors(ev, scepticTrials);
  const [ab, bb] = baseline;
  const [at, bt] = patched;
  const top = Math.min(1, 1 / factor);
  const step = Math.log(top / GRID_LOW) / GRID_POINTS;
  let prevP = GRID_LOW;
  let prevF = betaCdf(prevP, ab, bb);
  // Mass of p_b below the grid: p_t <= factor·p_b there has probability at most F_t(factor·GRID_LOW).
  let noHarm = prevF * betaCdf(factor * prevP, at, bt);
  for (let i = 1; i <= GRID_POINTS; i++) {
    const p = i === GRID_POINTS ? top : GRID_LOW * Math.exp(step * i);
    const f = betaCdf(p, ab, bb);
    noHarm += (f - prevF) * betaCdf(factor * Math.sqrt(p * prevP), at, bt);
    prevP = p;
    prevF = f;
  }
  // p_b above 1/factor: harm is impossible there.
  noHarm += 1 - prevF;
  return Math.min(1, Math.max(0, 1 - noHarm));
}

/**
 * Posterior probability of harm that trips the gate: 1 − 2·alpha. Chosen
 * with HARM_FACTOR 2 and SCEPTIC_TRIALS 6 on a sweep (factor 1.5/2/3,
 * sceptic 2/4/6/8, level 0.5/1/2 %) for the best power at 20 % against 1 %
 * whose false trips at the baseline stayed under 1 %.
 */
export function outcomeThreshold(alpha: number): number {
  return 1 - 2 * alpha;
}

/** Whether the absolute limit applies (history shows no failure) and whether it is reached. */
export function absoluteLimit(ev: OutcomeEvidence): { applies: boolean; reached: boolean } {
  const applies = count(ev.baselineFailures) === 0;
  const n = count(ev.trials);
  const x = Math.min(count(ev.failures), n);
  return { applies, reached: applies && x >= ABSOLUTE_MIN_FAILURES && x >= ABSOLUTE_MIN_SHARE * n };
}
