import { describe, expect, it } from 'vitest';
import { createRng } from '../bench/rng';
import { Draws, draws, poissonPoints, streamKey } from './streams';

describe('Draws', () => {
  it('is the generator of bench/rng.ts: same seed, same numbers', () => {
    for (const seed of [0, 1, 42, 0xffffffff]) {
      const a = new Draws(seed);
      const b = createRng(seed);
      for (let i = 0; i < 100; i++) expect(a.next()).toBe(b.next());
    }
  });

  it('keys streams by purpose, host and k', () => {
    const first = (purpose: string, host: number, k: number) => draws(streamKey(1, purpose), host, k).next();
    const values = [first('a', 0, 0), first('b', 0, 0), first('a', 1, 0), first('a', 0, 1)];
    expect(new Set(values).size).toBe(4);
    expect(first('a', 1, 0)).toBe(values[2]);
    expect(draws(streamKey(2, 'a'), 0, 0).next()).not.toBe(values[0]);
  });
});

describe('poissonPoints', () => {
  it('has a mean of rate x duration, also for large rates', () => {
    for (const rate of [0.01, 0.5, 40]) {
      let n = 0;
      for (let host = 0; host < 200; host++) n += poissonPoints(streamKey(3, 'x'), host, rate, 0, 100).length;
      const expected = rate * 100 * 200;
      expect(Math.abs(n - expected)).toBeLessThan(4 * Math.sqrt(expected));
    }
  });

  it('gives the same points however the interval is cut, inside [t0, t1) only', () => {
    const key = streamKey(9, 'y');
    const whole = poissonPoints(key, 5, 0.8, 0, 50);
    expect(whole.length).toBeGreaterThan(20);
    const parts = [0, 0.01, 3.3, 3.30001, 17, 49.99, 50];
    const cut = parts.slice(1).flatMap((t1, i) => poissonPoints(key, 5, 0.8, parts[i]!, t1));
    expect(cut).toEqual(whole);
    for (const p of poissonPoints(key, 5, 0.8, 3.3, 17)) {
      expect(p.at).toBeGreaterThanOrEqual(3.3);
      expect(p.at).toBeLessThan(17);
    }
  });

  it('has nothing for a zero rate, an empty interval or times before 0', () => {
    const key = streamKey(9, 'y');
    expect(poissonPoints(key, 0, 0, 0, 100)).toEqual([]);
    expect(poissonPoints(key, 0, 5, 10, 10)).toEqual([]);
    expect(poissonPoints(key, 0, 5, -10, 0)).toEqual([]);
    expect(poissonPoints(key, 0, 5, -10, 1)).toEqual(poissonPoints(key, 0, 5, 0, 1));
  });
});
