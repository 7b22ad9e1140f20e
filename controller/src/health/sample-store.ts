/**
 * Storing health samples (owner of `health_samples`' writes; retention.ts is
 * the one delete). A frame's samples go in ONE statement: the rows travel as
 * one jsonb parameter (jsonb_to_recordset), which PGlite and PostgreSQL both
 * read far faster than thousands of bound parameters. A resent sample hits
 * the primary key (host, epoch, seq) and is skipped: delivery is
 * at-least-once from the agent's outbox, storage exactly once.
 */
import { sql } from 'drizzle-orm';
import type { HealthSample } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db, Tx } from '../db/index';

/** How far past the controller's clock a sample may end: agents' clocks drift, but not by a day. */
export const MAX_SAMPLE_FUTURE_MS = 24 * 3600 * 1000;
/** Longest interval one sample may cover (the interval is at most a day; a sample closed late after a suspend may run longer). */
export const MAX_SAMPLE_PERIOD_MS = 7 * 24 * 3600 * 1000;

/**
 * Checks what the frame schema cannot: each period ends at or after it
 * starts, within MAX_SAMPLE_PERIOD_MS, and not more than MAX_SAMPLE_FUTURE_MS
 * past `now`; sequence numbers are not repeated within the frame. Throws
 * PF_ERR_BAD_HEALTH_SAMPLE naming the first bad sample; returns the frame's
 * highest seq.
 */
export function checkHealthSamples(samples: readonly HealthSample[], now: number): number {
  const seen = new Set<number>();
  let highest = 0;
  samples.forEach((s, i) => {
    const where = `samples[${i}] (seq ${s.seq})`;
    if (s.periodEnd < s.periodStart) throw new PfError(Errors.BAD_HEALTH_SAMPLE, `${where}: periodEnd is before periodStart`);
    if (s.periodEnd - s.periodStart > MAX_SAMPLE_PERIOD_MS) throw new PfError(Errors.BAD_HEALTH_SAMPLE, `${where}: period longer than ${MAX_SAMPLE_PERIOD_MS / 86_400_000} days`);
    if (s.periodEnd > now + MAX_SAMPLE_FUTURE_MS) throw new PfError(Errors.BAD_HEALTH_SAMPLE, `${where}: periodEnd ${new Date(s.periodEnd).toISOString()} is more than a day ahead of the controller's clock`);
    if (seen.has(s.seq)) throw new PfError(Errors.BAD_HEALTH_SAMPLE, `${where}: seq repeated within the frame`);
    seen.add(s.seq);
    highest = Math.max(highest, s.seq);
  });
  return highest;
}

/** The newest sample's boot id, and when this frame first shows it (the earliest end of a sample of that boot). */
export function newestBoot(samples: readonly HealthSample[]): { bootId: string; at: number } | undefined {
  let best: HealthSample | undefined;
  for (const s of samples) if (s.bootId && (!best || s.periodEnd > best.periodEnd || (s.periodEnd === best.periodEnd && s.seq > best.seq))) best = s;
  if (!best) return undefined;
  let at = best.periodEnd;
  for (const s of samples) if (s.bootId === best.bootId) at = Math.min(at, s.periodEnd);
  return { bootId: best.bootId, at };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** One agent's health frame to store. */
export interface HealthFrameRows {
  hostId: string;
  epoch: string;
  samples: readonly HealthSample[];
  receivedAt: Date;
}

const rowsOf = (f: HealthFrameRows) =>
  f.samples.map((s) => ({
    h: f.hostId,
    e: f.epoch,
    q: s.seq,
    ps: iso(s.periodStart),
    pe: iso(s.periodEnd),
    b: s.bootId,
    u: s.uptimeSec,
    ac: s.counters.appCrashes ?? null,
    kc: s.counters.kernelCrashes ?? null,
    sf: s.counters.serviceFailures ?? null,
    us: s.counters.unexpectedShutdowns ?? null,
    pf: s.counters.probeFailures ?? null,
    pr: s.counters.probeRuns ?? null,
    un: s.unavailable,
    ev: s.events,
    ra: f.receivedAt.toISOString(),
  }));

/**
 * Inserts the samples of several frames (of one agent or many) in ONE
 * statement; duplicates (same host, epoch, seq) are skipped. Returns how
 * many rows were new, per frame. Call checkHealthSamples on each frame
 * first: this stores what it is given.
 */
export async function storeHealthFrames(db: Db | Tx, frames: readonly HealthFrameRows[]): Promise<number[]> {
  const rows = frames.flatMap(rowsOf);
  if (rows.length === 0) return frames.map(() => 0);
  const result = await db.execute(sql`
    insert into health_samples (host_id, epoch, seq, period_start, period_end, boot_id, uptime_sec, app_crashes, kernel_crashes, service_failures, unexpected_shutdowns, probe_failures, probe_runs, unavailable, events, received_at)
    select r.h, r.e, r.q, r.ps, r.pe, r.b, r.u, r.ac, r.kc, r.sf, r.us, r.pf, r.pr,
           array(select jsonb_array_elements_text(r.un)), r.ev, r.ra
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as r(h text, e text, q bigint, ps timestamptz, pe timestamptz, b text, u bigint, ac integer, kc integer, sf integer, us integer, pf integer, pr integer, un jsonb, ev jsonb, ra timestamptz)
    on conflict (host_id, epoch, seq) do nothing
    returning host_id, epoch, seq`);
  // A frame's rows are told apart by (host, epoch, seq): one frame never repeats a seq (checkHealthSamples).
  const owner = new Map<string, number>();
  frames.forEach((f, i) => {
    for (const s of f.samples) owner.set(`${f.hostId}\u0000${f.epoch}\u0000${s.seq}`, i);
  });
  const inserted = frames.map(() => 0);
  for (const r of resultRows<{ host_id: string; epoch: string; seq: string | number }>(result)) {
    const i = owner.get(`${r.host_id}\u0000${r.epoch}\u0000${Number(r.seq)}`);
    if (i !== undefined) inserted[i]! += 1;
  }
  return inserted;
}

/**
 * Inserts the samples of one frame in one statement; duplicates (same host,
 * epoch, seq) are skipped. Returns how many rows were new. Call
 * checkHealthSamples first: this stores what it is given.
 */
export async function storeHealthSamples(db: Db | Tx, hostId: string, epoch: string, samples: readonly HealthSample[], receivedAt: Date): Promise<{ inserted: number }> {
  const [inserted] = await storeHealthFrames(db, [{ hostId, epoch, samples, receivedAt }]);
  return { inserted: inserted ?? 0 };
}
