/**
 * Random draws for the Monte-Carlo proof of the gates (gates.montecarlo.test.ts
 * and `pnpm bench:gates`): a seeded PRNG, so every run draws the same
 * cohorts on every machine, and Poisson and binomial samplers.
 */

/** A seeded uniform generator on [0, 1): mulberry32 (fast, 32-bit state; not for secrets). */
export type Uniform = () => number;

export function seededUniform(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-uniform draw in [lo, hi]. */
export function logUniform(u: Uniform, lo: number, hi: number): number {
  return Math.exp(Math.log(lo) + u() * (Math.log(hi) - Math.log(lo)));
}

const LOG_FACTORIAL_TABLE: number[] = [0];
function logFactorial(k: number): number {
  while (LOG_FACTORIAL_TABLE.length <= Math.min(k, 255)) {
    const n = LOG_FACTORIAL_TABLE.length;
    LOG_FACTORIAL_TABLE.push(LOG_FACTORIAL_TABLE[n - 1]! + Math.log(n));
  }
  if (k < LOG_FACTORIAL_TABLE.length) return LOG_FACTORIAL_TABLE[k]!;
  // Stirling series, accurate to ~1e-10 for k >= 256.
  return (k + 0.5) * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * k) - 1 / (360 * k * k * k);
}

/**
 * A Poisson(mean) draw: inversion by sequential search below mean 30 (one
 * uniform; cost grows with the mean, and most hourly means here are far
 * below 1), Hörmann's PTRS transformed rejection above (exact, O(1)).
 */
export function poisson(u: Uniform, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean < 30) {
    let p = Math.exp(-mean);
    let cdf = p;
    const target = u();
    let k = 0;
    while (target > cdf && k < 1000) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    return k;
  }
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const uu = u() - 0.5;
    const v = u();
    const us = 0.5 - Math.abs(uu);
    const k = Math.floor(((2 * a) / us + b) * uu + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logFactorial(k)) return k;
  }
}

/** A Bernoulli(p) draw as 0 or 1. */
export function bernoulli(u: Uniform, p: number): number {
  return u() < p ? 1 : 0;
}

/** A Binomial(n, p) draw: inversion walking the pmf up from 0 (n·p is small in our uses), Bernoulli sums when that underflows. */
export function binomial(u: Uniform, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const q = 1 - p;
  let pmf = Math.exp(n * Math.log1p(-p));
  if (n < 64 || pmf < 1e-250) {
    let k = 0;
    for (let i = 0; i < n; i++) if (u() < p) k++;
    return k;
  }
  let cdf = pmf;
  const target = u();
  let k = 0;
  while (target > cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * (p / q);
    k++;
    cdf += pmf;
  }
  return k;
}
