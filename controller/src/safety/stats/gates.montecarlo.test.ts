/**
 * "Statistics, by themselves" (issue 10): the gates' error rates measured on
 * seeded simulations, printed, and held to the issue's bounds.
 * PATCHFLEET_MC_FACTOR scales the run counts (default 1: the issue's 10,000
 * cohorts); `pnpm bench:gates` prints the same figures outside vitest.
 */
import { describe, expect, it } from 'vitest';
import type { CohortEvidence, OutcomeEvidence } from '../gate-types';
import { COUNT_SIGNALS } from '../gate-types';
import { COUNT_ALPHA_SHARES, evaluateCohort } from './evaluate';
import * as mc from './montecarlo';

const FACTOR = Number(process.env.PATCHFLEET_MC_FACTOR ?? '1') > 0 ? Number(process.env.PATCHFLEET_MC_FACTOR ?? '1') : 1;
const runs = (n: number): number => Math.max(50, Math.round(n * FACTOR));
/** The cohort's alpha; each count gate gets its share (COUNT_ALPHA_SHARES). */
const ALPHA = 0.01;
const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
const hours = (h: number): string => (Number.isFinite(h) ? `${h} h` : 'never');
const print = (line: string): void => void process.stdout.write(`[gates] ${line}\n`);

describe('gates, Monte-Carlo (seeded)', () => {
  it('no effect: 10,000 cohorts with all five count signals, 5..5,000 patched against 5..50,000 unpatched, 0.005..0.2 events per host-day each, checked hourly for 21 days: cohort false trips <= 1 %', { timeout: 120_000 }, () => {
    // The shares are the union bound's: they must sum to 1 for the cohort to hold alpha.
    expect(COUNT_SIGNALS.reduce((sum, s) => sum + COUNT_ALPHA_SHARES[s], 0)).toBeCloseTo(1, 12);
    const r = mc.noEffect({ runs: runs(10_000), seed: 102, alpha: ALPHA });
    for (const signal of COUNT_SIGNALS) {
      const p = r.perSignal[signal]!;
      print(`no effect, ${signal} (share ${COUNT_ALPHA_SHARES[signal]}, threshold ${Math.round(p.threshold)}): ours ${pct(p.ours)} false trips, plain uniform mixture ${pct(p.uniform)}`);
      // Each gate holds its share of alpha (Ville), with room for the Monte-Carlo error of a small rate.
      expect(p.ours).toBeLessThanOrEqual(COUNT_ALPHA_SHARES[signal] * ALPHA + 3 * Math.sqrt((COUNT_ALPHA_SHARES[signal] * ALPHA) / r.runs));
    }
    print(`no effect, ${r.runs} cohorts x 5 independent signals: per cohort ours ${pct(r.ours)} false trips, plain uniform mixture ${pct(r.uniform)} (same thresholds)`);
    expect(r.ours).toBeLessThanOrEqual(ALPHA);
  });

  it('with effect, 20 patched against 100 unpatched at 0.05 crashes per host-day, at the application-crash share of alpha: x6 trips within 3 days >= 90 %, x3 within 10 days >= 80 %, ahead of the plain mixture', () => {
    const base = { patched: 20, controls: 100, baselinePerDay: 0.05, alpha: ALPHA, signal: 'app-crash' as const };
    const x6 = mc.withEffect({ ...base, runs: runs(4_000), seed: 201, ratio: 6, days: 3 });
    const x3 = mc.withEffect({ ...base, runs: runs(4_000), seed: 202, ratio: 3, days: 10 });
    const x2 = mc.withEffect({ ...base, runs: runs(2_000), seed: 203, ratio: 2, days: 21 });
    expect(x6.threshold).toBeCloseTo(1 / (COUNT_ALPHA_SHARES['app-crash'] * ALPHA), 9);
    for (const [label, r] of [['x6 within 3 days', x6], ['x3 within 10 days', x3], ['x2 within 21 days', x2]] as const) {
      print(`${label}, ${r.runs} runs, threshold ${Math.round(r.threshold)}: ours ${pct(r.ours)} (median ${hours(r.oursMedianHours)}), plain uniform mixture ${pct(r.uniform)} (median ${hours(r.uniformMedianHours)})`);
    }
    expect(x6.ours).toBeGreaterThanOrEqual(0.9);
    expect(x3.ours).toBeGreaterThanOrEqual(0.8);
    // "Do better": more detections than the plain mixture on the same draws, at the same threshold.
    expect(x6.ours).toBeGreaterThan(x6.uniform);
    expect(x3.ours).toBeGreaterThan(x3.uniform);
    expect(x2.ours).toBeGreaterThan(x2.uniform);
  });

  it('a patch that halves crashes never trips our one-sided gate (the plain two-sided mixture does)', () => {
    const r = mc.withEffect({ patched: 200, controls: 1000, baselinePerDay: 0.1, alpha: ALPHA, runs: runs(500), seed: 301, ratio: 0.5, days: 21 });
    print(`x0.5 (a fix), 200 against 1,000 at 0.1 per host-day, ${r.runs} runs: ours ${pct(r.ours)}, plain uniform mixture ${pct(r.uniform)}`);
    expect(r.ours).toBe(0);
    expect(r.uniform).toBeGreaterThan(0.5);
  });

  it('outages that hit patched and unpatched alike, while waves move the patched share from 5 % to 80 %, do not trip the per-hour test', () => {
    const r = mc.incidentsUnderWaves({ runs: runs(500), seed: 401, alpha: ALPHA, hosts: 300 });
    print(`outages under waves, ${r.runs} runs: per-hour test ${pct(r.perHour)} false trips; the same mixture on cumulative totals ${pct(r.cumulative)}`);
    expect(r.perHour).toBeLessThanOrEqual(0.01);
    // The cumulative approximation is fooled; the test must be able to tell the difference.
    expect(r.cumulative).toBeGreaterThan(r.perHour);
  });

  it('install failures of 20 % against a 1 % baseline trip within the first 30 installs >= 90 %', () => {
    const r = mc.installHarm({ runs: runs(2_000), seed: 501, alpha: ALPHA, rate: 0.2, installs: 30, baselineTrials: 1000, baselineFailures: 10 });
    print(`installs 20 % against 10 of 1,000, ${r.runs} runs: tripped within 30 installs ${pct(r.tripped)}`);
    expect(r.tripped).toBeGreaterThanOrEqual(0.9);
  });

  it('install failures at the baseline rate (0.2..5 %, history 50..5,000 installs), 500 installs checked after each: posterior false trips <= 1 %, with the small-sample limit <= 1.5 %', () => {
    const r = mc.installNoHarm({ runs: runs(2_000), seed: 601, alpha: ALPHA, installs: 500 });
    print(`installs at the baseline rate, ${r.runs} runs of 500: posterior gate ${pct(r.posterior)} false trips; small-sample limit ${pct(r.absolute)}; either ${pct(r.either)}`);
    expect(r.posterior).toBeLessThanOrEqual(0.01);
    // The small-sample limit is a designed rule with a cost (README); this guards it from creeping up.
    expect(r.either).toBeLessThanOrEqual(0.015);
  });

  it('boot failures: one host not back after reboot trips within the first 20 when the class shows none, two beyond; the small-sample limit costs what the README says', () => {
    const none: OutcomeEvidence = { trials: 0, failures: 0, baselineTrials: 0, baselineFailures: 0 };
    const cohort = (boots: OutcomeEvidence): CohortEvidence => ({ patchId: 'p', hostClass: 'c', mode: 'controls', patchedHosts: boots.trials, controlHosts: 50, counts: {}, installs: none, boots, hoursSinceFirstInstall: 1 });
    const limit = (boots: OutcomeEvidence) => evaluateCohort(cohort(boots), { alpha: ALPHA }).verdicts.find((v) => v.gate === 'absolute-limit' && v.subject === 'boot-failure')?.tripped;
    for (const baselineTrials of [0, 20, 200, 5000]) {
      for (const trials of [2, 5, 20, 40]) expect(evaluateCohort(cohort({ trials, failures: 2, baselineTrials, baselineFailures: 0 }), { alpha: ALPHA }).tripped).toBe(true);
      for (const trials of [1, 5, 15, 20]) expect(limit({ trials, failures: 1, baselineTrials, baselineFailures: 0 })).toBe(true);
      // One in 21 or more is under 5 %; a history with a failure asks for three.
      expect(limit({ trials: 21, failures: 1, baselineTrials, baselineFailures: 0 })).toBe(false);
      expect(limit({ trials: 40, failures: 1, baselineTrials, baselineFailures: 0 })).toBe(false);
    }
    expect(limit({ trials: 5, failures: 1, baselineTrials: 200, baselineFailures: 1 })).toBe(false);
    const bootCosts = [0.001, 0.005].map((rate, i) => ({ rate, ...mc.absoluteLimitCost({ runs: runs(4_000), seed: 711 + i, alpha: ALPHA, rate, installs: 500, gate: 'boot-failure' }) }));
    print(`small-sample limit on boots (>= 1 and >= 5 %) when the history shows none, 500 hosts: ${bootCosts.map((c) => `true rate ${pct(c.rate)} -> ${pct(c.absolute)} false trips`).join('; ')}`);
    // About 1 - (1 - q)^20, the chance of a failure among the first 20 reboots.
    for (const c of bootCosts) expect(Math.abs(c.absolute - (1 - (1 - c.rate) ** 20))).toBeLessThan(0.02);
    const costs = [0.001, 0.005, 0.01].map((rate, i) => ({ rate, ...mc.absoluteLimitCost({ runs: runs(4_000), seed: 701 + i, alpha: ALPHA, rate, installs: 500 }) }));
    print(`small-sample limit (>= 2 and >= 5 %) when the history shows none, 500 hosts: ${costs.map((c) => `true rate ${pct(c.rate)} -> ${pct(c.absolute)} false trips`).join('; ')}`);
    expect(costs[0]!.absolute).toBeLessThanOrEqual(0.01);
  });
});
