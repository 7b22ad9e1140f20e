/**
 * Hosts not seen for a week, from hosts (last_seen_at, written by the
 * gateway) and host_sessions (gateway/session.ts, kept whole): one statement.
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
 * Active hosts not seen for a week. `current` (at now): hosts enrolled more
 * than seven days ago whose last contact (`hosts.last_seen_at`; never: the
 * enrollment) is more than seven days old. `previous` (at the start of the
 * current period): the same, judged from the sessions recorded by then: no
 * session was open within the seven days before that instant.
 */
export async function staleHosts(db: Db, p: KpiPeriods): Promise<Trend<StaleHosts>> {
  const weekMs = STALE_AFTER_DAYS * DAY_MS;
  const now = ts(p.now);
  const nowCut = ts(new Date(p.now.getTime() - weekMs));
  const then = ts(p.current.from);
  const thenCut = ts(new Date(p.current.from.getTime() - weekMs));
  const [r] = resultRows<Record<string, number>>(
    await db.execute(sql`select
        count(*) filter (where h.enrolled_at <= ${now})::int as hosts_cur,
        count(*) filter (where h.enrolled_at < ${nowCut} and coalesce(h.last_seen_at, h.enrolled_at) < ${nowCut})::int as stale_cur,
        count(*) filter (where h.enrolled_at <= ${then})::int as hosts_prev,
        count(*) filter (where h.enrolled_at < ${thenCut}
          and not exists (select 1 from host_sessions s where s.host_id = h.id and s.connected_at <= ${then} and s.last_seen_at >= ${thenCut}))::int as stale_prev
      from hosts h
      where h.status = 'active'`),
  );
  return {
    current: { count: Number(r?.stale_cur ?? 0), hosts: Number(r?.hosts_cur ?? 0) },
    previous: { count: Number(r?.stale_prev ?? 0), hosts: Number(r?.hosts_prev ?? 0) },
  };
}
