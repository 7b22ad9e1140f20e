/**
 * The Monte-Carlo scenarios that prove the gates (gates.montecarlo.test.ts
 * asserts the bounds, `pnpm bench:gates` prints the same figures). Each
 * scenario is seeded, so a run is the same on every machine.
 *
 * Count signals run through the planner's own functions (newCountTest,
 * addCountIncrement, countLogEvidence: what evaluateCohort folds), hour by
 * hour; the outcome scenarios call evaluateCohort itself.
 */
import type { CohortEvidence, CountSignal, OutcomeEvidence } from '../gate-types';
import { COUNT_SIGNALS } from '../gate-types';
import { countThreshold, evaluateCohort } from './evaluate';
import { addCountIncrement, countLogEvidence, newCountTest, uniformMixtureLogEvidence } from './rate-ratio';
import { binomial, logUniform, poisson, seededUniform, type Uniform } from './simulation';

const HOURS_PER_DAY = 24;

/** How often each test tripped, and when. */
export interface TripRates {
  runs: number;
  /** Share of runs where our gate tripped (within the scenario's horizon). */
  ours: number;
  /** The same for the plain uniform-mixture test on the same draws. */
  uniform: number;
  /** Median hour of the first trip (Infinity when fewer than half tripped). */
  oursMedianHours: number;
  uniformMedianHours: number;
}

function median(hours: number[]): number {
  const sorted = [...hours].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Infinity;
}

/** One hour of a count signal at constant exposure: expected events on each side and the host-hours. */
interface HourlyStep {
  patchedMean: number;
  controlMean: number;
  patchedHostHours: number;
  controlHostHours: number;
}

/**
 * One count signal of one cohort, watched hour by hour against `threshold`
 * (ours and the uniform mixture at the same level); returns the first trip
 * hour of each test (Infinity: never).
 */
function watchCount(u: Uniform, hours: number, threshold: number, s: HourlyStep): { ours: number; uniform: number } {
  const state = newCountTest();
  const logThreshold = Math.log(threshold);
  let ours = Infinity;
  let uniform = Infinity;
  let x = 0;
  let n = 0;
  let et = 0;
  let ec = 0;
  for (let h = 1; h <= hours && (ours === Infinity || uniform === Infinity); h++) {
    const px = poisson(u, s.patchedMean);
    const cy = poisson(u, s.controlMean);
    x += px;
    n += px + cy;
    et += s.patchedHostHours;
    ec += s.controlHostHours;
    addCountIncrement(state, { patchedEvents: px, patchedHostHours: s.patchedHostHours, controlEvents: cy, controlHostHours: s.controlHostHours });
    // Every prior ratio is above 1, so the evidence can only rise in an hour with a patched event: checking then is checking every hour.
    if (ours === Infinity && px > 0 && countLogEvidence(state) >= logThreshold) ours = h;
    if (uniform === Infinity && px + cy > 0 && uniformMixtureLogEvidence(x, n, et / (et + ec)) >= logThreshold) uniform = h;
  }
  return { ours, uniform };
}

/** Options shared by the count scenarios: `alpha` is the cohort's, each signal's gate gets its share (COUNT_ALPHA_SHARES). */
export interface CountScenario {
  runs: number;
  seed: number;
  alpha: number;
}

/** False-trip shares of one signal's gate in the no-effect scenario. */
export interface SignalTrips {
  /** 1/(share·alpha): the level both tests were held to. */
  threshold: number;
  ours: number;
  uniform: number;
}

/**
 * No effect: patched hosts 5..5,000 against unpatched 5..50,000 (log-uniform),
 * each of the cohort's `signals` (default: all five count signals)
 * independent with its own baseline of 0.005..0.2 events per host-day,
 * checked every hour for 21 days, each gate at its share of alpha. A cohort
 * trips when any of its signals trips.
 */
export function noEffect(opts: CountScenario & { signals?: readonly CountSignal[]; days?: number }): TripRates & { perSignal: Partial<Record<CountSignal, SignalTrips>> } {
  const signals = opts.signals ?? COUNT_SIGNALS;
  const u = seededUniform(opts.seed);
  const hours = (opts.days ?? 21) * HOURS_PER_DAY;
  let cohortOurs = 0;
  let cohortUniform = 0;
  const signalOurs = signals.map(() => 0);
  const signalUniform = signals.map(() => 0);
  const oursHours: number[] = [];
  const uniformHours: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const patched = Math.round(logUniform(u, 5, 5000));
    const controls = Math.round(logUniform(u, 5, 50_000));
    let firstOurs = Infinity;
    let firstUniform = Infinity;
    signals.forEach((signal, s) => {
      const perHostHour = logUniform(u, 0.005, 0.2) / HOURS_PER_DAY;
      const step = { patchedMean: patched * perHostHour, controlMean: controls * perHostHour, patchedHostHours: patched, controlHostHours: controls };
      const t = watchCount(u, hours, countThreshold(opts.alpha, signal), step);
      if (t.ours < Infinity) signalOurs[s]!++;
      if (t.uniform < Infinity) signalUniform[s]!++;
      firstOurs = Math.min(firstOurs, t.ours);
      firstUniform = Math.min(firstUniform, t.uniform);
    });
    if (firstOurs < Infinity) cohortOurs++;
    if (firstUniform < Infinity) cohortUniform++;
    oursHours.push(firstOurs);
    uniformHours.push(firstUniform);
  }
  const perSignal: Partial<Record<CountSignal, SignalTrips>> = {};
  signals.forEach((signal, s) => {
    perSignal[signal] = { threshold: countThreshold(opts.alpha, signal), ours: signalOurs[s]! / opts.runs, uniform: signalUniform[s]! / opts.runs };
  });
  return {
    runs: opts.runs,
    ours: cohortOurs / opts.runs,
    uniform: cohortUniform / opts.runs,
    perSignal,
    oursMedianHours: median(oursHours),
    uniformMedianHours: median(uniformHours),
  };
}

/**
 * With effect: `patched` hosts against `controls`, baseline per host-day,
 * patched rate × ratio; trip within `days`. Both tests are held to the
 * threshold of `signal` (default app-crash: 1/(0.5·alpha)).
 */
export function withEffect(
  opts: CountScenario & { patched: number; controls: number; baselinePerDay: number; ratio: number; days: number; signal?: CountSignal },
): TripRates & { threshold: number } {
  const u = seededUniform(opts.seed);
  const threshold = countThreshold(opts.alpha, opts.signal ?? 'app-crash');
  const perHostHour = opts.baselinePerDay / HOURS_PER_DAY;
  const step = {
    patchedMean: opts.patched * perHostHour * opts.ratio,
    controlMean: opts.controls * perHostHour,
    patchedHostHours: opts.patched,
    controlHostHours: opts.controls,
  };
  const oursHours: number[] = [];
  const uniformHours: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const t = watchCount(u, opts.days * HOURS_PER_DAY, threshold, step);
    oursHours.push(t.ours);
    uniformHours.push(t.uniform);
  }
  return {
    runs: opts.runs,
    threshold,
    ours: oursHours.filter((h) => h < Infinity).length / opts.runs,
    uniform: uniformHours.filter((h) => h < Infinity).length / opts.runs,
    oursMedianHours: median(oursHours),
    uniformMedianHours: median(uniformHours),
  };
}

/**
 * Incidents under waves: the patched share of the class grows from 5 % to
 * 80 % over 21 days (waves every 3 days), and three outages multiply every
 * host's event rate by 20 for 6 hours, patched and unpatched alike. No harm:
 * any trip is false. Compares the per-hour test (increments, what the gate
 * does when cohorts.ts hands it hourly roll-ups) with the same mixture on
 * cumulative totals (a single cumulative exposure ratio). Application
 * crashes, at their share of alpha.
 */
export function incidentsUnderWaves(opts: CountScenario & { hosts: number }): { runs: number; perHour: number; cumulative: number } {
  const u = seededUniform(opts.seed);
  const hours = 21 * HOURS_PER_DAY;
  const logThreshold = Math.log(countThreshold(opts.alpha, 'app-crash'));
  let perHourTrips = 0;
  let cumulativeTrips = 0;
  for (let i = 0; i < opts.runs; i++) {
    const perHostHour = logUniform(u, 0.005, 0.2) / HOURS_PER_DAY;
    const outages = [0, 1, 2].map(() => 1 + Math.floor(u() * (hours - 6)));
    const perHour = newCountTest();
    let tripped = false;
    let cumulativeTripped = false;
    const totals = { patchedEvents: 0, patchedHostHours: 0, controlEvents: 0, controlHostHours: 0 };
    for (let h = 1; h <= hours; h++) {
      const wave = Math.floor((h - 1) / (3 * HOURS_PER_DAY));
      const share = Math.min(0.8, 0.05 + wave * 0.125);
      const patched = Math.round(opts.hosts * share);
      const controls = opts.hosts - patched;
      const surge = outages.some((start) => h >= start && h < start + 6) ? 20 : 1;
      const inc = {
        patchedEvents: poisson(u, patched * perHostHour * surge),
        patchedHostHours: patched,
        controlEvents: poisson(u, controls * perHostHour * surge),
        controlHostHours: controls,
      };
      addCountIncrement(perHour, inc);
      totals.patchedEvents += inc.patchedEvents;
      totals.patchedHostHours += inc.patchedHostHours;
      totals.controlEvents += inc.controlEvents;
      totals.controlHostHours += inc.controlHostHours;
      if (!tripped && inc.patchedEvents > 0 && countLogEvidence(perHour) >= logThreshold) tripped = true;
      if (!cumulativeTripped && inc.patchedEvents + inc.controlEvents > 0) {
        const once = newCountTest();
        addCountIncrement(once, totals);
        if (countLogEvidence(once) >= logThreshold) cumulativeTripped = true;
      }
    }
    if (tripped) perHourTrips++;
    if (cumulativeTripped) cumulativeTrips++;
  }
  return { runs: opts.runs, perHour: perHourTrips / opts.runs, cumulative: cumulativeTrips / opts.runs };
}

type OutcomeGate = 'install-failure' | 'boot-failure';

function outcomeCohort(outcomes: OutcomeEvidence, gate: OutcomeGate): CohortEvidence {
  const none: OutcomeEvidence = { trials: 0, failures: 0, baselineTrials: 0, baselineFailures: 0 };
  const [installs, boots] = gate === 'boot-failure' ? [none, outcomes] : [outcomes, none];
  return { patchId: 'mc', hostClass: 'mc', mode: 'controls', patchedHosts: outcomes.trials, controlHosts: 0, counts: {}, installs, boots, hoursSinceFirstInstall: 0 };
}

/**
 * Installs one by one at failure rate `rate` against a class history, through
 * evaluateCohort; returns the install count at the first trip of the
 * posterior gate and of the small-sample limit (Infinity: never). The posterior
 * only rises with a failure, so it is evaluated after each failure.
 */
function watchInstalls(u: Uniform, rate: number, installs: number, baselineTrials: number, baselineFailures: number, alpha: number, gate: OutcomeGate = 'install-failure'): { posterior: number; absolute: number } {
  let failures = 0;
  let posterior = Infinity;
  let absolute = Infinity;
  for (let n = 1; n <= installs && (posterior === Infinity || absolute === Infinity); n++) {
    if (u() >= rate) continue;
    failures++;
    const verdict = evaluateCohort(outcomeCohort({ trials: n, failures, baselineTrials, baselineFailures }, gate), { alpha });
    for (const v of verdict.verdicts) {
      if (!v.tripped) continue;
      if (v.gate === gate) posterior = Math.min(posterior, n);
      if (v.gate === 'absolute-limit') absolute = Math.min(absolute, n);
    }
  }
  return { posterior, absolute };
}

/** Install failures at `rate` against a history of `baselineFailures` in `baselineTrials`: share of runs tripped within `installs`. */
export function installHarm(opts: { runs: number; seed: number; alpha: number; rate: number; installs: number; baselineTrials: number; baselineFailures: number }): { runs: number; tripped: number } {
  const u = seededUniform(opts.seed);
  let tripped = 0;
  for (let i = 0; i < opts.runs; i++) {
    const t = watchInstalls(u, opts.rate, opts.installs, opts.baselineTrials, opts.baselineFailures, opts.alpha);
    if (Math.min(t.posterior, t.absolute) <= opts.installs) tripped++;
  }
  return { runs: opts.runs, tripped: tripped / opts.runs };
}

/**
 * No harm on installs: the true failure rate equals the class's (0.2 % to
 * 5 %, log-uniform), the history holds 50 to 5,000 installs (log-uniform)
 * drawn at that rate, then 500 installs are watched. Returns the share of
 * runs where the posterior gate tripped, where the small-sample limit
 * ('absolute-limit') did, and where either did.
 */
export function installNoHarm(opts: { runs: number; seed: number; alpha: number; installs: number; rateLow?: number; rateHigh?: number; historyLow?: number; historyHigh?: number }): {
  runs: number;
  posterior: number;
  absolute: number;
  either: number;
} {
  const u = seededUniform(opts.seed);
  let posterior = 0;
  let absolute = 0;
  let either = 0;
  for (let i = 0; i < opts.runs; i++) {
    const rate = logUniform(u, opts.rateLow ?? 0.002, opts.rateHigh ?? 0.05);
    const history = Math.round(logUniform(u, opts.historyLow ?? 50, opts.historyHigh ?? 5000));
    const t = watchInstalls(u, rate, opts.installs, history, binomial(u, history, rate), opts.alpha);
    if (t.posterior < Infinity) posterior++;
    if (t.absolute < Infinity) absolute++;
    if (Math.min(t.posterior, t.absolute) < Infinity) either++;
  }
  return { runs: opts.runs, posterior: posterior / opts.runs, absolute: absolute / opts.runs, either: either / opts.runs };
}

/** The absolute limit's false-trip cost: share of runs it trips when a class with no failure in its history fails at true rate `rate` over `installs` (install failures, or with `gate` 'boot-failure' hosts not back after reboot). */
export function absoluteLimitCost(opts: { runs: number; seed: number; alpha: number; rate: number; installs: number; gate?: OutcomeGate }): { runs: number; absolute: number } {
  const u = seededUniform(opts.seed);
  let absolute = 0;
  for (let i = 0; i < opts.runs; i++) if (watchInstalls(u, opts.rate, opts.installs, 0, 0, opts.alpha, opts.gate).absolute < Infinity) absolute++;
  return { runs: opts.runs, absolute: absolute / opts.runs };
}
