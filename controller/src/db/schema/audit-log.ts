import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { xid8 } from './xid8';

/** Append-only record of every change and every security-relevant event: who, what, when. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    /** `token:<id>`, `agent:<id>`, `enroll-token:<id>` or `system` */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    requestId: text('request_id'),
    /**
     * The writing transaction's id. Ids of a bigserial are taken before commit, so a row
     * with a lower id can appear after a higher one; the syslog forwarder (audit/follow.ts)
     * reads in (xid, id) order below the oldest running transaction, where nothing new can appear.
     */
    xid: xid8('xid').notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_target_idx').on(t.targetType, t.targetId), index('audit_log_xid_idx').on(t.xid, t.id), index('audit_log_action_at_idx').on(t.action, t.at)],
);
