import { jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import type { CvrfDigest } from '../../catalog/msrc-digest';

/**
 * One MSRC monthly CVRF document, kept as its digest (KBs, product names,
 * per-CVE facts): catalog_kbs and catalog_cves are merged from all stored
 * digests, so months can be imported one at a time and in any order.
 */
export const catalogMsrcDocuments = pgTable('catalog_msrc_documents', {
  /** `2025-Nov` */
  id: text('id').primaryKey(),
  /** `YYYY-MM`, or null when the id is not `YYYY-Mon`. */
  month: text('month'),
  title: text('title').notNull(),
  /** As published (no zone), e.g. `2025-11-11T08:00:00`. */
  initialReleaseDate: text('initial_release_date').notNull(),
  /** An import never replaces a document by an older release of it. */
  currentReleaseDate: text('current_release_date').notNull(),
  digest: jsonb('digest').$type<CvrfDigest>().notNull(),
});
