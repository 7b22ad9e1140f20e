/**
 * What `GET /api/v1/patches/:id/reliability` and `patchfleet patches
 * reliability ID` show: the patch's score, confidence, probability of harm,
 * decision with reasons, each class's score and the history of changes.
 */
import { eq, or } from 'drizzle-orm';
import { catalogPatch } from '../catalog/patches';
import type { Db, Tx } from '../db/index';
import { knownIssues, reliabilityScores } from '../db/schema/index';
import { decisionsFor } from './decision-service';
import type { Decision } from './decision-types';
import { classLabel } from './model';
import { scoreHistory, scoresOf } from './score-service';

export interface ClassReliability {
  hostClass: string;
  /** The class in words, e.g. `Ubuntu 24.04 / ThinkPad T14 / web`. */
  label: string;
  score: number;
  confidence: number;
  pHarm: number;
  /** Hosts of the class with an outcome (install finished one way or the other), and those harmed (model.ts ClassOutcomes). */
  trials: number;
  harmed: number;
  reasons: string[];
  computedAt: string;
}

/** A count from a score's stored evidence (jsonb), 0 when absent. */
function evidenceCount(evidence: Record<string, unknown>, key: string): number {
  const v = evidence[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export interface ReliabilityReport {
  patchId: string;
  score: number | null;
  confidence: number;
  pHarm: number | null;
  decision: Decision;
  cautious: boolean;
  tier: string | null;
  /** Why the decision, then why the score. */
  reasons: string[];
  classes: ClassReliability[];
  history: { hostClass: string; score: number; confidence: number; at: string; reasons: string[] }[];
  computedAt: string | null;
}

/** The report, or undefined when neither the catalog, a known-issue record nor a stored score (a rollout's package) knows the patch. */
export async function reliabilityReport(db: Db, patchId: string, now: Date): Promise<ReliabilityReport | undefined> {
  return db.transaction(async (tx: Tx) => {
    const known =
      (await catalogPatch(tx, patchId)) ??
      (await tx.select({ id: knownIssues.id }).from(knownIssues).where(or(eq(knownIssues.patchId, patchId), eq(knownIssues.fixedBy, patchId))).limit(1))[0] ??
      // A package rollout's `pkg:NAME=VERSION` is in no catalog; it is scored once a rollout carries it.
      (await tx.select({ id: reliabilityScores.patchId }).from(reliabilityScores).where(eq(reliabilityScores.patchId, patchId)).limit(1))[0];
    if (!known) return undefined;
    const scores = await scoresOf(tx, [patchId], now);
    const decision = (await decisionsFor(tx, [patchId], now)).get(patchId)!;
    const whole = scores.find((s) => s.hostClass === '');
    const history = await scoreHistory(tx, patchId);
    return {
      patchId,
      score: whole?.score ?? null,
      confidence: whole?.confidence ?? 0,
      pHarm: whole?.pHarm ?? null,
      decision: decision.decision,
      cautious: decision.cautious,
      tier: decision.tier,
      reasons: [...decision.reasons, ...(whole?.reasons ?? [])],
      classes: scores
        .filter((s) => s.hostClass !== '')
        .sort((a, b) => a.score - b.score || a.hostClass.localeCompare(b.hostClass))
        .map((s) => ({ hostClass: s.hostClass, label: classLabel(s.hostClass), score: s.score, confidence: s.confidence, pHarm: s.pHarm, trials: Math.round(evidenceCount(s.evidence, 'trials')), harmed: Math.round(evidenceCount(s.evidence, 'harmed')), reasons: s.reasons, computedAt: s.computedAt.toISOString() })),
      history: history.map((h) => ({ hostClass: h.hostClass, score: h.score, confidence: h.confidence, at: h.at.toISOString(), reasons: h.reasons })),
      computedAt: whole?.computedAt.toISOString() ?? null,
    };
  });
}
