import { describe, it, expect } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { TokenBucket } from './rate-limit';

const takeMany = (bucket: TokenBucket, n: number): number => {
  let ok = 0;
  for (let i = 0; i < n; i++) if (bucket.take()) ok++;
  return ok;
};

describe('TokenBucket', () => {
  it('allows a burst up to the capacity, then refuses', () => {
    const clock = new ManualClock(1_000_000);
    const bucket = new TokenBucket(clock, 10, 40);
    expect(takeMany(bucket, 40)).toBe(40);
    expect(bucket.take()).toBe(false);
    expect(bucket.take()).toBe(false);
  });

  it('refills at the sustained rate', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket(clock, 10, 40);
    takeMany(bucket, 40);
    clock.advance(99);
    expect(bucket.take()).toBe(false); // 0.99 of a token
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    clock.advance(1000);
    expect(takeMany(bucket, 20)).toBe(10);
  });

  it('never holds more than its capacity however long it idles', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket(clock, 10, 40);
    takeMany(bucket, 5);
    clock.advance(3_600_000);
    expect(takeMany(bucket, 100)).toBe(40);
  });

  it('holds a steady sender at the rate over time', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket(clock, 50, 200);
    let accepted = 0;
    for (let ms = 0; ms < 10_000; ms += 5) {
      clock.advance(5);
      if (bucket.take()) accepted++; // tries at 200/s
    }
    expect(accepted).toBeGreaterThanOrEqual(200 + 50 * 10 - 1);
    expect(accepted).toBeLessThanOrEqual(200 + 50 * 10);
  });

  it('does not mint tokens when the clock goes backwards', () => {
    const clock = { t: 10_000, now() { return this.t; }, after: () => ({ cancel() {} }) };
    const bucket = new TokenBucket(clock, 10, 5);
    takeMany(bucket, 5);
    clock.t = 0;
    expect(bucket.take()).toBe(false);
  });
});
