/**
 * Decisions for patches (decision.ts applied to what is stored): the planner
 * asks for them at every tick, the patch views show them. Reads the
 * reliability scores (scoring a patch that has none), the urgency (highest
 * tier over the hosts missing the patch, from host_patch_state; CISA KEV
 * entries of its CVEs), active blocks (patch_blocks) and how many vendor
 * workarounds the catalog lists for its CVEs.
 */
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index';
import { catalogPatchesRelation } from '../catalog/patches';
import { resultRows } from '../catalog/rows/sync-rows';
import { decide } from './decision';
import type { PatchDecision } from './decision-types';
import { refreshScores as refresh, scoresOf } from './score-service';

const ids = (list: readonly string[]) => sql`(select jsonb_array_elements_text(${JSON.stringify([...new Set(list)])}::jsonb))`;
const TIER_NAMES = ['critical', 'high', 'medium', 'low'] as const;

/** Urgency and safety facts of each patch, besides its score. */
export interface PatchFacts {
  tier: string | null;
  kevCves: string[];
  vendorMitigations: number;
  blocks: { fleetWide: boolean; classes: string[] };
}

/** Tier, KEV CVEs, vendor workaround count and active blocks of each patch (three queries for any number of patches). */
export async function patchFacts(tx: Db | Tx, patchIds: readonly string[]): Promise<Map<string, PatchFacts>> {
  const out = new Map<string, PatchFacts>(patchIds.map((p) => [p, { tier: null, kevCves: [], vendorMitigations: 0, blocks: { fleetWide: false, classes: [] } }]));
  if (patchIds.length === 0) return out;
  const [tiers, catalog, blocks] = await Promise.all([
    tx.execute(sql`select patch_id, min(case tier when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 end)::int as t
      from host_patch_state where status = 'missing' and patch_id in ${ids(patchIds)} group by patch_id`),
    tx.execute(sql`select p.id,
        (select coalesce(jsonb_agg(k.cve_id order by k.cve_id), '[]'::jsonb) from catalog_kev k where k.cve_id in (select jsonb_array_elements_text(p.cves))) as kev,
        (select count(*)::int from catalog_remediations r where r.cve_id in (select jsonb_array_elements_text(p.cves))) as remediations
      from ${catalogPatchesRelation} where p.id in ${ids(patchIds)}`),
    tx.execute(sql`select patch_id, host_class from patch_blocks where state = 'active' and patch_id in ${ids(patchIds)}`),
  ]);
  for (const r of resultRows<{ patch_id: string; t: number | null }>(tiers)) {
    const f = out.get(r.patch_id);
    if (f && r.t !== null) f.tier = TIER_NAMES[Number(r.t)] ?? null;
  }
  for (const r of resultRows<{ id: string; kev: string[] | string; remediations: number }>(catalog)) {
    const f = out.get(r.id);
    if (!f) continue;
    f.kevCves = typeof r.kev === 'string' ? (JSON.parse(r.kev) as string[]) : r.kev;
    f.vendorMitigations = Number(r.remediations);
  }
  for (const r of resultRows<{ patch_id: string; host_class: string | null }>(blocks)) {
    const f = out.get(r.patch_id);
    if (!f) continue;
    if (r.host_class === null) f.blocks.fleetWide = true;
    else if (!f.blocks.classes.includes(r.host_class)) f.blocks.classes.push(r.host_class);
  }
  return out;
}

/** The decision for each patch id (every id given gets one); a patch never scored is scored now. */
export async function decisionsFor(tx: Db | Tx, patchIds: readonly string[], now: Date): Promise<Map<string, PatchDecision>> {
  const unique = [...new Set(patchIds)];
  const [scores, facts] = [await scoresOf(tx, unique, now), await patchFacts(tx, unique)];
  const out = new Map<string, PatchDecision>();
  for (const patchId of unique) {
    const row = scores.find((s) => s.patchId === patchId && s.hostClass === '');
    const f = facts.get(patchId)!;
    const evidence = (row?.evidence ?? {}) as { trials?: number; confirmedIssues?: number };
    const rest = restOfFleet(scores, patchId, f.blocks, row?.score ?? null);
    const decision = decide({
      patchId,
      tier: f.tier,
      kevCves: f.kevCves,
      score: rest ? rest.score : (row?.score ?? null),
      confidence: rest ? rest.confidence : (row?.confidence ?? 0),
      fleetTrials: Number(evidence.trials ?? 0),
      confirmedIssues: Number(evidence.confirmedIssues ?? 0),
      blocks: f.blocks,
      vendorMitigations: f.vendorMitigations,
    });
    if (rest) decision.reasons.push(rest.reason);
    out.set(patchId, decision);
  }
  return out;
}

/**
 * With some classes blocked (not fleet-wide), the blocked classes are out of
 * the run, so what decides for the rest is the rest's evidence: the worst
 * score of the classes not blocked (score null when none of them has
 * outcomes yet), not the patch-wide score their harm pulled down. One class's
 * harm then stops that class, not a patch the other classes take well.
 */
function restOfFleet(scores: readonly { patchId: string; hostClass: string; score: number; confidence: number }[], patchId: string, blocks: PatchFacts['blocks'], patchWide: number | null): { score: number | null; confidence: number; reason: string } | undefined {
  if (blocks.fleetWide || blocks.classes.length === 0) return undefined;
  const blocked = new Set(blocks.classes);
  const worst = scores.filter((s) => s.patchId === patchId && s.hostClass !== '' && !blocked.has(s.hostClass)).reduce<(typeof scores)[number] | undefined>((w, s) => (w === undefined || s.score < w.score ? s : w), undefined);
  return {
    score: worst?.score ?? null,
    confidence: worst?.confidence ?? 0,
    reason: `${worst ? `scored on the classes not blocked (worst ${worst.score})` : 'no outcomes yet on the classes not blocked'}${patchWide === null ? '' : `; patch-wide score ${patchWide} with the blocked ${blocks.classes.length === 1 ? 'class' : 'classes'}`}`,
  };
}

/** Recomputes the reliability scores of these patches from the evidence stored now; appends history when a score moves. */
export async function refreshScores(tx: Tx, patchIds: readonly string[], now: Date): Promise<void> {
  await refresh(tx, patchIds, now);
}
