/** judgeRest (gates.ts): the classes not blocked, judged together on install and boot outcomes and on count signals (one increment per class), with the product's judge. */
import { describe, expect, it } from 'vitest';
import type { ClassCohort } from './cohorts';
import type { CountEvidence } from './gate-types';
import { judgeRest } from './gates';
import { evaluateCohort } from './stats/evaluate';

const safety = { evaluate: evaluateCohort };

function cohort(hostClass: string, trials: number, failures: number): ClassCohort {
  const none = { trials: 0, failures: 0, baselineTrials: 0, baselineFailures: 0 };
  return {
    hostClass,
    firstInstallWall: 0,
    evidence: {
      patchId: 'KB1',
      hostClass,
      mode: 'controls',
      patchedHosts: trials,
      controlHosts: 100,
      counts: {},
      // Class history: 2 failed installs in 150 (about 1 %).
      installs: { trials, failures, baselineTrials: 150, baselineFailures: 2 },
      boots: none,
      hoursSinceFirstInstall: 2,
    },
  };
}

describe('judgeRest', () => {
  it('trips on failures that no class shows enough of alone, and names the class with the most', () => {
    const a = cohort('["windows","10.0.26100","A",""]', 10, 2);
    const b = cohort('["windows","10.0.26100","B",""]', 3, 1);
    // Alone, neither reaches the gate (2 of 10, 1 of 3 against about 1 %).
    expect(evaluateCohort(a.evidence, { alpha: 0.01 }).tripped).toBe(false);
    expect(evaluateCohort(b.evidence, { alpha: 0.01 }).tripped).toBe(false);
    const got = judgeRest([b, a], safety, 0.01);
    expect(got?.cohort.hostClass).toBe(a.hostClass);
    expect(got?.verdict.tripped).toBe(true);
    expect(got?.verdict.verdicts.find((v) => v.tripped)?.summary).toMatch(/^the 2 class\(es\) not blocked, together, after another class tripped: installs failed: 3 of 13/);
  });

  it('does not trip on failures at the classes history rate, nor with nothing to judge', () => {
    expect(judgeRest([cohort('x', 40, 0), cohort('y', 30, 1)], safety, 0.01)).toBeUndefined();
    expect(judgeRest([], safety, 0.01)).toBeUndefined();
  });

  it('pools crashes class by class: two classes that each fall short trip together', () => {
    const crashes = (c: ClassCohort, ev: CountEvidence): ClassCohort => ({ ...c, evidence: { ...c.evidence, counts: { 'app-crash': ev } } });
    // Each: 8 crashes in 200 patched host-hours against 2 in 400 unpatched (about x8).
    const a = crashes(cohort('a', 10, 0), { patchedEvents: 8, patchedHostHours: 200, controlEvents: 2, controlHostHours: 400 });
    const b = crashes(cohort('b', 10, 0), { patchedEvents: 8, patchedHostHours: 200, controlEvents: 2, controlHostHours: 400 });
    expect(evaluateCohort(a.evidence, { alpha: 0.01 }).tripped).toBe(false);
    const got = judgeRest([a, b], safety, 0.01);
    expect(got?.verdict.verdicts.find((v) => v.tripped)?.gate).toBe('app-crash');
  });

  it('weighs each class with its own exposure share: totals that mix two baselines do not trip', () => {
    const crashes = (c: ClassCohort, ev: CountEvidence): ClassCohort => ({ ...c, evidence: { ...c.evidence, counts: { 'app-crash': ev } } });
    // a: noisy, mostly patched, same rate on both sides; b: quiet, mostly unpatched. Summed, the patched side
    // would show 100 crashes in 1100 hours against 10 in 1100 (x10); class by class there is no difference.
    const a = crashes(cohort('a', 10, 0), { patchedEvents: 100, patchedHostHours: 1000, controlEvents: 10, controlHostHours: 100 });
    const b = crashes(cohort('b', 10, 0), { patchedEvents: 0, patchedHostHours: 100, controlEvents: 0, controlHostHours: 1000 });
    expect(judgeRest([a, b], safety, 0.01)).toBeUndefined();
    const summed = { patchedEvents: 100, patchedHostHours: 1100, controlEvents: 10, controlHostHours: 1100 };
    expect(evaluateCohort({ ...a.evidence, counts: { 'app-crash': summed } }, { alpha: 0.01 }).tripped).toBe(true);
  });
});
