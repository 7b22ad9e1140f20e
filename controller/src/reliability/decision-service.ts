/**
 * Decisions and score refreshes the planner asks for (STUB until reliability/ lands).
 */
import type { Tx } from '../db/index';
import type { PatchDecision } from './decision-types';

/** The decision for each patch id (every id given gets one). */
export async function decisionsFor(tx: Tx, patchIds: readonly string[], now: Date): Promise<Map<string, PatchDecision>> {
  void tx;
  void now;
  return new Map(patchIds.map((patchId) => [patchId, { patchId, decision: 'stage', score: null, confidence: 0, tier: null, cautious: false, reasons: [] } satisfies PatchDecision]));
}

/** Recomputes the reliability scores of these patches from the evidence stored now; appends history when a score moves. */
export async function refreshScores(tx: Tx, patchIds: readonly string[], now: Date): Promise<void> {
  void tx;
  void patchIds;
  void now;
}
