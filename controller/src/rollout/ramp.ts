/**
 * The ramp of a ring after the rollout's first ring with hosts, class by
 * class: the hosts of a class the rollout has given the patch (installed,
 * failed, rolled back, or installing) stay at most twice those of the same
 * class whose install has finished. Each wave then waits for the results of
 * enough of the last one in that class, so an install that fails, or a host
 * that does not come back, stops the class (health gates) or the rollout
 * (ring limit) at about twice the exposure that showed it, not after the
 * whole ring. Counted per class because a bad patch is often bad on one kind
 * of host: results from a large class must not open a small one's gate.
 * A class the rollout has given nothing yet gets one host (a probe).
 * Hosts whose install never reports only narrow the next wave (they fail
 * once their command times out); they do not stall it.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/index';
import { resultRows } from '../catalog/rows/sync-rows';
import { hostClassSql } from '../safety/host-class';
import { installFinishedSql } from '../db/schema/index';

/** A class's hosts in the rollout so far: installs finished (any outcome) and under way. */
export interface ClassProgress {
  finished: number;
  installing: number;
}

/** Per class (host-class.ts), over every ring of the rollout. */
export async function classProgress(tx: Tx, rolloutId: string): Promise<Map<string, ClassProgress>> {
  const rows = resultRows<{ cls: string; finished: number; installing: number }>(
    await tx.execute(sql`
      select ${hostClassSql('h')} as cls,
        count(*) filter (where ${installFinishedSql})::int as finished,
        count(*) filter (where rh.state = 'installing')::int as installing
      from rollout_hosts rh join hosts h on h.id = rh.host_id
      where rh.rollout_id = ${rolloutId} and (rh.state = 'installing' or ${installFinishedSql})
      group by 1`),
  );
  return new Map(rows.map((r) => [r.cls, { finished: Number(r.finished), installing: Number(r.installing) }]));
}

/** How many more hosts of a class may be ordered now. */
export function classRoom(p: ClassProgress | undefined): number {
  if (p === undefined || p.finished + p.installing === 0) return 1;
  return Math.max(0, p.finished - p.installing);
}

export interface RampPick<T> {
  chosen: T[];
  /** Summed over the classes that had pending hosts and no room: what the ring waits for. */
  waitingFor: ClassProgress;
}

/**
 * Takes candidates in order, at most `limit`, each class at most its room.
 * `classOf` gives a candidate's class (undefined: not ordered this round).
 */
export function pickRamped<T>(candidates: readonly T[], classOf: (c: T) => string | undefined, progress: ReadonlyMap<string, ClassProgress>, limit: number): RampPick<T> {
  const room = new Map<string, number>();
  const chosen: T[] = [];
  const full = new Set<string>();
  for (const c of candidates) {
    if (chosen.length >= limit) break;
    const cls = classOf(c);
    if (cls === undefined) continue;
    const left = room.get(cls) ?? classRoom(progress.get(cls));
    if (left <= 0) {
      full.add(cls);
      continue;
    }
    room.set(cls, left - 1);
    chosen.push(c);
  }
  const waitingFor = { finished: 0, installing: 0 };
  for (const cls of full) {
    const p = progress.get(cls);
    waitingFor.finished += p?.finished ?? 0;
    waitingFor.installing += p?.installing ?? 0;
  }
  return { chosen, waitingFor };
}
