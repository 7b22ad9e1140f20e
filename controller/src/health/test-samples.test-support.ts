/** Health samples for tests: every counter present unless overridden. */
import type { HealthSample } from '@patchfleet/shared';

export const MIN = 60_000;

export function sample(seq: number, start: number, over: Partial<HealthSample> & { lengthMs?: number } = {}): HealthSample {
  const { lengthMs = 5 * MIN, ...rest } = over;
  return {
    seq,
    periodStart: start,
    periodEnd: start + lengthMs,
    bootId: 'boot-a',
    uptimeSec: 1000 + seq,
    counters: { appCrashes: 0, kernelCrashes: 0, serviceFailures: 0, unexpectedShutdowns: 0, probeFailures: 0, probeRuns: 1 },
    unavailable: [],
    events: [],
    ...rest,
  };
}
