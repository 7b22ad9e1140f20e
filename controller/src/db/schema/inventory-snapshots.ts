import { bigint, bigserial, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { hosts } from './hosts';

/** One row per applied inventory report: what came in and when (the package set itself lives in installed_packages). */
export const inventorySnapshots = pgTable(
  'inventory_snapshots',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    hostId: text('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    kind: text('kind', { enum: ['full', 'delta'] }).notNull(),
    collectedAt: timestamp('collected_at', { withTimezone: true, mode: 'date' }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull(),
    packageCount: integer('package_count').notNull(),
    added: integer('added').notNull().default(0),
    removed: integer('removed').notNull().default(0),
    changed: integer('changed').notNull().default(0),
  },
  (t) => [index('inventory_snapshots_host_idx').on(t.hostId, t.receivedAt)],
);
