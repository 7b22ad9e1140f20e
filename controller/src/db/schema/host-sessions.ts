import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { hosts } from './hosts';

/** Agent sessions: who connected to which controller, from where, and when they left. */
export const hostSessions = pgTable(
  'host_sessions',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    controllerId: text('controller_id').notNull(),
    remoteAddress: text('remote_address').notNull().default(''),
    agentVersion: text('agent_version').notNull().default(''),
    connectedAt: timestamp('connected_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull(),
    disconnectedAt: timestamp('disconnected_at', { withTimezone: true, mode: 'date' }),
    closeReason: text('close_reason'),
  },
  (t) => [index('host_sessions_host_idx').on(t.hostId, t.connectedAt)],
);
