import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { hosts } from './hosts';

/** Ed25519 public keys of agents (base64, raw 32 bytes). One active key per host; rotated keys stay for audit. */
export const agentKeys = pgTable(
  'agent_keys',
  {
    publicKey: text('public_key').primaryKey(),
    hostId: text('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('agent_keys_host_idx').on(t.hostId)],
);
