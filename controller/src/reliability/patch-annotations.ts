/**
 * What the patch views add to every patch: the decision with its reasons,
 * and for hosts the accepted mitigation that covers them ("mitigated, not
 * patched", or expired and so overdue).
 */
import type { Db } from '../db/index';
import { decisionsFor } from './decision-service';
import type { PatchDecision } from './decision-types';
import { hostPatchKey, mitigationsForHosts, type MitigationView } from './mitigations';

/** The decision as the patch views show it. */
export type DecisionSummary = Omit<PatchDecision, 'patchId' | 'tier'>;

/** Decisions of these patches (a patch never scored is scored now, in one transaction). */
export async function decisionSummaries(db: Db, patchIds: readonly string[], now: Date): Promise<Map<string, DecisionSummary>> {
  if (patchIds.length === 0) return new Map();
  const decisions = await db.transaction((tx) => decisionsFor(tx, patchIds, now));
  return new Map([...decisions].map(([id, d]) => [id, { decision: d.decision, score: d.score, confidence: d.confidence, cautious: d.cautious, reasons: d.reasons }]));
}

/** How a missing patch stands on a host given mitigations. */
export interface HostMitigation {
  /** `mitigated, not patched` while an accepted mitigation covers the host; `mitigation expired` after its expiry (overdue). */
  state: 'mitigated, not patched' | 'mitigation expired';
  mitigationId: string;
  owner: string;
  expiresAt: string;
  description: string;
}

/**
 * Whether a missing patch is overdue on a host: an active mitigation stands in
 * for the deadline until it expires; an expired one is overdue.
 */
export function isOverdue(dueBy: Date | null, mitigation: HostMitigation | null, now: number): boolean {
  return mitigation?.state === 'mitigation expired' || (mitigation === null && dueBy !== null && dueBy.getTime() < now);
}

function asHostMitigation(m: MitigationView): HostMitigation {
  return { state: m.state === 'active' ? 'mitigated, not patched' : 'mitigation expired', mitigationId: m.id, owner: m.owner, expiresAt: m.expiresAt, description: m.description };
}

/** Mitigations covering one host, per patch id. */
export async function hostMitigations(db: Db, hostId: string, patchIds: readonly string[], now: Date): Promise<Map<string, HostMitigation>> {
  if (patchIds.length === 0) return new Map();
  const found = await mitigationsForHosts(db, [hostId], patchIds, now);
  const out = new Map<string, HostMitigation>();
  for (const p of patchIds) {
    const m = found.get(hostPatchKey(hostId, p));
    if (m) out.set(p, asHostMitigation(m));
  }
  return out;
}

/** Mitigations of one patch covering these hosts, per host id. */
export async function patchMitigations(db: Db, patchId: string, hostIds: readonly string[], now: Date): Promise<Map<string, HostMitigation>> {
  const found = await mitigationsForHosts(db, hostIds, [patchId], now);
  const out = new Map<string, HostMitigation>();
  for (const h of hostIds) {
    const m = found.get(hostPatchKey(h, patchId));
    if (m) out.set(h, asHostMitigation(m));
  }
  return out;
}
