/**
 * The catalog in the database: `saveCatalogFeeds` writes parsed feeds,
 * `loadCatalog` reads the Catalog back.
 *
 * Tables (controller/src/db/schema/catalog-*.ts): sources as imported
 * (catalog_usns + catalog_usn_fixes, catalog_msrc_documents as digests,
 * catalog_kev, catalog_epss) and what is merged from all stored sources
 * (catalog_kbs + catalog_kb_products, catalog_cves). Every write is an upsert
 * that only touches rows whose values change, so the counts say what an
 * import changed and a repeated import reports nothing inserted or updated.
 *
 * Owns every catalog_* table but catalog_imports (catalog/import-log.ts);
 * catalog/patches.ts and catalog/rows/load.ts read them.
 */
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index';
import type { CvrfDocument, KevCatalog, UsnRecord } from './feeds/index';
import { syncDerived } from './rows/derived';
import { saveMsrcDocuments } from './rows/msrc';
import { saveEpss, saveKev, type EpssInput } from './rows/signals';
import type { RowCounts } from './rows/sync-rows';
import { saveUsns } from './rows/usns';

export { loadCatalog } from './rows/load';
export { addRowCounts, noRowCounts, type RowCounts } from './rows/sync-rows';
export type { EpssInput } from './rows/signals';

/** Parsed feeds to store; any subset. */
export interface CatalogFeeds {
  usn?: UsnRecord[];
  cvrf?: CvrfDocument[];
  kev?: KevCatalog;
  epss?: EpssInput;
}

/** Catalog tables, as named in counts. */
export type CatalogTable = 'usns' | 'usnFixes' | 'msrcDocuments' | 'remediations' | 'kbs' | 'kbProducts' | 'cves' | 'kev' | 'epss';

export interface SaveResult {
  /** Counts of the tables this save wrote. */
  tables: Partial<Record<CatalogTable, RowCounts>>;
  /** Records kept back (older than stored) and parser warnings; nothing here stopped the save. */
  warnings: string[];
}

/** Serializes catalog writers (imports, scheduled refreshes, replicas): merges read all sources and must not interleave. */
const CATALOG_LOCK = 7_320_816;

export interface SaveOptions {
  /** Progress lines for humans (e.g. `epss: 100000 rows written`). */
  onProgress?: (line: string) => void;
}

/**
 * Stores parsed feeds in one transaction (a savepoint when `db` is already a
 * transaction). Throws whatever the EPSS row stream throws; nothing is then
 * written.
 */
export async function saveCatalogFeeds(db: Db | Tx, feeds: CatalogFeeds, opts: SaveOptions = {}): Promise<SaveResult> {
  const progress = opts.onProgress ?? (() => {});
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CATALOG_LOCK})`);
    const tables: SaveResult['tables'] = {};
    const warnings: string[] = [];
    if (feeds.usn !== undefined) {
      progress(`usn: writing ${feeds.usn.length} notices`);
      const saved = await saveUsns(tx, feeds.usn);
      tables.usns = saved.usns;
      tables.usnFixes = saved.usnFixes;
      warnings.push(...saved.warnings);
    }
    if (feeds.cvrf !== undefined) {
      progress(`msrc: writing ${feeds.cvrf.length} documents`);
      const saved = await saveMsrcDocuments(tx, feeds.cvrf);
      tables.msrcDocuments = saved.msrcDocuments;
      tables.remediations = saved.remediations;
      warnings.push(...saved.warnings);
    }
    if (feeds.usn !== undefined || feeds.cvrf !== undefined) {
      progress('catalog: merging KBs and CVEs');
      Object.assign(tables, await syncDerived(tx, { kbs: feeds.cvrf !== undefined }));
    }
    if (feeds.kev !== undefined) {
      progress(`kev: writing ${feeds.kev.entries.length} entries`);
      tables.kev = await saveKev(tx, feeds.kev);
    }
    if (feeds.epss !== undefined) {
      let next = 50_000;
      tables.epss = await saveEpss(tx, feeds.epss, (rows) => {
        if (rows < next) return;
        progress(`epss: ${rows} rows written`);
        next = rows + 50_000;
      });
      const e = tables.epss;
      progress(`epss: ${e.inserted + e.updated + e.unchanged} rows written`);
    }
    return { tables, warnings };
  });
}
