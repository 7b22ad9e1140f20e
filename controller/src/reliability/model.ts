/**
 * The reliability model: how likely a patch is to harm a host, per host class
 * and for the patch as a whole. Pure: evidence in, estimates out.
 *
 * 1. Per-host outcomes are Beta-Binomial. A host is harmed when its install
 *    failed, it was rolled back (not a precautionary rollback of a cohort),
 *    it did not come back after its reboot, or an incident lists it among the
 *    harmed hosts. θ (the share of hosts a patch harms) has a Beta prior.
 * 2. The prior is seeded before the fleet has seen the patch:
 *    - a base rate: DEFAULT_BASE_RATE, shrunk toward the fleet's own history
 *      with the same product (earlier KBs of the same Windows products,
 *      earlier notices of the same Ubuntu source packages), worth
 *      BASE_PRIOR_HOSTS pseudo-hosts;
 *    - known issues add pseudo-harmed hosts: ISSUE_WEIGHT (vendor-confirmed
 *      1, user reports 0.3, by-design 0). A patch named as another record's
 *      `fixedBy` inherits nothing: the fix does not carry the bug.
 * 3. Partial pooling: the patch-level posterior mean μ is the prior mean of
 *    every class, with a strength κ (pseudo-hosts) estimated from the spread
 *    of the classes' failure rates (method of moments on the Beta-Binomial,
 *    empirical Bayes): classes that agree pool strongly, classes that differ
 *    keep their own evidence. With fewer than two classes with data, κ is
 *    DEFAULT_KAPPA.
 * 4. Health events (crashes, failures, shutdowns, probe failures) are
 *    Gamma-Poisson when hourly roll-ups exist: the patched rate (after install)
 *    has a Gamma prior centred on the baseline rate (the same hosts before),
 *    worth RATE_PRIOR_HOURS host-hours; the excess over the baseline per
 *    host-day, taken at the lower 10 % point of the patched rate's posterior
 *    (so noise moves nothing), becomes a probability of at least one extra
 *    event per host-day, 1 - exp(-excess), which combines with θ as
 *    independent harms.
 *
 * Score: 100 × (1 - pHarm)^20, rounded: the chance that a 20-host wave (a Test
 * ring) comes through without one harmed host. pHarm 0.1 % -> 98, 0.5 % -> 90,
 * 1 % -> 82, 5 % -> 36, 10 % -> 12.
 * Confidence: n / (n + CONFIDENCE_HALF) where n is the effective sample size:
 * hosts with an outcome (a class also counts half of what it borrows from the
 * other classes) plus what external signals are worth (2 per known issue, a
 * fifth of the history's hosts up to 20).
 */

/** Share of hosts a typical patch harms, before anything is known. */
export const DEFAULT_BASE_RATE = 0.005;
/** Pseudo-hosts the base rate is worth. */
export const BASE_PRIOR_HOSTS = 40;
/** How strongly DEFAULT_BASE_RATE holds against the product's history (pseudo-hosts). */
export const HISTORY_SHRINK_HOSTS = 50;
/** Pseudo-harmed hosts each known issue adds to the prior, by status. */
export const ISSUE_WEIGHT: Readonly<Record<KnownIssueStatus, number>> = Object.freeze({ confirmed: 1, reported: 0.3, 'by-design': 0 });
/** Pooling strength when it cannot be estimated (fewer than two classes with data). */
export const DEFAULT_KAPPA = 20;
export const KAPPA_MIN = 2;
export const KAPPA_MAX = 200;
/** Host-hours the baseline rate is worth as the prior of the patched rate. */
export const RATE_PRIOR_HOURS = 100;
/** Events per host-day assumed when a baseline has no hours. */
export const DEFAULT_EVENT_RATE_PER_DAY = 0.05;
/** Hosts of evidence at which confidence is one half. */
export const CONFIDENCE_HALF = 30;
/** Hosts in the wave the score speaks of. */
export const SCORE_WAVE = 20;

export type KnownIssueStatus = 'confirmed' | 'reported' | 'by-design';

/** A known-issue record bearing on the patch: its own, or one it fixes (`fixedBy` = the patch). */
export interface KnownIssueSignal {
  patchId: string;
  status: KnownIssueStatus;
  symptom: string;
  scope: string;
  fixedBy: string | null;
}

/** The fleet's outcomes with earlier patches of the same product. */
export interface ProductHistory {
  /** In words, e.g. `Windows 11 Version 24H2 for x64-based Systems` or `source package openssl`. */
  product: string;
  patches: number;
  trials: number;
  harmed: number;
}

/** Events against exposure, measured in online host-hours. */
export interface RateEvidence {
  patchedEvents: number;
  patchedHostHours: number;
  baselineEvents: number;
  baselineHostHours: number;
}

/** Per-host outcomes of one class with the patch. A host counts once in `harmed`, whatever harmed it. */
export interface ClassOutcomes {
  hostClass: string;
  /** Hosts with an outcome (install finished one way or the other). */
  trials: number;
  harmed: number;
  installFailed: number;
  rolledBack: number;
  bootFailed: number;
  /** Listed as harmed by an incident (health regression). */
  incidentHarmed: number;
  /** Not back after reboot in this class with earlier patches of the same product (the words compare with it). */
  bootBaseline?: { trials: number; failures: number };
  health?: RateEvidence;
}

export interface ReliabilityInput {
  patchId: string;
  /** Records whose patchId or fixedBy is this patch. */
  knownIssues: KnownIssueSignal[];
  history: ProductHistory | null;
  classes: ClassOutcomes[];
}

export interface ReliabilityEstimate {
  /** '' for the patch as a whole. */
  hostClass: string;
  pHarm: number;
  score: number;
  confidence: number;
  reasons: string[];
  evidence: Record<string, unknown>;
}

export interface ReliabilityResult {
  patch: ReliabilityEstimate;
  classes: ReliabilityEstimate[];
}

/** 0-100 from a probability of harm (see the file comment). */
export function scoreOf(pHarm: number): number {
  return Math.round(100 * Math.pow(1 - Math.min(1, Math.max(0, pHarm)), SCORE_WAVE));
}

export function confidenceOf(effectiveHosts: number): number {
  const n = Math.max(0, effectiveHosts);
  return Math.round((n / (n + CONFIDENCE_HALF)) * 1000) / 1000;
}

/** `Ubuntu 24.04 / ThinkPad T14 / web` from the class key `["ubuntu","24.04","ThinkPad T14","web"]`. */
export function classLabel(hostClass: string): string {
  if (hostClass === '') return 'all hosts';
  try {
    const parts = JSON.parse(hostClass) as unknown;
    if (!Array.isArray(parts)) return hostClass;
    const [os, build, ...rest] = parts.map((p) => String(p ?? ''));
    const osName = os ? os.charAt(0).toUpperCase() + os.slice(1) : '';
    return [[osName, build].filter(Boolean).join(' '), ...rest].filter((p) => p !== '').join(' / ') || 'unknown class';
  } catch {
    return hostClass; // not a class key we made: show it as it is
  }
}

export function percent(p: number): string {
  const v = p * 100;
  return `${v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2).replace(/0$/, '')} %`;
}

function vendorOf(patchId: string): string {
  if (/^KB\d+$/i.test(patchId)) return 'Microsoft';
  if (/^USN-/i.test(patchId)) return 'Canonical';
  return 'the vendor';
}

function hostsWord(n: number): string {
  return n === 1 ? 'host' : 'hosts';
}

interface Prior {
  alpha: number;
  beta: number;
  /** Hosts' worth of external information, for the confidence. */
  external: number;
  reasons: string[];
  confirmed: number;
  reported: number;
}

function priorOf(input: ReliabilityInput): Prior {
  const reasons: string[] = [];
  const h = input.history;
  let mean = DEFAULT_BASE_RATE;
  let external = 0;
  if (h !== null && h.trials > 0) {
    mean = (h.harmed + HISTORY_SHRINK_HOSTS * DEFAULT_BASE_RATE) / (h.trials + HISTORY_SHRINK_HOSTS);
    external += 0.2 * Math.min(h.trials, 100);
    reasons.push(`product history: ${h.harmed} of ${h.trials} ${hostsWord(h.trials)} harmed by ${h.patches} earlier ${h.patches === 1 ? 'patch' : 'patches'} of ${h.product} (${percent(h.harmed / h.trials)}); base rate ${percent(mean)}`);
  } else {
    reasons.push(`no fleet history with ${h?.product ?? 'this product'}: base rate ${percent(DEFAULT_BASE_RATE)}`);
  }
  let alpha = BASE_PRIOR_HOSTS * mean;
  const beta = BASE_PRIOR_HOSTS * (1 - mean);
  let confirmed = 0;
  let reported = 0;
  const vendor = vendorOf(input.patchId);
  for (const issue of input.knownIssues) {
    const scope = issue.scope ? ` (${issue.scope})` : '';
    if (issue.patchId !== input.patchId) {
      // Named as the fix of another patch's issue: the fix does not carry the bug.
      if (issue.fixedBy === input.patchId) reasons.push(`fixes a known issue of ${issue.patchId}: ${issue.symptom}; counts nothing against this patch`);
      continue;
    }
    alpha += ISSUE_WEIGHT[issue.status];
    if (issue.status === 'confirmed') {
      confirmed += 1;
      external += 2;
      reasons.push(`${vendor} confirms a known issue: ${issue.symptom}${scope}${issue.fixedBy ? `; fixed by ${issue.fixedBy}` : ''}`);
    } else if (issue.status === 'reported') {
      reported += 1;
      external += 2;
      reasons.push(`users report (not confirmed by ${vendor}): ${issue.symptom}${scope}`);
    } else {
      reasons.push(`by design, not counted: ${issue.symptom}`);
    }
  }
  return { alpha, beta, external, reasons, confirmed, reported };
}

/** Pooling strength from the spread of the classes' failure rates (method of moments), clamped. */
export function poolingStrength(classes: readonly { trials: number; harmed: number }[]): number {
  const withData = classes.filter((c) => c.trials > 0);
  const n = withData.reduce((a, c) => a + c.trials, 0);
  if (withData.length < 2 || n < 2) return DEFAULT_KAPPA;
  const p = withData.reduce((a, c) => a + c.harmed, 0) / n;
  if (p <= 0 || p >= 1) return KAPPA_MAX;
  const spread = withData.reduce((a, c) => a + c.trials * (c.harmed / c.trials - p) ** 2, 0);
  const denominator = n - withData.reduce((a, c) => a + c.trials * c.trials, 0) / n;
  if (denominator <= 0) return DEFAULT_KAPPA;
  const between = (spread - (withData.length - 1) * p * (1 - p)) / denominator;
  if (between <= 0) return KAPPA_MAX;
  return Math.min(KAPPA_MAX, Math.max(KAPPA_MIN, (p * (1 - p)) / between - 1));
}

/** The q-quantile of Gamma(shape, rate) by the Wilson-Hilferty cube approximation (never below 0). */
export function gammaQuantile(shape: number, rate: number, z: number): number {
  const v = 1 / (9 * shape);
  return (shape * Math.max(0, 1 - v + z * Math.sqrt(v)) ** 3) / rate;
}

/** z of the lower 10 % point: the excess a health channel counts is the one the data shows with 90 % credibility. */
const LOWER_Z = -1.2816;

/**
 * Excess events per host-day over the baseline and the probability of at
 * least one extra event per host-day. The excess is taken at the lower 10 %
 * point of the patched rate's posterior, so one stray crash on a few hosts
 * moves nothing while a real rise does.
 */
export function healthHarm(e: RateEvidence): { pHealth: number; patchedPerDay: number; baselinePerDay: number; ratio: number } {
  const defaultPerHour = DEFAULT_EVENT_RATE_PER_DAY / 24;
  const baseline = (e.baselineEvents + 1) / (e.baselineHostHours + 1 / defaultPerHour);
  const shape = baseline * RATE_PRIOR_HOURS + e.patchedEvents;
  const rate = RATE_PRIOR_HOURS + e.patchedHostHours;
  const patched = shape / rate;
  const excessPerDay = Math.max(0, gammaQuantile(shape, rate, LOWER_Z) - baseline) * 24;
  return { pHealth: 1 - Math.exp(-excessPerDay), patchedPerDay: patched * 24, baselinePerDay: baseline * 24, ratio: patched / baseline };
}

function healthReason(label: string, e: RateEvidence, ratio: number): string {
  const hours = (h: number) => Math.round(h).toLocaleString('en-US');
  return `${e.patchedEvents} health events in ${hours(e.patchedHostHours)} host-hours after install on ${label} against ${e.baselineEvents} in ${hours(e.baselineHostHours)} before (rate x${ratio.toFixed(1)})`;
}

function outcomeReasons(c: ClassOutcomes, label: string): string[] {
  const reasons: string[] = [];
  const of = `of ${c.trials} ${hostsWord(c.trials)} of class ${label}`;
  if (c.bootFailed > 0) {
    const base = c.bootBaseline && c.bootBaseline.trials > 0 ? `; class baseline ${percent(c.bootBaseline.failures / c.bootBaseline.trials)} (${c.bootBaseline.failures} of ${c.bootBaseline.trials} with earlier patches of the product)` : '';
    reasons.push(`${c.bootFailed} ${of} did not come back after reboot${base}`);
  }
  if (c.installFailed > 0) reasons.push(`${c.installFailed} ${of} failed to install`);
  if (c.rolledBack > 0) reasons.push(`${c.rolledBack} ${of} ${c.rolledBack === 1 ? 'was' : 'were'} rolled back`);
  if (c.incidentHarmed > 0) reasons.push(`${c.incidentHarmed} ${of} ${c.incidentHarmed === 1 ? 'was' : 'were'} harmed by a health regression (incident)`);
  if (c.harmed === 0 && c.trials > 0) reasons.push(`${c.trials} of ${c.trials} ${hostsWord(c.trials)} of class ${label} installed cleanly`);
  return reasons;
}

function summary(pHarm: number, score: number, confidence: number, hostsOfEvidence: number): string {
  return `score ${score} (the chance a ${SCORE_WAVE}-host wave sees no harmed host) at P(harm) ${percent(pHarm)}; confidence ${confidence.toFixed(2)} (evidence worth ${Math.round(hostsOfEvidence)} ${hostsWord(Math.round(hostsOfEvidence))})`;
}

function sumRates(list: readonly RateEvidence[]): RateEvidence | undefined {
  if (list.length === 0) return undefined;
  return list.reduce((a, e) => ({
    patchedEvents: a.patchedEvents + e.patchedEvents,
    patchedHostHours: a.patchedHostHours + e.patchedHostHours,
    baselineEvents: a.baselineEvents + e.baselineEvents,
    baselineHostHours: a.baselineHostHours + e.baselineHostHours,
  }));
}

/** Estimates the patch and each class (see the file comment). */
export function estimateReliability(input: ReliabilityInput): ReliabilityResult {
  const prior = priorOf(input);
  const trials = input.classes.reduce((a, c) => a + c.trials, 0);
  const harmed = input.classes.reduce((a, c) => a + c.harmed, 0);
  const alpha = prior.alpha + harmed;
  const beta = prior.beta + (trials - harmed);
  const mu = alpha / (alpha + beta);
  const kappa = poolingStrength(input.classes);

  const classes = input.classes.map((c): ReliabilityEstimate => {
    const label = classLabel(c.hostClass);
    const a = kappa * mu + c.harmed;
    const b = kappa * (1 - mu) + (c.trials - c.harmed);
    const pOutcome = a / (a + b);
    const reasons = outcomeReasons(c, label);
    let pHealth = 0;
    if (c.health && c.health.patchedHostHours > 0) {
      const h = healthHarm(c.health);
      pHealth = h.pHealth;
      reasons.push(healthReason(label, c.health, h.ratio));
    }
    const pHarm = 1 - (1 - pOutcome) * (1 - pHealth);
    const borrowed = 0.5 * Math.min(kappa, trials - c.trials);
    const effective = c.trials + borrowed + 0.5 * prior.external;
    const others = input.classes.length - 1;
    if (others > 0) reasons.push(`pooled with ${others} other ${others === 1 ? 'class' : 'classes'} of this patch (pooling strength ${kappa.toFixed(0)} hosts, patch-level P(harm) ${percent(mu)})`);
    const score = scoreOf(pHarm);
    const confidence = confidenceOf(effective);
    reasons.push(summary(pHarm, score, confidence, effective));
    return {
      hostClass: c.hostClass,
      pHarm,
      score,
      confidence,
      reasons,
      evidence: { ...c, pOutcome, pHealth, kappa, patchMean: mu },
    };
  });

  // The patch as a whole: the pooled outcomes, and the pooled health rates.
  const reasons: string[] = [];
  const worst = [...classes].sort((x, y) => y.pHarm - x.pHarm)[0];
  for (const c of input.classes) reasons.push(...outcomeReasons(c, classLabel(c.hostClass)).filter((r) => !r.includes('installed cleanly')));
  const clean = input.classes.filter((c) => c.trials > 0 && c.harmed === 0);
  if (clean.length > 0) reasons.push(`${clean.reduce((a, c) => a + c.trials, 0)} hosts in ${clean.length} ${clean.length === 1 ? 'class' : 'classes'} installed cleanly`);
  const health = sumRates(input.classes.flatMap((c) => (c.health && c.health.patchedHostHours > 0 ? [c.health] : [])));
  let pHealth = 0;
  if (health) {
    const h = healthHarm(health);
    pHealth = h.pHealth;
    reasons.push(healthReason('patched hosts', health, h.ratio));
  }
  if (trials === 0) {
    const parts = [
      prior.confirmed > 0 ? `${prior.confirmed} vendor-confirmed ${prior.confirmed === 1 ? 'issue' : 'issues'}` : '',
      prior.reported > 0 ? `${prior.reported} user ${prior.reported === 1 ? 'report' : 'reports'}` : '',
      input.history && input.history.trials > 0 ? 'the product history' : '',
    ].filter(Boolean);
    reasons.unshift(`no fleet evidence yet: prior from ${parts.length > 0 ? parts.join(', ') : 'the base rate alone'}`);
  }
  reasons.push(...prior.reasons);
  if (worst && classes.length > 1) reasons.push(`worst class: ${classLabel(worst.hostClass)}, score ${worst.score}`);
  const pHarm = 1 - (1 - mu) * (1 - pHealth);
  const effective = trials + prior.external;
  const score = scoreOf(pHarm);
  const confidence = confidenceOf(effective);
  reasons.push(summary(pHarm, score, confidence, effective));
  return {
    patch: {
      hostClass: '',
      pHarm,
      score,
      confidence,
      reasons,
      evidence: { trials, harmed, priorAlpha: prior.alpha, priorBeta: prior.beta, confirmedIssues: prior.confirmed, reportedIssues: prior.reported, history: input.history, kappa, pHealth, health: health ?? null },
    },
    classes,
  };
}
