import { boolean, doublePrecision, pgTable, text } from 'drizzle-orm/pg-core';

/**
 * One CVE named by an advisory (USN or MSRC), with the advisories' facts
 * merged (catalog/merge-cves.ts). KEV and EPSS live in their own tables and
 * are joined when the catalog is loaded.
 */
export const catalogCves = pgTable('catalog_cves', {
  /** `CVE-2025-62215` */
  id: text('id').primaryKey(),
  /** Highest vendor CVSS base score, 0-10 (double: 7.8 reads back as 7.8). */
  cvssScore: doublePrecision('cvss_score'),
  cvssVector: text('cvss_vector'),
  /** MSRC severity word, else Ubuntu priority. */
  severity: text('severity'),
  /** As the advisories say it; loading adds KEV's evidence. */
  exploited: boolean('exploited'),
  publiclyDisclosed: boolean('publicly_disclosed'),
});
