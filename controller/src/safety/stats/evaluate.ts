/**
 * The gates: judges one cohort (a patch on one host class) from the evidence
 * safety/cohorts.ts measured. Pure and deterministic: the same evidence gives
 * the same verdict, so the planner may call it at every tick.
 *
 * - Count signals: the anytime-valid rate-ratio test of rate-ratio.ts, trips
 *   when its evidence reaches 1/(share·alpha), each signal with its fixed
 *   share of the cohort's alpha (COUNT_ALPHA_SHARES): together the five count
 *   gates trip falsely with probability at most alpha.
 * - Install failures and boot failures: the Beta-binomial posterior of
 *   outcomes.ts, trips when P(harm) reaches 1 − alpha; plus the
 *   small-sample limit (verdict 'absolute-limit'): 2 failed hosts (1 host not
 *   back after reboot) and 5 % when the class's history shows none, else 3
 *   and 10 % and 10 times the history.
 * Absent signals (source unavailable) and outcomes without trials give no verdict.
 */
import { Errors, PfError } from '@patchfleet/shared/errors';
import type { CohortEvidence, CountEvidence, CountSignal, GateOptions, GateVerdict, OutcomeEvidence, SignalVerdict } from '../gate-types';
import { COUNT_SIGNALS } from '../gate-types';
import { HARM_FACTOR, RATIO_MIN_MULTIPLE, harmProbability, outcomeThreshold, smallSampleLimit } from './outcomes';
import { addCountIncrement, countLogEvidence, newCountTest } from './rate-ratio';
import { countOf, formatAmount, formatEvidence, formatHours, formatPercent, formatRatio } from './words';

const SIGNAL_WORDS: Record<CountSignal, [string, string]> = {
  'app-crash': ['application crash', 'application crashes'],
  'kernel-crash': ['kernel crash', 'kernel crashes'],
  'service-failure': ['service failure', 'service failures'],
  'unexpected-shutdown': ['unexpected shutdown', 'unexpected shutdowns'],
  'probe-failure': ['probe failure', 'probe failures'],
};

const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

/**
 * How a cohort's alpha is spent across its count signals: fixed shares,
 * declared here before any data and summing to 1. Each count gate trips at
 * evidence 1/(share·alpha); by Ville's inequality it trips falsely with
 * probability at most share·alpha over the whole watch, and by the union
 * bound the cohort's count gates together at most alpha, whatever the
 * signals' correlation. An absent signal (source unavailable) leaves its
 * share unspent rather than handing it to the others, so the thresholds
 * never move during a watch.
 *
 * Why these shares:
 * - app-crash 0.5: application crashes are the main harm a patch causes
 *   (the issue's detection bounds are stated on them) and the most frequent
 *   signal, so they get half: threshold 200 at alpha 0.01 instead of 100
 *   costs ln 2 / ln r more patched crashes, under one at x3 and above.
 * - probe-failure 0.2: probes are what the operator declared as "this host
 *   still does its job", the most direct signal after crashes.
 * - service-failure, kernel-crash, unexpected-shutdown 0.1 each: real but
 *   either rarer (kernel crashes) or overlapping with the others (a kernel
 *   crash is also an unexpected shutdown; a crashing daemon is also a failed
 *   unit); with few events each, halving a share costs well under one extra
 *   event at the ratios that matter (ln 2 / ln r per event).
 * Decided from this reasoning, not from the Monte-Carlo seeds (README).
 */
export const COUNT_ALPHA_SHARES: Readonly<Record<CountSignal, number>> = Object.freeze({
  'app-crash': 0.5,
  'probe-failure': 0.2,
  'service-failure': 0.1,
  'kernel-crash': 0.1,
  'unexpected-shutdown': 0.1,
});

/** The level that trips a count gate: 1/(share·alpha), share = the signal's COUNT_ALPHA_SHARES entry (1 without a signal: the whole alpha). */
export function countThreshold(alpha: number, signal?: CountSignal): number {
  return 1 / ((signal ? COUNT_ALPHA_SHARES[signal] : 1) * alpha);
}

/**
 * Point estimate of the rate ratio: (x/E_t)/(y/E_c); with no control event
 * the control count is taken as 0.5 so that the ratio stays finite.
 */
export function rateRatioEstimate(ev: CountEvidence): number {
  const et = nonNegative(ev.patchedHostHours);
  const ec = nonNegative(ev.controlHostHours);
  const x = nonNegative(ev.patchedEvents);
  const y = nonNegative(ev.controlEvents);
  if (et === 0 || ec === 0) return 1;
  if (x === 0) return 0;
  return x / et / (Math.max(y, 0.5) / ec);
}

/** ln of the count gate's evidence: per interval when the evidence carries increments, else on the totals. */
export function countEvidenceLog(ev: CountEvidence): number {
  const state = newCountTest();
  if (ev.increments && ev.increments.length > 0) for (const inc of ev.increments) addCountIncrement(state, inc);
  else addCountIncrement(state, ev);
  return countLogEvidence(state);
}

function judgeCount(signal: CountSignal, ev: CountEvidence, cohort: CohortEvidence, alpha: number): SignalVerdict {
  const share = COUNT_ALPHA_SHARES[signal];
  const threshold = countThreshold(alpha, signal);
  const logE = countEvidenceLog(ev);
  const statistic = Math.min(Math.exp(logE), Number.MAX_VALUE);
  const tripped = logE >= Math.log(threshold);
  const estimate = rateRatioEstimate(ev);
  const [one, many] = SIGNAL_WORDS[signal];
  const y = nonNegative(ev.controlEvents);
  const against =
    cohort.mode === 'controls'
      ? `against ${formatAmount(y)} in ${formatHours(nonNegative(ev.controlHostHours))} on ${formatAmount(cohort.controlHosts)} unpatched`
      : `against ${formatAmount(y)} in ${formatHours(nonNegative(ev.controlHostHours))} on the same hosts before the install`;
  const evidence = `evidence ${formatEvidence(statistic)} ${tripped ? '>=' : '<'} ${formatEvidence(threshold)} = 1/(${formatPercent(share)} of alpha ${alpha})`;
  const summary =
    nonNegative(ev.patchedHostHours) === 0 || nonNegative(ev.controlHostHours) === 0
      ? `${countOf(nonNegative(ev.patchedEvents), one, many)} in ${formatHours(nonNegative(ev.patchedHostHours))} host-hours on ${formatAmount(cohort.patchedHosts)} patched hosts ${against}: nothing to compare yet`
      : `${countOf(nonNegative(ev.patchedEvents), one, many)} in ${formatHours(nonNegative(ev.patchedHostHours))} host-hours on ${formatAmount(cohort.patchedHosts)} patched hosts ${against}: rate ${formatRatio(estimate)}, ${evidence}`;
  return { gate: signal, tripped, statistic, threshold, estimate, summary, logStatistic: logE };
}

const OUTCOME_WORDS = {
  'install-failure': { failed: 'installs failed', of: 'patched hosts' },
  'boot-failure': { failed: 'hosts not back after reboot', of: 'rebooted patched hosts' },
} as const;

function judgeOutcome(gate: 'install-failure' | 'boot-failure', ev: OutcomeEvidence, alpha: number): SignalVerdict[] {
  const n = Math.floor(nonNegative(ev.trials));
  const x = Math.min(Math.floor(nonNegative(ev.failures)), n);
  const bt = Math.floor(nonNegative(ev.baselineTrials));
  const bf = Math.min(Math.floor(nonNegative(ev.baselineFailures)), bt);
  const words = OUTCOME_WORDS[gate];
  const observed = `${formatAmount(x)} of ${formatAmount(n)} ${words.of} (${formatPercent(n > 0 ? x / n : 0)})`;
  const history = bt > 0 ? `class history ${formatAmount(bf)} of ${formatAmount(bt)} (${formatPercent(bf / bt)})` : 'no class history (prior about 1 %)';
  const threshold = outcomeThreshold(alpha);
  const statistic = harmProbability(ev, HARM_FACTOR, undefined, threshold);
  const tripped = statistic >= threshold;
  const verdicts: SignalVerdict[] = [
    {
      gate,
      tripped,
      statistic,
      threshold,
      estimate: n > 0 ? x / n : 0,
      summary: `${words.failed}: ${observed} against ${history}: P(rate > x${HARM_FACTOR} baseline) ${formatPercent(statistic)} ${tripped ? '>=' : '<'} ${formatPercent(threshold)}`,
    },
  ];
  const limit = smallSampleLimit(ev, gate);
  const rule = `${limit.reached ? 'reached' : 'below'} the small-sample limit of ${limit.minFailures} and ${formatPercent(limit.minShare)}`;
  verdicts.push({
    gate: 'absolute-limit',
    subject: gate,
    tripped: limit.reached,
    statistic: x,
    threshold: Math.max(limit.minFailures, Math.ceil(limit.minShare * n - 1e-9)),
    estimate: n > 0 ? x / n : 0,
    summary: limit.historyShowsNone
      ? `${words.failed}: ${observed} while the class's history shows none${bt > 0 ? ` in ${formatAmount(bt)}` : ''}: ${rule}`
      : `${words.failed}: ${observed} against ${history}: ${rule} (at least ${RATIO_MIN_MULTIPLE} times the history's rate)`,
  });
  return verdicts;
}

/** Judges one cohort: one verdict per present signal; tripped when any gate trips. */
export function evaluateCohort(evidence: CohortEvidence, options: GateOptions): GateVerdict {
  const alpha = options.alpha;
  if (!(alpha > 0 && alpha < 0.5)) throw new PfError(Errors.VALIDATION, `gate alpha must be between 0 and 0.5, got ${alpha}`);
  const verdicts: SignalVerdict[] = [];
  for (const signal of COUNT_SIGNALS) {
    const ev = evidence.counts[signal];
    if (ev) verdicts.push(judgeCount(signal, ev, evidence, alpha));
  }
  if (nonNegative(evidence.installs.trials) >= 1) verdicts.push(...judgeOutcome('install-failure', evidence.installs, alpha));
  if (nonNegative(evidence.boots.trials) >= 1) verdicts.push(...judgeOutcome('boot-failure', evidence.boots, alpha));
  return { tripped: verdicts.some((v) => v.tripped), verdicts };
}
