/**
 * CISA KEV and FIRST EPSS: kept in their own tables, keyed by CVE, whether or
 * not an advisory names the CVE yet, and joined when the catalog is loaded.
 */
import { sql } from 'drizzle-orm';
import { catalogEpss, catalogKev } from '../../db/schema/index';
import type { Tx } from '../../db/index';
import type { EpssRow, KevCatalog } from '../feeds/index';
import { feedParseError } from '../feeds/feed-errors';
import { epssDay } from '../merge-cves';
import { deleteRowsNotIn, noRowCounts, upsertRows, type RowCounts } from './sync-rows';

/**
 * Replaces the stored KEV catalog by this one: CISA publishes the whole
 * catalog each time, and removes an entry now and then, so rows missing from
 * the import are deleted.
 */
export async function saveKev(tx: Tx, kev: KevCatalog): Promise<RowCounts> {
  const rows = kev.entries.map((e) => ({
    cveId: e.cveId,
    vendorProject: e.vendorProject,
    product: e.product,
    name: e.name,
    dateAdded: e.dateAdded,
    dueDate: e.dueDate,
    knownRansomware: e.knownRansomwareCampaignUse,
  }));
  const counts = await upsertRows(tx, catalogKev, [catalogKev.cveId], rows);
  counts.deleted = await deleteRowsNotIn(tx, catalogKev, [catalogKev.cveId], rows.map((r) => [r.cveId]));
  return counts;
}

/** An EPSS file to store: header values and its rows, streamed. */
export interface EpssInput {
  source: string;
  modelVersion: string;
  /** `YYYY-MM-DDTHH:MM:SSZ` from the header. */
  scoreDate: string;
  rows: Iterable<EpssRow> | AsyncIterable<EpssRow>;
}

const EPSS_BATCH = 5_000;

/**
 * Upserts EPSS rows in batches as they stream in. A stored score from a later
 * day is kept (files can be imported in any order). Rows are not deleted: a
 * subset file must not wipe the rest. A CVE given twice is a damaged file.
 */
export async function saveEpss(tx: Tx, input: EpssInput, onRows?: (rows: number) => void): Promise<RowCounts> {
  const counts = noRowCounts();
  const day = epssDay(input.scoreDate);
  const seen = new Set<string>();
  let batch: (typeof catalogEpss.$inferInsert)[] = [];
  const flush = async (): Promise<void> => {
    const c = await upsertRows(tx, catalogEpss, [catalogEpss.cveId], batch, sql`excluded.score_date >= ${catalogEpss.scoreDate}`);
    counts.inserted += c.inserted;
    counts.updated += c.updated;
    counts.unchanged += c.unchanged;
    batch = [];
    onRows?.(seen.size);
  };
  for await (const row of input.rows) {
    if (seen.has(row.cve)) throw feedParseError({ file: input.source, record: row.cve }, `${row.cve} is listed more than once`);
    seen.add(row.cve);
    batch.push({ cveId: row.cve, score: row.epss, percentile: row.percentile, scoreDate: day, modelVersion: input.modelVersion });
    if (batch.length >= EPSS_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return counts;
}
