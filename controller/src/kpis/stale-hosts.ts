/**
 * Hosts not seen for a week, from host_sessions (gateway/handshake-store.ts, kept
 * whole): one statement.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index';
import { resultRows } from '../catalog/rows/sync-rows';
import { DAY_MS, ts, type KpiPeriods, type Trend } from './period';

/** How long a host may stay silent before it counts as not seen. */
export const STALE_AFTER_DAYS = 7;

/** Silent hosts at one instant. */
export interface StaleHosts {
  /** Active hosts enrolled at least a week before the instant and not seen in the week up to it. */
  count: number;
  /** Active hosts enrolled by the instant (the count's base). */
  hosts: number;
}

/**
 * Active hosts not seen for a week, at now (`current`) and at the start of
 * the current period (`previous`), judged alike from the sessions recorded
 * (host_sessions, whose last_seen_at the gateway flushes as it does
 * hosts.last_seen_at): a host counts when it was enrolled more than seven
 * days before the instant and no session of it was open in the seven days up
 * to the instant (connected by then, last seen within them).
 */
export async function staleHosts(db: Db, p: KpiPeriods): Promise<Trend<StaleHosts>> {
  const weekMs = STALE_AFTER_DAYS * DAY_MS;
  const now = ts(p.now);
  const nowCut = ts(new Date(p.now.getTime() - weekMs));
  const then = ts(p.current.from);
  const thenCut = ts(new Date(p.current.from.getTime() - weekMs));
  // One pass over the sessions of the last two weeks, grouped per host; hosts read index-only (hosts_status_enrolled_idx).
  const [r] = resultRows<Record<string, number>>(
    await db.execute(sql`select
        count(*) filter (where h.enrolled_at <= ${now})::int as hosts_cur,
        count(*) filter (where h.enrolled_at < ${nowCut} and not coalesce(s.seen_now, false))::int as stale_cur,
        count(*) filter (where h.enrolled_at <= ${then})::int as hosts_prev,
        count(*) filter (where h.enrolled_at < ${thenCut} and not coalesce(s.seen_then, false))::int as stale_prev
      from hosts h
      left join (
        select host_id,
          bool_or(connected_at <= ${now} and last_seen_at >= ${nowCut}) as seen_now,
          bool_or(connected_at <= ${then} and last_seen_at >= ${thenCut}) as seen_then
        from host_sessions where last_seen_at >= ${thenCut} group by host_id
      ) s on s.host_id = h.id
      where h.status = 'active'`),
  );
  return {
    current: { count: Number(r?.stale_cur ?? 0), hosts: Number(r?.hosts_cur ?? 0) },
    previous: { count: Number(r?.stale_prev ?? 0), hosts: Number(r?.hosts_prev ?? 0) },
  };
}
