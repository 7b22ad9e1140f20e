/**
 * Writing the audit log. Owns the table `audit_log` (append-only by trigger;
 * retention.ts is the one delete, list.ts and export.ts read it back).
 */
import { sql } from 'drizzle-orm';
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

/**
 * Appends many entries, one statement per 5,000 with one JSON parameter (a
 * wave of commands is audited one row per command).
 */
export async function auditMany(db: Db | Tx, at: Date, entries: readonly AuditEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 5000) {
    const batch = entries.slice(i, i + 5000).map((e) => ({ actor: e.actor, action: e.action, targetType: e.targetType, targetId: e.targetId, details: e.details ?? {}, requestId: e.requestId ?? null }));
    await db.execute(sql`
      insert into audit_log (at, actor, action, target_type, target_id, details, request_id)
      select ${at.toISOString()}::timestamptz, v.actor, v.action, v."targetType", v."targetId", v.details, v."requestId"
      from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb) as v(actor text, action text, "targetType" text, "targetId" text, details jsonb, "requestId" text)`);
  }
}
