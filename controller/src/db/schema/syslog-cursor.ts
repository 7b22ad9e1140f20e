import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { xid8 } from './xid8';

/**
 * How far the syslog forwarder has sent the audit log: the (transaction id,
 * audit id) of the last entry sent, in the order it reads them
 * (audit/follow.ts). One row per stream. Owner: syslog/forwarder.ts.
 */
export const syslogCursor = pgTable('syslog_cursor', {
  stream: text('stream').primaryKey(),
  xid: xid8('xid').notNull(),
  auditId: bigint('audit_id', { mode: 'number' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});
