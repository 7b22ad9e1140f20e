/**
 * Following the audit log for the syslog forwarder without losing or
 * repeating an entry. Ids come from a sequence before commit, so a lower id
 * can become visible after a higher one; reading by id alone would skip it.
 * Instead entries are read in (xid, id) order, the writing transaction's id
 * first, and only below the oldest transaction still running
 * (pg_snapshot_xmin): every transaction there has ended, so no entry can
 * appear behind a cursor that moved past it. Transaction ids are per node,
 * so on a distributed PostgreSQL (Citus) audit_log stays a table local to the
 * coordinator (README, "Past one database").
 */
import { sql } from 'drizzle-orm';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db, Tx } from '../db/index';
import type { AuditExportEntry } from './export';

/** Where a follower stands: the last (xid, id) it has taken. */
export interface AuditCursor {
  /** xid8 as decimal text. */
  xid: string;
  id: number;
}

/** The start of the log. */
export const AUDIT_LOG_START: AuditCursor = { xid: '0', id: 0 };

/** Up to `limit` entries after `cursor` whose transactions have all ended, in (xid, id) order, each with its cursor. */
export async function auditEntriesAfter(db: Db | Tx, cursor: AuditCursor, limit: number): Promise<{ entry: AuditExportEntry; cursor: AuditCursor }[]> {
  const rows = resultRows<{ id: number | string; at: Date | string; actor: string; action: string; target_type: string; target_id: string; details: Record<string, unknown> | string; request_id: string | null; xid: string }>(
    await db.execute(sql`
      select id, at, actor, action, target_type, target_id, details, request_id, xid::text as xid
      from audit_log
      where (xid, id) > (${cursor.xid}::xid8, ${cursor.id}::bigint) and xid < pg_snapshot_xmin(pg_current_snapshot())
      order by xid, id
      limit ${limit}`),
  );
  return rows.map((r) => {
    const id = Number(r.id);
    const entry: AuditExportEntry = {
      id,
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : r.details,
      requestId: r.request_id,
    };
    return { entry, cursor: { xid: r.xid, id } };
  });
}
