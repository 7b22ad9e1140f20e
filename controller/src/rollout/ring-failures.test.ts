import { describe, expect, it } from 'vitest';
import { failureTail, RING_HALT_CHANCE, ringFailureVerdict } from './ring-failures';

/** P(X >= k) for X ~ Binomial(n, p), summed term by term. */
function tailBySum(k: number, n: number, p: number): number {
  let total = 0;
  let term = (1 - p) ** n; // P(X = 0)
  for (let x = 0; x <= n; x++) {
    if (x >= k) total += term;
    term *= ((n - x) / (x + 1)) * (p / (1 - p));
  }
  return total;
}

/** How often a ring of n hosts halts when each install fails with probability p, under a halt rule. */
function haltChance(n: number, p: number, halts: (failed: number, done: number) => boolean): number {
  let total = 0;
  for (let k = 0; k <= n; k++) if (halts(k, n)) total += tailBySum(k, n, p) - tailBySum(k + 1, n, p);
  return total;
}

describe('failureTail', () => {
  it('is the binomial upper tail', () => {
    for (const [k, n, p] of [[1, 15, 0.05], [3, 15, 0.05], [2, 2, 0.1], [10, 180, 0.05], [15, 180, 0.05], [1, 1, 0.3]] as const) {
      expect(failureTail(k, n, p)).toBeCloseTo(tailBySum(k, n, p), 10);
    }
    expect(failureTail(0, 10, 0.05)).toBe(1);
    expect(failureTail(1, 10, 0)).toBe(0);
    expect(failureTail(11, 10, 0.5)).toBe(0);
  });
});

describe('ringFailureVerdict', () => {
  it('halts on the first failure when the limit is 0, and never when it is 1', () => {
    expect(ringFailureVerdict(1, 1, 0).halt).toBe(true);
    expect(ringFailureVerdict(1, 200, 0).halt).toBe(true);
    expect(ringFailureVerdict(10, 10, 1).halt).toBe(false);
    expect(ringFailureVerdict(0, 10, 0).halt).toBe(false);
  });

  it('goes on when chance explains the failures at the limit, halts when it does not', () => {
    expect(ringFailureVerdict(1, 15, 0.05)).toMatchObject({ halt: false });
    expect(ringFailureVerdict(1, 1, 0.05).halt).toBe(false); // exactly 5 % likely: not below
    expect(ringFailureVerdict(3, 15, 0.05)).toMatchObject({ halt: true, rate: 0.2 });
    expect(ringFailureVerdict(3, 15, 0.05).chance).toBeCloseTo(0.0362, 4);
    // Below the limit never halts, however many installs.
    expect(ringFailureVerdict(9, 200, 0.05).halt).toBe(false);
  });

  it('halts a ring whose installs fail at exactly the limit at most RING_HALT_CHANCE of the time, at any size', () => {
    for (const n of [1, 2, 5, 15, 30, 100, 180, 500]) {
      for (const limit of [0.01, 0.05, 0.1, 0.25]) {
        expect(haltChance(n, limit, (f, d) => ringFailureVerdict(f, d, limit).halt)).toBeLessThanOrEqual(RING_HALT_CHANCE);
      }
    }
  });

  it('halts far fewer small rings of a good patch than "any failure above the limit" did (1 % unrelated failures, 5 % limit)', () => {
    const naive = (f: number, d: number) => f > 0 && f / d > 0.05;
    const tail = (f: number, d: number) => ringFailureVerdict(f, d, 0.05).halt;
    // 15 hosts: the old rule halted 14 % of good rollouts; the tail test 0.04 %.
    expect(haltChance(15, 0.01, naive)).toBeCloseTo(1 - 0.99 ** 15, 6);
    expect(haltChance(15, 0.01, tail)).toBeLessThan(0.001);
    // And still halts most rings of 15 hosts of a patch whose installs fail 30 % of the time (87 %).
    expect(haltChance(15, 0.3, tail)).toBeGreaterThan(0.85);
  });
});
