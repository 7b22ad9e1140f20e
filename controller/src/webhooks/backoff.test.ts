import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, retryDelayMs } from './backoff';

describe('webhook retry backoff', () => {
  it('doubles from the base, keeps between half and all of it (jitter), and stops growing at the cap', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(DEFAULT_RETRY, n, 0))).toEqual([15_000, 30_000, 60_000, 120_000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(DEFAULT_RETRY, n, 0.999_999))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(DEFAULT_RETRY, 20, 0.5)).toBe(2_700_000);
    expect(DEFAULT_RETRY.maxAttempts).toBe(8);
  });
});
