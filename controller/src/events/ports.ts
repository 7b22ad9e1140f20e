/**
 * The events port: how rollout/ and safety/ report what webhooks announce,
 * without knowing about webhooks. The controller's server wires the one
 * implementation (webhooks/outbox.ts); it writes in the caller's
 * transaction, so an event exists exactly when the change it reports
 * committed, and is delivered later by a worker that survives restarts.
 */
import type { Tx } from '../db/index';
import type { PatchfleetEvent } from './types';

export interface EventSink {
  /**
   * Records `event` in `tx`, the transaction making the change. `dedupeKey`:
   * an event with a key already recorded is dropped (sent once).
   */
  emit(tx: Tx, event: PatchfleetEvent, opts?: { dedupeKey?: string; at?: Date }): Promise<void>;
}

/** A sink that records nothing: for tests and tools that run the planner without webhooks. */
export const discardEvents: EventSink = { emit: async () => undefined };
