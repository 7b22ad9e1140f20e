/** Reading the audit log back a page at a time, newest first (the API's `GET /api/v1/audit`). */
import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/index';
import { auditLog } from '../db/schema/index';
import { exportEntryOf, type AuditExportEntry } from './export';

export interface AuditFilter {
  /** Entries with an id below this (the previous page's last id). */
  before?: number | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  action?: string | undefined;
  /** Who did it, exactly as recorded (`user:ada`, `token:tok_...`, `system`). */
  actor?: string | undefined;
  /** since <= at < until. */
  since?: Date | undefined;
  until?: Date | undefined;
  limit: number;
}

/** Up to `limit` entries matching every given field, newest (highest id) first. */
export async function listAuditEntries(db: Db, f: AuditFilter): Promise<AuditExportEntry[]> {
  const conds: SQL[] = [];
  if (f.before) conds.push(lt(auditLog.id, f.before));
  if (f.targetType) conds.push(eq(auditLog.targetType, f.targetType));
  if (f.targetId) conds.push(eq(auditLog.targetId, f.targetId));
  if (f.action) conds.push(eq(auditLog.action, f.action));
  if (f.actor) conds.push(eq(auditLog.actor, f.actor));
  if (f.since) conds.push(gte(auditLog.at, f.since));
  if (f.until) conds.push(lt(auditLog.at, f.until));
  const rows = await db.select().from(auditLog).where(and(...conds)).orderBy(desc(auditLog.id)).limit(f.limit);
  return rows.map(exportEntryOf);
}
