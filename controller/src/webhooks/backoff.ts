/**
 * Retry policy of webhook deliveries: attempt n (1-based) that failed waits
 * base * 2^(n-1), capped, then half of it fixed and half random ("equal
 * jitter"), so receivers that came back are not hit by every controller at
 * once. After `maxAttempts` failed attempts a delivery is failed for good.
 */

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** 8 attempts over about 1 h 45 min at most: 30 s, 1, 2, 4, 8, 16, 32 min (each 50-100 %). */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 30_000, maxDelayMs: 3_600_000 };

/** Delay before the attempt after failed attempt `attempt`; `random` in [0, 1). */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: number): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + (full / 2) * random);
}
