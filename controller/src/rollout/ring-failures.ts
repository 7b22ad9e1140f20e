/**
 * When a ring's install failures halt its rollout (`promotion.maxFailureRate`).
 *
 * A ring halts when more than `maxFailureRate` of its finished installs
 * failed and chance does not explain it: were the true failure rate
 * `maxFailureRate`, seeing this many failures (or more) among this many
 * installs would have a probability below RING_HALT_CHANCE (the binomial
 * upper tail). A plain "observed rate above the limit" halts a small ring on
 * one unlucky install: with a 5 % limit, one failure among 15 hosts (6.7 %)
 * halts it, which a 1 % unrelated failure rate gives in 14 % of rollouts, and
 * a halted rollout stops every class it carries. With the tail test that one
 * failure is 54 % likely at 5 % and does not halt; three of 15 (3.6 %) do. A
 * limit of 0 still halts on the first failure (no failure is likely at 0).
 * Class-level install failures are the health gates' business (safety/):
 * they compare a class with its own history at the ring's alpha.
 */
import { betaCdf } from '../safety/stats/math';

/** Below this probability under the limit, the failures seen are not chance: the ring halts. */
export const RING_HALT_CHANCE = 0.05;

/** P(X >= failed) for X ~ Binomial(done, rate): how likely this many failures or more are at `rate`. */
export function failureTail(failed: number, done: number, rate: number): number {
  if (failed <= 0) return 1;
  if (failed > done) return 0;
  if (rate <= 0) return 0;
  if (rate >= 1) return 1;
  // P(X >= k) = I_rate(k, n - k + 1), the regularized incomplete beta function.
  return betaCdf(rate, failed, done - failed + 1);
}

export interface RingFailureVerdict {
  halt: boolean;
  /** failed / done (0 when nothing finished). */
  rate: number;
  /** How likely this many failures or more are at exactly the limit. */
  chance: number;
}

/** Whether `failed` of `done` finished installs halt a ring whose limit is `maxFailureRate`. */
export function ringFailureVerdict(failed: number, done: number, maxFailureRate: number): RingFailureVerdict {
  const rate = done === 0 ? 0 : failed / done;
  const chance = failureTail(failed, done, maxFailureRate);
  return { halt: failed > 0 && rate > maxFailureRate && chance < RING_HALT_CHANCE, rate, chance };
}
