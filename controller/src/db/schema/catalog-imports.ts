import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per feed of each successful import run (an import command or a
 * scheduled refresh): what was read, what changed, when and by whom. A failed
 * import leaves no row: it changes nothing.
 */
export const catalogImports = pgTable(
  'catalog_imports',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Shared by the feeds of one run, e.g. `imp_3f2a…`. */
    runId: text('run_id').notNull(),
    feed: text('feed', { enum: ['usn', 'msrc', 'kev', 'epss'] }).notNull(),
    /** Files (or URLs) read. */
    sources: jsonb('sources').$type<string[]>().notNull(),
    /** Rows of the feed's own tables. */
    inserted: integer('inserted').notNull(),
    updated: integer('updated').notNull(),
    unchanged: integer('unchanged').notNull(),
    deleted: integer('deleted').notNull(),
    /** Counts per table, catalog version / score date, warnings. */
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** `cli:<user>` or `system` (scheduled refresh). */
    actor: text('actor').notNull(),
  },
  (t) => [index('catalog_imports_feed_idx').on(t.feed, t.finishedAt)],
);
