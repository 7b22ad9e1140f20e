/**
 * What the agent's health sources produce for one interval (contract
 * between the platform collectors and the sampler).
 */
import type { HealthCounters, HealthEvent, HealthSource } from '@patchfleet/shared/protocol';

/** [from, to) in ms since epoch. */
export interface HealthWindow {
  from: number;
  to: number;
}

/** Counters from the platform's logs; a counter absent: its source unavailable (listed in `unavailable`). */
export interface CollectedHealth {
  counters: Omit<HealthCounters, 'probeFailures' | 'probeRuns'>;
  unavailable: HealthSource[];
  /** The newest events first, at most MAX_HEALTH_EVENTS_PER_SAMPLE. */
  events: HealthEvent[];
}

/** Reads the platform's crash, failure and shutdown records for a window. */
export type HealthCollector = (window: HealthWindow) => Promise<CollectedHealth>;
