import { date, doublePrecision, pgTable, text } from 'drizzle-orm/pg-core';

/**
 * FIRST EPSS score per CVE, newest day kept: an import never replaces a row
 * by one from an older file. Not tied to catalog_cves (any order of imports).
 */
export const catalogEpss = pgTable('catalog_epss', {
  cveId: text('cve_id').primaryKey(),
  /** Probability of exploitation activity in the next 30 days, 0..1. */
  score: doublePrecision('score').notNull(),
  percentile: doublePrecision('percentile').notNull(),
  /** The file's score_date (day). */
  scoreDate: date('score_date', { mode: 'string' }).notNull(),
  modelVersion: text('model_version').notNull(),
});
