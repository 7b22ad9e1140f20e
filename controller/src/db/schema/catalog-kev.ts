import { boolean, date, pgTable, text } from 'drizzle-orm/pg-core';

/**
 * The CISA Known Exploited Vulnerabilities catalog as last imported (an
 * import replaces it). Not tied to catalog_cves: KEV may be imported before
 * the advisories that name its CVEs.
 */
export const catalogKev = pgTable('catalog_kev', {
  cveId: text('cve_id').primaryKey(),
  vendorProject: text('vendor_project').notNull(),
  product: text('product').notNull(),
  name: text('name').notNull(),
  dateAdded: date('date_added', { mode: 'string' }).notNull(),
  /** Federal agencies' remediation deadline. */
  dueDate: date('due_date', { mode: 'string' }).notNull(),
  knownRansomware: boolean('known_ransomware').notNull(),
});
