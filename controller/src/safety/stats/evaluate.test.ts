import { describe, expect, it } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import type { CohortEvidence, CountEvidence, CountSignal, OutcomeEvidence } from '../gate-types';
import { COUNT_SIGNALS } from '../gate-types';
import { COUNT_ALPHA_SHARES, countEvidenceLog, evaluateCohort } from './evaluate';
import { betaCdf, logBeta } from './math';
import { HARM_FACTOR, harmProbability, outcomePosteriors } from './outcomes';
import { addCountIncrement, countLogEvidence, newCountTest } from './rate-ratio';

const none: OutcomeEvidence = { trials: 0, failures: 0, baselineTrials: 0, baselineFailures: 0 };
function cohort(over: Partial<CohortEvidence> = {}): CohortEvidence {
  return { patchId: 'p1', hostClass: 'c1', mode: 'controls', patchedHosts: 20, controlHosts: 100, counts: {}, installs: none, boots: none, hoursSinceFirstInstall: 6, ...over };
}
const crash = (ev: CountEvidence): Partial<CohortEvidence> => ({ counts: { 'app-crash': ev } });

describe('evaluateCohort', () => {
  it('says what it saw in words, with the numbers', () => {
    const v = evaluateCohort(cohort(crash({ patchedEvents: 6, patchedHostHours: 120, controlEvents: 3, controlHostHours: 2400 })), { alpha: 0.01 });
    expect(v.tripped).toBe(true);
    const [c] = v.verdicts;
    expect(c!.gate).toBe('app-crash');
    expect(c!.estimate).toBeCloseTo(40, 10);
    expect(c!.threshold).toBeCloseTo(200, 9);
    expect(c!.summary).toMatch(/^6 application crashes in 120 host-hours on 20 patched hosts against 3 in 2,400 on 100 unpatched: rate x40, evidence [\d,]+ >= 200 = 1\/\(50 % of alpha 0\.01\)$/);
  });

  it('a young cohort shows its fraction of an hour, not "0 host-hours"', () => {
    const v = evaluateCohort(cohort({ patchedHosts: 2, controlHosts: 1, counts: { 'probe-failure': { patchedEvents: 20, patchedHostHours: 0.031, controlEvents: 0, controlHostHours: 0.016 } } }), { alpha: 0.01 });
    expect(v.verdicts[0]!.summary).toMatch(/^20 probe failures in 0\.031 host-hours on 2 patched hosts against 0 in 0\.016 on 1 unpatched/);
  });

  it("each count signal is held to its share of the cohort's alpha: threshold 1/(share x alpha), shown in the words", () => {
    expect(COUNT_SIGNALS.reduce((sum, s) => sum + COUNT_ALPHA_SHARES[s], 0)).toBeCloseTo(1, 12);
    expect(Math.max(...COUNT_SIGNALS.map((s) => COUNT_ALPHA_SHARES[s]))).toBe(COUNT_ALPHA_SHARES['app-crash']);
    // The same evidence (about 350) on every signal: above 1/(0.5 x 0.01) = 200, below 1/(0.1 x 0.01) = 1,000.
    const ev = { patchedEvents: 6, patchedHostHours: 200, controlEvents: 5, controlHostHours: 2000 };
    const log = countEvidenceLog(ev);
    expect(log).toBeGreaterThan(Math.log(200));
    expect(log).toBeLessThan(Math.log(500));
    const v = evaluateCohort(cohort({ counts: Object.fromEntries(COUNT_SIGNALS.map((s) => [s, ev])) }), { alpha: 0.01 });
    expect(v.verdicts.map((x) => x.gate)).toEqual([...COUNT_SIGNALS]);
    for (const x of v.verdicts) {
      const share = COUNT_ALPHA_SHARES[x.gate as CountSignal];
      expect(x.threshold).toBeCloseTo(1 / (share * 0.01), 6);
      expect(x.tripped).toBe(x.gate === 'app-crash');
      expect(x.summary).toContain(`= 1/(${share * 100} % of alpha 0.01)`);
    }
    expect(v.verdicts.find((x) => x.gate === 'kernel-crash')!.summary).toMatch(/evidence [\d,]+ < 1,000 = 1\/\(10 % of alpha 0\.01\)$/);
    expect(v.tripped).toBe(true);
  });

  it('before-after mode names the same hosts before the install', () => {
    const v = evaluateCohort(cohort({ mode: 'before-after', ...crash({ patchedEvents: 1, patchedHostHours: 100, controlEvents: 2, controlHostHours: 200 }) }), { alpha: 0.01 });
    expect(v.tripped).toBe(false);
    expect(v.verdicts[0]!.summary).toContain('on the same hosts before the install');
  });

  it('ignores absent signals and outcomes without trials', () => {
    expect(evaluateCohort(cohort(), { alpha: 0.01 })).toEqual({ tripped: false, verdicts: [] });
  });

  it('zero exposure or zero events give evidence 1 and no trip', () => {
    for (const ev of [
      { patchedEvents: 3, patchedHostHours: 0, controlEvents: 0, controlHostHours: 100 },
      { patchedEvents: 0, patchedHostHours: 50, controlEvents: 0, controlHostHours: 0 },
      { patchedEvents: 0, patchedHostHours: 50, controlEvents: 0, controlHostHours: 500 },
    ]) {
      const [v] = evaluateCohort(cohort(crash(ev)), { alpha: 0.01 }).verdicts;
      expect(v!.tripped).toBe(false);
      expect(v!.statistic).toBeCloseTo(1, 12);
    }
    const [z] = evaluateCohort(cohort(crash({ patchedEvents: 3, patchedHostHours: 0, controlEvents: 0, controlHostHours: 100 })), { alpha: 0.01 }).verdicts;
    expect(z!.summary).toContain('nothing to compare yet');
  });

  it('stays finite and NaN-free with huge counts', () => {
    const huge = evaluateCohort(
      cohort({
        patchedHosts: 5000,
        controlHosts: 50_000,
        counts: {
          'app-crash': { patchedEvents: 4e9, patchedHostHours: 1e9, controlEvents: 1e9, controlHostHours: 1e10 },
          'kernel-crash': { patchedEvents: 1e9, patchedHostHours: 1e9, controlEvents: 1e10, controlHostHours: 1e10 },
        },
        installs: { trials: 1e7, failures: 1e6, baselineTrials: 1e8, baselineFailures: 1e6 },
        boots: { trials: 1e7, failures: 0, baselineTrials: 1e8, baselineFailures: 0 },
      }),
      { alpha: 0.01 },
    );
    for (const v of huge.verdicts) {
      for (const n of [v.statistic, v.threshold, v.estimate, v.logStatistic ?? 0]) expect(Number.isNaN(n)).toBe(false);
      expect(Number.isFinite(v.statistic)).toBe(true);
      expect(v.summary).not.toMatch(/NaN|undefined/);
    }
    expect(huge.verdicts.find((v) => v.gate === 'app-crash')!.tripped).toBe(true);
    expect(huge.verdicts.find((v) => v.gate === 'kernel-crash')!.tripped).toBe(false);
    expect(huge.verdicts.find((v) => v.gate === 'install-failure')!.tripped).toBe(true);
  });

  it('alpha moves the threshold; a bad alpha is refused with a stable code', () => {
    const ev = cohort(crash({ patchedEvents: 5, patchedHostHours: 100, controlEvents: 4, controlHostHours: 1000 }));
    const log = countEvidenceLog(ev.counts['app-crash']!);
    expect(log).toBeGreaterThan(Math.log(20));
    expect(log).toBeLessThan(Math.log(1000));
    expect(evaluateCohort(ev, { alpha: 0.05 }).tripped).toBe(true);
    expect(evaluateCohort(ev, { alpha: 0.001 }).tripped).toBe(false);
    for (const alpha of [0, -1, 0.5, Number.NaN]) {
      let caught: unknown;
      try {
        evaluateCohort(ev, { alpha });
      } catch (err) {
        caught = err;
      }
      expect(isPfError(caught) && caught.code).toBe('PF_ERR_VALIDATION');
    }
  });

  it('is one-sided: fewer events on patched hosts never build evidence', () => {
    const [v] = evaluateCohort(cohort(crash({ patchedEvents: 0, patchedHostHours: 2000, controlEvents: 400, controlHostHours: 2000 })), { alpha: 0.01 }).verdicts;
    expect(v!.statistic).toBeLessThan(1e-10);
  });

  it('an incident on patched and unpatched alike does not trip, with or without increments', () => {
    // 20 of 120 hosts patched; for 6 hours every host crashes 30 times more.
    const hourly = Array.from({ length: 48 }, (_, h) => {
      const surge = h >= 20 && h < 26 ? 30 : 1;
      return { patchedEvents: Math.round(20 * 0.002 * surge * 10) / 10, patchedHostHours: 20, controlEvents: Math.round(100 * 0.002 * surge * 10) / 10, controlHostHours: 100 };
    });
    const totals = hourly.reduce((t, i) => ({ patchedEvents: t.patchedEvents + i.patchedEvents, patchedHostHours: t.patchedHostHours + i.patchedHostHours, controlEvents: t.controlEvents + i.controlEvents, controlHostHours: t.controlHostHours + i.controlHostHours }));
    expect(evaluateCohort(cohort(crash(totals)), { alpha: 0.01 }).tripped).toBe(false);
    expect(evaluateCohort(cohort(crash({ ...totals, increments: hourly })), { alpha: 0.01 }).tripped).toBe(false);
  });

  it('per-interval exposure: an outage late in the rollout fools the cumulative ratio, not the increments', () => {
    // Day 1: 5 of 100 hosts patched, quiet. Day 2: 80 patched, an outage crashes every host 4 times.
    const increments = [
      { patchedEvents: 0, patchedHostHours: 5 * 24, controlEvents: 1, controlHostHours: 95 * 24 },
      { patchedEvents: 320, patchedHostHours: 80 * 24, controlEvents: 80, controlHostHours: 20 * 24 },
    ];
    const totals = { patchedEvents: 320, patchedHostHours: 85 * 24, controlEvents: 81, controlHostHours: 115 * 24 };
    expect(evaluateCohort(cohort(crash(totals)), { alpha: 0.01 }).tripped).toBe(true);
    expect(evaluateCohort(cohort(crash({ ...totals, increments })), { alpha: 0.01 }).tripped).toBe(false);
  });

  it('folding hourly increments with a constant ratio equals the cumulative evidence', () => {
    const state = newCountTest();
    const totals = { patchedEvents: 0, patchedHostHours: 0, controlEvents: 0, controlHostHours: 0 };
    for (let h = 0; h < 100; h++) {
      const inc = { patchedEvents: h % 7 === 0 ? 2 : 0, patchedHostHours: 20, controlEvents: h % 5 === 0 ? 1 : 0, controlHostHours: 100 };
      addCountIncrement(state, inc);
      totals.patchedEvents += inc.patchedEvents;
      totals.patchedHostHours += 20;
      totals.controlEvents += inc.controlEvents;
      totals.controlHostHours += 100;
    }
    expect(countEvidenceLog(totals)).toBeCloseTo(countLogEvidence(state), 9);
  });
});

describe('outcome gates', () => {
  it('20 % install failures against a 1 % history trip; the baseline rate does not', () => {
    const harmed = evaluateCohort(cohort({ installs: { trials: 20, failures: 4, baselineTrials: 1000, baselineFailures: 10 } }), { alpha: 0.01 });
    expect(harmed.tripped).toBe(true);
    const [posterior, limit] = harmed.verdicts;
    expect(posterior!.tripped).toBe(true);
    expect(posterior!.summary).toMatch(/^installs failed: 4 of 20 patched hosts \(20 %\) against class history 10 of 1,000 \(1 %\): P\(rate > x2 baseline\) 99\.\d % >= 99 %$/);
    expect(limit!.gate).toBe('absolute-limit');
    expect(limit!.tripped).toBe(true);
    expect(limit!.summary).toBe("installs failed: 4 of 20 patched hosts (20 %) against class history 10 of 1,000 (1 %): reached the small-sample limit of 3 and 10 % (at least 10 times the history's rate)");
    expect(evaluateCohort(cohort({ installs: { trials: 200, failures: 2, baselineTrials: 1000, baselineFailures: 10 } }), { alpha: 0.01 }).tripped).toBe(false);
  });

  it('the posterior probability of harm matches a fine independent integral to 1e-4', () => {
    for (const ev of [
      { trials: 20, failures: 4, baselineTrials: 1000, baselineFailures: 10 },
      { trials: 30, failures: 2, baselineTrials: 40, baselineFailures: 0 },
      { trials: 8, failures: 1, baselineTrials: 0, baselineFailures: 0 },
    ]) {
      const { baseline, patched } = outcomePosteriors(ev);
      const [ab, bb] = baseline;
      // P(p_t <= k·p_b) = ∫ f_b(p) F_t(k·p) dp with p = s², dp = 2s ds (tames f_b's 1/√p edge).
      const steps = 100_000;
      let noHarm = 0;
      for (let i = 0; i < steps; i++) {
        const s = (i + 0.5) / steps;
        const p = s * s;
        const density = Math.exp((ab - 1) * Math.log(p) + (bb - 1) * Math.log1p(-p) - logBeta(ab, bb));
        noHarm += density * betaCdf(HARM_FACTOR * p, patched[0], patched[1]) * 2 * s / steps;
      }
      expect(Math.abs(harmProbability(ev) - (1 - noHarm))).toBeLessThan(1e-4);
    }
  });

  it('evidence of harm falls with each success and rises with each failure', () => {
    const base = { baselineTrials: 500, baselineFailures: 5 };
    const a = harmProbability({ trials: 10, failures: 2, ...base });
    expect(harmProbability({ trials: 20, failures: 2, ...base })).toBeLessThan(a);
    expect(harmProbability({ trials: 11, failures: 3, ...base })).toBeGreaterThan(a);
  });

  it('the small-sample limit: 2 failed hosts (1 host not back after reboot) and 5 % when the class history shows none; 3, 10 % and 10 times the history otherwise', () => {
    const two = evaluateCohort(cohort({ installs: { trials: 30, failures: 2, baselineTrials: 60, baselineFailures: 0 } }), { alpha: 0.01 });
    const limit = two.verdicts.find((v) => v.gate === 'absolute-limit')!;
    expect(limit.tripped).toBe(true);
    expect(limit.subject).toBe('install-failure');
    expect(limit.threshold).toBe(2);
    expect(limit.summary).toBe("installs failed: 2 of 30 patched hosts (6.7 %) while the class's history shows none in 60: reached the small-sample limit of 2 and 5 %");
    const oneInstall = evaluateCohort(cohort({ installs: { trials: 15, failures: 1, baselineTrials: 60, baselineFailures: 0 } }), { alpha: 0.01 });
    expect(oneInstall.verdicts.find((v) => v.gate === 'absolute-limit')!.tripped).toBe(false);
    const oneBoot = evaluateCohort(cohort({ boots: { trials: 15, failures: 1, baselineTrials: 60, baselineFailures: 0 } }), { alpha: 0.01 }).verdicts.find((v) => v.gate === 'absolute-limit')!;
    expect(oneBoot).toMatchObject({ tripped: true, subject: 'boot-failure', threshold: 1 });
    expect(oneBoot.summary).toBe("hosts not back after reboot: 1 of 15 rebooted patched hosts (6.7 %) while the class's history shows none in 60: reached the small-sample limit of 1 and 5 %");
    // 2 of 60 is below 5 %.
    const below = evaluateCohort(cohort({ boots: { trials: 60, failures: 2, baselineTrials: 0, baselineFailures: 0 } }), { alpha: 0.01 });
    expect(below.verdicts.find((v) => v.gate === 'absolute-limit')!.tripped).toBe(false);
    // History with failures (3 %): 3 failures must also be 30 % of trials.
    const judge = (trials: number, failures: number) =>
      evaluateCohort(cohort({ boots: { trials, failures, baselineTrials: 1000, baselineFailures: 30 } }), { alpha: 0.01 }).verdicts.find((v) => v.gate === 'absolute-limit')!;
    expect(judge(30, 2).tripped).toBe(false);
    expect(judge(11, 3).tripped).toBe(false);
    expect(judge(10, 3).tripped).toBe(true);
    expect(judge(10, 3).threshold).toBe(3);
    expect(judge(40, 12).threshold).toBe(12);
  });
});
