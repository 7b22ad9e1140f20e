/** The syslog forwarder's place in the audit log. Owns the table `syslog_cursor`. */
import { eq } from 'drizzle-orm';
import { AUDIT_LOG_START, type AuditCursor } from '../audit/follow';
import type { Db, Tx } from '../db/index';
import { syslogCursor } from '../db/schema/index';

/** The stream of the audit log (one row; a second target would add its own). */
export const AUDIT_STREAM = 'audit';

/** The saved cursor of `stream`; the start of the log when none was saved. */
export async function readCursor(db: Db | Tx, stream: string): Promise<AuditCursor> {
  const [row] = await db.select().from(syslogCursor).where(eq(syslogCursor.stream, stream)).limit(1);
  return row ? { xid: row.xid, id: row.auditId } : AUDIT_LOG_START;
}

/** Saves `cursor` as the last entry of `stream` sent. */
export async function saveCursor(tx: Tx, stream: string, cursor: AuditCursor, at: Date): Promise<void> {
  await tx
    .insert(syslogCursor)
    .values({ stream, xid: cursor.xid, auditId: cursor.id, updatedAt: at })
    .onConflictDoUpdate({ target: syslogCursor.stream, set: { xid: cursor.xid, auditId: cursor.id, updatedAt: at } });
}
