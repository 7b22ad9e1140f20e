import { auditLog } from '../db/schema/index';
import type { Db, Tx } from '../db/index';

export interface AuditEntry {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  details?: Record<string, unknown>;
  requestId?: string | undefined;
}

/**
 * Appends to the audit log. Pass the transaction that makes the change, so
 * the change and its record commit or roll back together.
 */
export async function audit(db: Db | Tx, at: Date, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    at,
    actor: entry.actor,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details: entry.details ?? {},
    requestId: entry.requestId ?? null,
  });
}

/** Appends many entries in one statement per 1,000 (a wave of commands is audited one row per command). */
export async function auditMany(db: Db | Tx, at: Date, entries: readonly AuditEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 1000) {
    const batch = entries.slice(i, i + 1000);
    await db.insert(auditLog).values(
      batch.map((entry) => ({
        at,
        actor: entry.actor,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId,
        details: entry.details ?? {},
        requestId: entry.requestId ?? null,
      })),
    );
  }
}
