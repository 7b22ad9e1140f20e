import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { hosts } from './hosts';

/**
 * What each host is missing (and has installed) according to the catalog,
 * with the priority of each missing patch. Rewritten whole for a host each
 * time it is re-assessed (inventory change, catalog change).
 */
export const hostPatchState = pgTable(
  'host_patch_state',
  {
    hostId: text('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    /** `USN-7545-1` or `KB5072033` */
    patchId: text('patch_id').notNull(),
    kind: text('kind', { enum: ['usn', 'kb'] }).notNull(),
    status: text('status', { enum: ['missing', 'installed'] }).notNull(),
    title: text('title').notNull().default(''),
    cves: jsonb('cves').$type<string[]>().notNull().default([]),
    /** Ubuntu: [{ name, installed, fixed }] */
    packages: jsonb('packages').$type<{ name: string; installed: string; fixed: string }[]>().notNull().default([]),
    /** `ubuntu-pro` when the fix needs a subscription */
    requires: text('requires'),
    score: integer('score'),
    tier: text('tier', { enum: ['critical', 'high', 'medium', 'low'] }),
    dueBy: timestamp('due_by', { withTimezone: true, mode: 'date' }),
    reasons: jsonb('reasons').$type<string[]>().notNull().default([]),
    assessedAt: timestamp('assessed_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.hostId, t.patchId] }),
    index('host_patch_state_patch_idx').on(t.patchId, t.status),
    // The critical and high patches hosts miss (exposure-days, kpis/exposure.ts): a fraction of the rows, read index-only.
    index('host_patch_state_urgent_idx').on(t.patchId, t.hostId).where(sql`status = 'missing' and tier in ('critical', 'high')`),
  ],
);
