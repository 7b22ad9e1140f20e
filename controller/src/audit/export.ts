/**
 * Audit export: every entry in a time range, oldest first, as JSON lines,
 * read in pages of 1,000 by id so a large log streams in bounded memory.
 */
import { and, asc, gt, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/index';
import { auditLog } from '../db/schema/index';

/** One exported entry: the row with `at` as ISO 8601. */
export interface AuditExportEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
  requestId: string | null;
}

const PAGE = 1000;

/** The row as exported: `at` as ISO 8601; the writing transaction's id (xid) is the forwarder's business, not the reader's. */
export function exportEntryOf(r: typeof auditLog.$inferSelect): AuditExportEntry {
  return { id: r.id, at: r.at.toISOString(), actor: r.actor, action: r.action, targetType: r.targetType, targetId: r.targetId, details: r.details, requestId: r.requestId };
}

/** Entries with since <= at < until (either bound optional), oldest id first. */
export async function* auditEntries(db: Db, range: { since?: Date | undefined; until?: Date | undefined }): AsyncGenerator<AuditExportEntry> {
  let afterId = 0;
  // Bounded: each page advances afterId past every row it returned; an empty or short page ends it.
  for (;;) {
    const conds: SQL[] = [gt(auditLog.id, afterId)];
    if (range.since) conds.push(gte(auditLog.at, range.since));
    if (range.until) conds.push(lt(auditLog.at, range.until));
    const rows = await db.select().from(auditLog).where(and(...conds)).orderBy(asc(auditLog.id)).limit(PAGE);
    for (const r of rows) yield exportEntryOf(r);
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return;
    afterId = last.id;
  }
}

/** The same entries as JSON lines (one object and a newline each). */
export async function* auditJsonLines(db: Db, range: { since?: Date | undefined; until?: Date | undefined }): AsyncGenerator<string> {
  for await (const entry of auditEntries(db, range)) yield `${JSON.stringify(entry)}\n`;
}
