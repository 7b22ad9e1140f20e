/**
 * Contract between the reliability score (reliability/) and the planner
 * (rollout/, safety/): what is decided for a patch and why.
 */

/** deploy-now: urgent and safe enough; stage: normal ring order; hold: no further than the first ring (Test), mitigate meanwhile; block: not at all. */
export const DECISIONS = ['deploy-now', 'stage', 'hold', 'block'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface PatchDecision {
  patchId: string;
  decision: Decision;
  /** Reliability score 0-100 (null: never scored). */
  score: number | null;
  /** 0..1 */
  confidence: number;
  /** Priority tier of the patch (critical / high / medium / low), when known. */
  tier: string | null;
  /** Low confidence: the planner uses smaller waves and a longer soak. */
  cautious: boolean;
  reasons: string[];
}
