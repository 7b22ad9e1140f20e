import { index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import type { UsnCveFacts } from '../../catalog/usn-advisory';

/**
 * One Ubuntu Security Notice (OSV). Timestamps are kept verbatim (RFC 3339
 * text) so the catalog gives back exactly what Canonical published.
 * Withdrawn notices are kept (a later import may withdraw one) but left out
 * of the loaded catalog.
 */
export const catalogUsns = pgTable(
  'catalog_usns',
  {
    /** `USN-7545-1` */
    id: text('id').primaryKey(),
    /** OSV `summary`, e.g. `openssl, openssl1.0 vulnerabilities`. */
    title: text('title').notNull(),
    details: text('details').notNull(),
    published: text('published').notNull(),
    /** OSV `modified`: an import never replaces a notice by an older version of it. */
    modified: text('modified').notNull(),
    withdrawn: text('withdrawn'),
    /** Every CVE the notice fixes, sorted. */
    cves: jsonb('cves').$type<string[]>().notNull(),
    /** Ubuntu priority and CVSS vectors per CVE, from `cves_map` (merged into catalog_cves). */
    cveFacts: jsonb('cve_facts').$type<UsnCveFacts[]>().notNull(),
    /** sha256 of the notice and its fixes as stored: an unchanged notice is skipped without comparing its fixes row by row. */
    contentHash: text('content_hash').notNull(),
  },
  (t) => [index('catalog_usns_cves_idx').using('gin', t.cves)],
);
