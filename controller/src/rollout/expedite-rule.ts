/**
 * What counts as expediting a rollout (admins only, audited, and two
 * approvals on rings whose policy asks for approval):
 *
 * - skipping rings: leaving out a ring that comes before the last ring
 *   chosen (rings: ["Broad"] leaves out Test, First and Fast);
 * - backdating: a `releasedAt` earlier than the date the controller would
 *   count deferrals from on its own (the earliest catalog date of the
 *   patches: a USN's publication, the Patch Tuesday of a KB's month; with
 *   no catalog date, the time of the request), less five minutes for
 *   clock skew;
 * - and of course `expedite: true`.
 */
import { inArray } from 'drizzle-orm';
import type { Tx } from '../db/index';
import { catalogKbs } from '../db/schema/index';
import { patchTuesday } from '../assess/assess-host';
import type { RingView } from './ring-store';
import { patchReleaseDate } from './targets';

/** Slack for clocks: a releasedAt this much before the reference date is not backdating. */
export const BACKDATE_TOLERANCE_MS = 5 * 60_000;

/** Rings left out before the last ring chosen, in ring order. */
export function skippedRings(all: readonly Pick<RingView, 'id' | 'name' | 'position'>[], chosen: readonly Pick<RingView, 'id' | 'position'>[]): string[] {
  if (chosen.length === 0) return [];
  const last = Math.max(...chosen.map((r) => r.position));
  const ids = new Set(chosen.map((r) => r.id));
  return [...all].sort((a, b) => a.position - b.position).filter((r) => r.position < last && !ids.has(r.id)).map((r) => r.name);
}

/** The catalog's own release date of these patches (earliest), if it knows one. */
export async function catalogReleaseDate(tx: Tx, patchIds: readonly string[]): Promise<Date | undefined> {
  const dates: number[] = [];
  const usn = await patchReleaseDate(tx, patchIds);
  if (usn) dates.push(usn.getTime());
  const kbIds = patchIds.filter((p) => p.startsWith('KB'));
  if (kbIds.length > 0) {
    for (const row of await tx.select({ month: catalogKbs.month }).from(catalogKbs).where(inArray(catalogKbs.id, kbIds))) {
      const day = row.month ? patchTuesday(row.month) : null;
      if (day) dates.push(Date.parse(day));
    }
  }
  return dates.length > 0 ? new Date(Math.min(...dates)) : undefined;
}

/** Why this rollout is expedited (empty: it is not), in words for the error and the audit log. */
export async function expediteReasons(
  tx: Tx,
  input: { patches: readonly string[]; releasedAt?: Date | undefined; expedite: boolean },
  rings: { all: readonly Pick<RingView, 'id' | 'name' | 'position'>[]; chosen: readonly Pick<RingView, 'id' | 'position'>[] },
  now: number,
): Promise<string[]> {
  const reasons: string[] = [];
  if (input.expedite) reasons.push('expedite requested');
  const skipped = skippedRings(rings.all, rings.chosen);
  if (skipped.length > 0) reasons.push(`leaves out earlier ring(s) ${skipped.join(', ')}`);
  if (input.releasedAt) {
    const catalog = await catalogReleaseDate(tx, input.patches);
    const reference = catalog ?? new Date(now);
    if (input.releasedAt.getTime() < reference.getTime() - BACKDATE_TOLERANCE_MS) {
      reasons.push(`releasedAt ${input.releasedAt.toISOString()} is before ${catalog ? 'the catalog release date' : 'now'} ${reference.toISOString()}`);
    }
  }
  return reasons;
}
