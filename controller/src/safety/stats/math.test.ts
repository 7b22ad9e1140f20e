import { describe, expect, it } from 'vitest';
import { betaCdf, logBeta, logGamma, logSumExp, xlogy } from './math';

describe('log-space special functions', () => {
  it('logGamma matches factorials and Γ(1/2) = √π', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(6)).toBeCloseTo(Math.log(120), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(171)).toBeCloseTo(706.5730622457874, 8);
    expect(Number.isFinite(logGamma(1e9))).toBe(true);
    expect(() => logGamma(0)).toThrow(RangeError);
  });

  it('logBeta(a, b) = ln(Γ(a)Γ(b)/Γ(a+b)), finite for huge counts', () => {
    expect(logBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 12);
    expect(Number.isFinite(logBeta(5e8, 5e8))).toBe(true);
  });

  it('logSumExp does not overflow and handles -Infinity', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 12);
    expect(logSumExp([-Infinity, 0])).toBe(0);
    expect(logSumExp([])).toBe(-Infinity);
    expect(xlogy(0, 0)).toBe(0);
  });

  it('betaCdf agrees with closed forms and a fine numerical integral', () => {
    expect(betaCdf(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(betaCdf(0.3, 2, 1)).toBeCloseTo(0.09, 12);
    expect(betaCdf(0.3, 1, 3)).toBeCloseTo(1 - 0.7 ** 3, 12);
    // Beta(0.5, 100.5) at 0.01 against a midpoint integral of its density.
    const a = 0.5;
    const b = 100.5;
    const steps = 200_000;
    let integral = 0;
    for (let i = 0; i < steps; i++) {
      const t = ((i + 0.5) / steps) ** 2 * 0.01; // substitution p = t²-like to tame the 1/√p edge
      const dt = (2 * (i + 0.5)) / steps / steps * 0.01;
      integral += Math.exp((a - 1) * Math.log(t) + (b - 1) * Math.log1p(-t) - logBeta(a, b)) * dt;
    }
    expect(betaCdf(0.01, a, b)).toBeCloseTo(integral, 5);
    expect(betaCdf(0, 2, 2)).toBe(0);
    expect(betaCdf(1, 2, 2)).toBe(1);
  });
});
