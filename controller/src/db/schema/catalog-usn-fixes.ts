import { boolean, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { catalogUsns } from './catalog-usns';

/**
 * One fix of a notice: a source package in one Ubuntu release (or Pro
 * service), in the notice's order (`position`). Indexed by source package to
 * answer "which notices name package X (in release R)".
 */
export const catalogUsnFixes = pgTable(
  'catalog_usn_fixes',
  {
    usnId: text('usn_id').notNull().references(() => catalogUsns.id, { onDelete: 'cascade' }),
    /** Index of the OSV `affected[]` entry. */
    position: integer('position').notNull(),
    /** e.g. `Ubuntu:24.04:LTS`, `Ubuntu:Pro:18.04:LTS` */
    ecosystem: text('ecosystem').notNull(),
    release: text('release').notNull(),
    pro: boolean('pro').notNull(),
    proService: text('pro_service'),
    variant: text('variant'),
    sourcePackage: text('source_package').notNull(),
    /** Null when no fix is published for this release. */
    fixedVersion: text('fixed_version'),
    binaries: jsonb('binaries').$type<{ name: string; version: string }[]>().notNull(),
    /** CVEs closed in this release per `cves_map`; null when the notice does not say. */
    cves: jsonb('cves').$type<string[] | null>(),
  },
  (t) => [
    primaryKey({ columns: [t.usnId, t.position] }),
    index('catalog_usn_fixes_source_idx').on(t.sourcePackage, t.release),
  ],
);
