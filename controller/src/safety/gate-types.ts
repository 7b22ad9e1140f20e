/**
 * What the planner hands the gates and what they answer (contract between
 * safety/cohorts.ts, which measures a cohort, and safety/stats/, which
 * judges it). Pure data: no database, no clock.
 */

/** Count signals measured in online host-hours. */
export const COUNT_SIGNALS = ['app-crash', 'kernel-crash', 'service-failure', 'unexpected-shutdown', 'probe-failure'] as const;
export type CountSignal = (typeof COUNT_SIGNALS)[number];

/** Events and exposure of one count signal: patched hosts since their install against controls over the same hours (or the same hosts before). */
export interface CountEvidence {
  patchedEvents: number;
  /** Online host-hours of the patched hosts, from their install time, with this signal's source available. */
  patchedHostHours: number;
  controlEvents: number;
  controlHostHours: number;
  /**
   * Optional: the same counts per interval (e.g. per hour of the hourly
   * roll-ups), summing to the totals above. When present the test weighs
   * each interval with its own exposure ratio, which stays exact when the
   * patched share moves (waves) and an outage hits patched and unpatched
   * alike; without it the cumulative ratio is used (exact only when the
   * patched share of exposure is constant).
   */
  increments?: CountIncrement[];
}

/** One interval of a count signal (same fields as the totals). */
export interface CountIncrement {
  patchedEvents: number;
  patchedHostHours: number;
  controlEvents: number;
  controlHostHours: number;
}

/** Per-host outcomes (install failed, not back after reboot) against the class baseline. */
export interface OutcomeEvidence {
  /** Hosts with an outcome so far (installs finished; reboots due and resolved). */
  trials: number;
  failures: number;
  /** The class's baseline from history (other patches, controls): trials and failures. */
  baselineTrials: number;
  baselineFailures: number;
}

export interface CohortEvidence {
  patchId: string;
  /** hostClassOf(...) of the class. */
  hostClass: string;
  /** controls: unpatched hosts of the class over the same hours; before-after: the patched hosts before their install. */
  mode: 'controls' | 'before-after';
  patchedHosts: number;
  controlHosts: number;
  /** Absent signal: its source is unavailable on these hosts (not counted as zero). */
  counts: Partial<Record<CountSignal, CountEvidence>>;
  installs: OutcomeEvidence;
  boots: OutcomeEvidence;
  /** Hours since the first install of the cohort. */
  hoursSinceFirstInstall: number;
}

export interface GateOptions {
  /**
   * False-trip level of the cohort (default 0.01). Count gates share it in
   * fixed parts (COUNT_ALPHA_SHARES in stats/evaluate.ts): each is an
   * anytime-valid bound over the whole watch and trips at evidence >=
   * 1/(share x alpha), so together they trip falsely at most alpha. Outcome
   * gates: posterior probability of harm >= 1 - alpha, each at the full level
   * (false trips measured, not bounded; README, "Gates").
   */
  alpha: number;
}

/** One signal's verdict, with the statistic and the words to show. */
export interface SignalVerdict {
  /** A CountSignal, 'install-failure', 'boot-failure', or 'absolute-limit'. */
  gate: string;
  tripped: boolean;
  /** The test statistic (e.g. the mixture likelihood ratio, or the posterior probability of harm). */
  statistic: number;
  /** The level that trips it (e.g. 1/alpha). */
  threshold: number;
  /** Point estimate of the effect (rate ratio, or failure probability). */
  estimate: number;
  /** In words, e.g. "6 crashes in 120 host-hours on patched hosts against 3 in 2,400 on unpatched (rate x40)". */
  summary: string;
  /** Natural log of the statistic for the count gates (finite when the statistic itself overflows). */
  logStatistic?: number;
  /** For 'absolute-limit': which outcome it judged ('install-failure' or 'boot-failure'). */
  subject?: string;
}

export interface GateVerdict {
  tripped: boolean;
  verdicts: SignalVerdict[];
}
