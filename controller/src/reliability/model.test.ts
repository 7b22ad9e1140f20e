import { describe, expect, it } from 'vitest';
import { classLabel, DEFAULT_KAPPA, estimateReliability, healthHarm, KAPPA_MAX, poolingStrength, scoreOf, type ClassOutcomes, type KnownIssueSignal, type ReliabilityInput } from './model';

const A = JSON.stringify(['ubuntu', '24.04', 'ThinkPad T14', 'web']);
const B = JSON.stringify(['ubuntu', '24.04', 'OptiPlex 7000', 'db']);
const C = JSON.stringify(['ubuntu', '22.04', 'PowerEdge R650', '']);

function cls(hostClass: string, trials: number, bootFailed = 0, extra: Partial<ClassOutcomes> = {}): ClassOutcomes {
  return { hostClass, trials, harmed: bootFailed, installFailed: 0, rolledBack: 0, bootFailed, incidentHarmed: 0, ...extra };
}

function input(classes: ClassOutcomes[], knownIssues: KnownIssueSignal[] = [], patchId = 'USN-7545-1'): ReliabilityInput {
  return { patchId, knownIssues, history: null, classes };
}

const issue = (patchId: string, status: KnownIssueSignal['status'], fixedBy: string | null = null): KnownIssueSignal => ({ patchId, status, symptom: `symptom ${status}`, scope: 'Windows 11 24H2', fixedBy });

describe('reliability model', () => {
  it('scores a patch at release from the prior alone, with no confidence from nothing', () => {
    const r = estimateReliability(input([]));
    expect(r.patch.score).toBe(scoreOf(0.005));
    expect(r.patch.score).toBeGreaterThanOrEqual(85);
    expect(r.patch.confidence).toBe(0);
    expect(r.patch.reasons[0]).toBe('no fleet evidence yet: prior from the base rate alone');
  });

  it('falls as failures arrive and rises with clean installs', () => {
    const clean = estimateReliability(input([cls(A, 40)])).patch.score;
    const fresh = estimateReliability(input([])).patch.score;
    const one = estimateReliability(input([cls(A, 40, 1)])).patch.score;
    const three = estimateReliability(input([cls(A, 40, 3)])).patch.score;
    expect(clean).toBeGreaterThan(fresh);
    expect(one).toBeLessThan(clean);
    expect(three).toBeLessThan(one);
    const manyClean = estimateReliability(input([cls(A, 400)]));
    expect(manyClean.patch.score).toBeGreaterThan(clean);
    expect(manyClean.patch.confidence).toBeGreaterThan(estimateReliability(input([cls(A, 40)])).patch.confidence);
  });

  it('says what happened in words with numbers', () => {
    const r = estimateReliability(input([{ ...cls(A, 40, 3), bootBaseline: { trials: 1000, failures: 1 } }]));
    expect(r.classes[0]!.reasons).toContain('3 of 40 hosts of class Ubuntu 24.04 / ThinkPad T14 / web did not come back after reboot; class baseline 0.1 % (1 of 1000 with earlier patches of the product)');
    expect(classLabel(C)).toBe('Ubuntu 22.04 / PowerEdge R650');
  });

  it('pools classes: a class with little data borrows from the others, a class with much data keeps its own', () => {
    // Class C has 2 clean hosts; A and B have many failures: C's estimate is pulled up toward the patch.
    const pooled = estimateReliability(input([cls(A, 50, 10), cls(B, 50, 12), cls(C, 2)]));
    const alone = estimateReliability(input([cls(C, 2)]));
    const c = pooled.classes.find((x) => x.hostClass === C)!;
    expect(c.pHarm).toBeGreaterThan(alone.classes[0]!.pHarm * 3);
    // A class with 500 clean hosts stays near its own rate, well below the others'.
    const big = estimateReliability(input([cls(A, 50, 10), cls(B, 500)]));
    const b = big.classes.find((x) => x.hostClass === B)!;
    const a = big.classes.find((x) => x.hostClass === A)!;
    expect(b.pHarm).toBeLessThan(0.02);
    expect(a.pHarm).toBeGreaterThan(0.1);
  });

  it('estimates the pooling strength from the spread', () => {
    expect(poolingStrength([cls(A, 40)])).toBe(DEFAULT_KAPPA);
    // Classes that agree pool at the maximum; classes that differ widely pool weakly.
    expect(poolingStrength([cls(A, 100, 5), cls(B, 100, 5)])).toBe(KAPPA_MAX);
    expect(poolingStrength([cls(A, 100, 50), cls(B, 100, 0)])).toBeLessThan(5);
  });

  it('weighs vendor-confirmed issues more than user reports, and by-design not at all', () => {
    const none = estimateReliability(input([], [], 'KB5063878')).patch.score;
    const confirmed = estimateReliability(input([], [issue('KB5063878', 'confirmed')], 'KB5063878')).patch.score;
    const reported = estimateReliability(input([], [issue('KB5063878', 'reported')], 'KB5063878')).patch.score;
    const byDesign = estimateReliability(input([], [issue('KB5063878', 'by-design')], 'KB5063878'));
    expect(confirmed).toBeLessThan(reported);
    expect(reported).toBeLessThan(none);
    expect(byDesign.patch.score).toBe(none);
    const r = estimateReliability(input([], [issue('KB5063878', 'confirmed'), issue('KB5063878', 'confirmed')], 'KB5063878'));
    expect(r.patch.reasons[0]).toBe('no fleet evidence yet: prior from 2 vendor-confirmed issues');
    expect(r.patch.reasons).toContain('Microsoft confirms a known issue: symptom confirmed (Windows 11 24H2)');
  });

  it('gives a fixedBy patch none of the weight of the issue it fixes', () => {
    const fixer = estimateReliability(input([], [issue('KB5063878', 'confirmed', 'KB5065426')], 'KB5065426'));
    const plain = estimateReliability(input([], [], 'KB5065426'));
    expect(fixer.patch.score).toBe(plain.patch.score);
    expect(fixer.patch.pHarm).toBe(plain.patch.pHarm);
    expect(fixer.patch.reasons.some((r) => r.startsWith('fixes a known issue of KB5063878'))).toBe(true);
  });

  it('seeds the prior from the product history', () => {
    const bad = estimateReliability({ ...input([]), history: { product: 'source package openssl', patches: 3, trials: 200, harmed: 20 } });
    const good = estimateReliability({ ...input([]), history: { product: 'source package openssl', patches: 3, trials: 200, harmed: 0 } });
    expect(bad.patch.score).toBeLessThan(good.patch.score);
    expect(bad.patch.confidence).toBeGreaterThan(0);
    expect(bad.patch.reasons).toContain('product history: 20 of 200 hosts harmed by 3 earlier patches of source package openssl (10 %); base rate 8.1 %');
  });

  it('counts a health regression (Gamma-Poisson) and leaves an unchanged rate alone', () => {
    const same = healthHarm({ patchedEvents: 5, patchedHostHours: 2400, baselineEvents: 5, baselineHostHours: 2400 });
    expect(same.pHealth).toBeLessThan(0.01);
    const sick = healthHarm({ patchedEvents: 60, patchedHostHours: 2400, baselineEvents: 5, baselineHostHours: 2400 });
    expect(sick.pHealth).toBeGreaterThan(0.3);
    // One stray crash in a day of 20 hosts that had none in five days moves nothing.
    expect(healthHarm({ patchedEvents: 1, patchedHostHours: 480, baselineEvents: 0, baselineHostHours: 2400 }).pHealth).toBe(0);
    const withHealth = estimateReliability(input([cls(A, 40, 0, { health: { patchedEvents: 60, patchedHostHours: 2400, baselineEvents: 5, baselineHostHours: 2400 } })]));
    expect(withHealth.patch.score).toBeLessThan(estimateReliability(input([cls(A, 40)])).patch.score);
  });
});
