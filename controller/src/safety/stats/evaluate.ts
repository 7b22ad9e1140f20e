/**
 * The gates: judges one cohort (STUB until safety/stats lands: never trips).
 */
import type { CohortEvidence, GateOptions, GateVerdict } from '../gate-types';

export function evaluateCohort(evidence: CohortEvidence, options: GateOptions): GateVerdict {
  void evidence;
  void options;
  return { tripped: false, verdicts: [] };
}
