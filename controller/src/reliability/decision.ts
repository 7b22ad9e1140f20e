/**
 * The decision: urgency (priority tier, KEV) against safety (reliability
 * score, confidence, active blocks). Pure. The table, first match wins:
 *
 * 1. block      an active fleet-wide block (a gate tripped across classes).
 * 2. block      score below BLOCK_SCORE with confidence at least BLOCK_CONFIDENCE:
 *               the fleet itself shows the harm.
 * 3. hold       an active block for some class: no further than Test until it
 *               is understood (the planner also keeps the blocked class out).
 * 4. hold       score below HOLD_SCORE.
 * 5. hold       a vendor-confirmed known issue and no fleet evidence yet: let
 *               Test see it first.
 * 6. deploy-now urgent (critical tier or in CISA KEV) and score at least
 *               DEPLOY_NOW_SCORE.
 * 7. stage      everything else: the normal ring order.
 *
 * `cautious` (smaller waves, longer soak) when the confidence is below
 * CAUTIOUS_CONFIDENCE and the patch is not blocked. An urgent patch that is
 * held or blocked gets a reason pointing at mitigations.
 */
import type { Decision, PatchDecision } from './decision-types';

export const BLOCK_SCORE = 20;
export const BLOCK_CONFIDENCE = 0.5;
export const HOLD_SCORE = 50;
export const DEPLOY_NOW_SCORE = 80;
export const CAUTIOUS_CONFIDENCE = 0.3;

export interface DecisionInput {
  patchId: string;
  /** Highest priority tier over the hosts missing the patch; null when no host misses it or it was never assessed. */
  tier: string | null;
  /** CVEs of the patch that are in CISA KEV. */
  kevCves: string[];
  score: number | null;
  confidence: number;
  /** Hosts with an outcome for this patch (fleet evidence). */
  fleetTrials: number;
  confirmedIssues: number;
  blocks: { fleetWide: boolean; classes: string[] };
  /** Workarounds/mitigations the vendor lists for the patch's CVEs (for the words). */
  vendorMitigations: number;
}

/** Urgent: critical or high tier, or a CVE in KEV (the rule for accepting a mitigation). */
export function isUrgent(tier: string | null, kevCves: readonly string[]): boolean {
  return tier === 'critical' || tier === 'high' || kevCves.length > 0;
}

export function decide(input: DecisionInput): PatchDecision {
  const reasons: string[] = [];
  const score = input.score;
  const kev = input.kevCves.length > 0;
  const veryUrgent = input.tier === 'critical' || kev;
  let decision: Decision;
  if (input.blocks.fleetWide) {
    decision = 'block';
    reasons.push('blocked fleet-wide: a health gate tripped across classes');
  } else if (score !== null && score < BLOCK_SCORE && input.confidence >= BLOCK_CONFIDENCE) {
    decision = 'block';
    reasons.push(`reliability score ${score} is below ${BLOCK_SCORE} with confidence ${input.confidence.toFixed(2)}`);
  } else if (input.blocks.classes.length > 0) {
    decision = 'hold';
    reasons.push(`blocked for ${input.blocks.classes.length} host ${input.blocks.classes.length === 1 ? 'class' : 'classes'}: no further than Test`);
  } else if (score !== null && score < HOLD_SCORE) {
    decision = 'hold';
    reasons.push(`reliability score ${score} is below ${HOLD_SCORE}: no further than Test`);
  } else if (input.confirmedIssues > 0 && input.fleetTrials === 0) {
    decision = 'hold';
    reasons.push(`the vendor confirms ${input.confirmedIssues} known ${input.confirmedIssues === 1 ? 'issue' : 'issues'} and the fleet has not tried it yet: Test first`);
  } else if (veryUrgent && score !== null && score >= DEPLOY_NOW_SCORE) {
    decision = 'deploy-now';
    reasons.push(`${kev ? `in CISA KEV (${input.kevCves.slice(0, 3).join(', ')})` : 'critical tier'} and reliability score ${score} (at least ${DEPLOY_NOW_SCORE})`);
  } else {
    decision = 'stage';
    reasons.push(score === null ? 'never scored: normal ring order' : `reliability score ${score}: normal ring order`);
  }
  reasons.push(`urgency: ${input.tier === null ? 'no tier (no host misses it, or not assessed)' : `${input.tier} tier`}${kev ? `, ${input.kevCves.length} ${input.kevCves.length === 1 ? 'CVE' : 'CVEs'} in CISA KEV` : ''}`);
  const cautious = decision !== 'block' && input.confidence < CAUTIOUS_CONFIDENCE;
  if (cautious) reasons.push(`confidence ${input.confidence.toFixed(2)} is below ${CAUTIOUS_CONFIDENCE}: smaller waves and a longer soak`);
  if ((decision === 'hold' || decision === 'block') && isUrgent(input.tier, input.kevCves)) {
    reasons.push(
      input.vendorMitigations > 0
        ? `urgent but ${decision === 'hold' ? 'held' : 'blocked'}: ${input.vendorMitigations} vendor ${input.vendorMitigations === 1 ? 'workaround or mitigation' : 'workarounds and mitigations'} listed; an admin may record an accepted mitigation`
        : `urgent but ${decision === 'hold' ? 'held' : 'blocked'}: an admin may record an accepted mitigation`,
    );
  }
  return { patchId: input.patchId, decision, score, confidence: input.confidence, tier: input.tier, cautious, reasons };
}
