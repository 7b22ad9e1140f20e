/**
 * Rollout halts and safety blocks in each period: one statement over
 * audit_log (audit/, where a halt leaves its only lasting trace: a rollout's
 * state is overwritten when it resumes) and patch_blocks (safety/blocks.ts).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index';
import { resultRows } from '../catalog/rows/sync-rows';
import { ts, type KpiPeriods, type Trend } from './period';

/** Halts and blocks of one period. */
export interface Stops {
  /** Rollouts halted: audit entries `rollout.halted` (a failing ring's promotion gate) in the period. */
  halts: number;
  /** Patch blocks created (a tripped health gate, per class or fleet-wide) in the period, whatever became of them. */
  blocks: number;
  /** Of those, fleet-wide ones (no host class). */
  fleetWideBlocks: number;
}

export async function stops(db: Db, p: KpiPeriods): Promise<Trend<Stops>> {
  const [from, mid, to] = [ts(p.previous.from), ts(p.current.from), ts(p.current.to)];
  const [r] = resultRows<Record<string, number>>(
    await db.execute(sql`select
        (select count(*) from audit_log a where a.action = 'rollout.halted' and a.at >= ${mid} and a.at < ${to})::int as halts_cur,
        (select count(*) from audit_log a where a.action = 'rollout.halted' and a.at >= ${from} and a.at < ${mid})::int as halts_prev,
        count(*) filter (where b.created_at >= ${mid})::int as blocks_cur,
        count(*) filter (where b.created_at < ${mid})::int as blocks_prev,
        count(*) filter (where b.created_at >= ${mid} and b.host_class is null)::int as fleet_cur,
        count(*) filter (where b.created_at < ${mid} and b.host_class is null)::int as fleet_prev
      from (select created_at, host_class from patch_blocks where created_at >= ${from} and created_at < ${to}) b`),
  );
  return {
    current: { halts: Number(r?.halts_cur ?? 0), blocks: Number(r?.blocks_cur ?? 0), fleetWideBlocks: Number(r?.fleet_cur ?? 0) },
    previous: { halts: Number(r?.halts_prev ?? 0), blocks: Number(r?.blocks_prev ?? 0), fleetWideBlocks: Number(r?.fleet_prev ?? 0) },
  };
}
