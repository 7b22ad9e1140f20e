/**
 * The record of catalog imports (catalog_imports) and what `catalog status`
 * shows: rows per catalog table and the last import of each feed.
 *
 * Owns the table `catalog_imports`.
 */
import { count, desc, eq } from 'drizzle-orm';
import {
  catalogCves,
  catalogEpss,
  catalogImports,
  catalogKbProducts,
  catalogKbs,
  catalogKev,
  catalogMsrcDocuments,
  catalogRemediations,
  catalogUsnFixes,
  catalogUsns,
} from '../db/schema/index';
import type { Db, Tx } from '../db/index';
import { addRowCounts, type CatalogTable, type RowCounts } from './store';

/** Bus channel on which an import through the API tells every replica's host-state service to re-assess. */
export const CATALOG_CHANGED_CHANNEL = 'catalog_changed';

/** The feeds an import reads. */
export type CatalogFeed = 'usn' | 'msrc' | 'kev' | 'epss';
export const CATALOG_FEEDS: readonly CatalogFeed[] = ['usn', 'msrc', 'kev', 'epss'];

/**
 * Tables each feed owns; their counts make the feed's totals. catalog_cves is
 * merged from usn and msrc together and is reported on its own.
 */
export const FEED_TABLES: Record<CatalogFeed, CatalogTable[]> = {
  usn: ['usns', 'usnFixes'],
  msrc: ['msrcDocuments', 'remediations', 'kbs', 'kbProducts'],
  kev: ['kev'],
  epss: ['epss'],
};

/** One feed of one import run, as recorded. */
export interface FeedImport {
  feed: CatalogFeed;
  sources: string[];
  totals: RowCounts;
  /** Counts per table, plus feed facts (KEV catalog version, EPSS score date). */
  details: Record<string, unknown>;
}

/** Totals of a feed from the per-table counts. */
export function feedTotals(feed: CatalogFeed, tables: Partial<Record<CatalogTable, RowCounts>>): RowCounts {
  return addRowCounts(...FEED_TABLES[feed].flatMap((t) => (tables[t] === undefined ? [] : [tables[t]])));
}

/** Writes one catalog_imports row per feed of a run (inside the import's transaction). */
export async function recordImportRun(
  tx: Tx,
  run: { runId: string; actor: string; startedAt: Date; finishedAt: Date; feeds: FeedImport[] },
): Promise<void> {
  if (run.feeds.length === 0) return;
  await tx.insert(catalogImports).values(
    run.feeds.map((f) => ({
      runId: run.runId,
      feed: f.feed,
      sources: f.sources,
      ...f.totals,
      details: f.details,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      actor: run.actor,
    })),
  );
}

/** The last import of one feed. */
export interface LastImport {
  feed: CatalogFeed;
  runId: string;
  finishedAt: string;
  actor: string;
  sources: string[];
  totals: RowCounts;
}

/** What `catalog status` shows. */
export interface CatalogStatus {
  /** Rows per catalog table. */
  rows: Record<CatalogTable, number>;
  /** Last import per feed; absent when never imported. */
  lastImports: Partial<Record<CatalogFeed, LastImport>>;
}

const TABLES = {
  usns: catalogUsns,
  usnFixes: catalogUsnFixes,
  msrcDocuments: catalogMsrcDocuments,
  remediations: catalogRemediations,
  kbs: catalogKbs,
  kbProducts: catalogKbProducts,
  cves: catalogCves,
  kev: catalogKev,
  epss: catalogEpss,
} as const;

/** Row counts of every catalog table (the "nothing changed" check of the tests reads this too). */
export async function catalogRowCounts(db: Db | Tx): Promise<Record<CatalogTable, number>> {
  const rows = {} as Record<CatalogTable, number>;
  for (const [name, table] of Object.entries(TABLES) as [CatalogTable, (typeof TABLES)[CatalogTable]][]) {
    const [row] = await db.select({ n: count() }).from(table);
    rows[name] = row?.n ?? 0;
  }
  return rows;
}

/** Whether any catalog import was ever recorded. */
export async function hasCatalogImports(db: Db | Tx): Promise<boolean> {
  const rows = await db.select({ id: catalogImports.id }).from(catalogImports).limit(1);
  return rows.length > 0;
}

/** Row counts and the last import of each feed. */
export async function catalogStatus(db: Db | Tx): Promise<CatalogStatus> {
  const lastImports: CatalogStatus['lastImports'] = {};
  for (const feed of CATALOG_FEEDS) {
    const [last] = await db.select().from(catalogImports).where(eq(catalogImports.feed, feed)).orderBy(desc(catalogImports.id)).limit(1);
    if (last === undefined) continue;
    lastImports[feed] = {
      feed,
      runId: last.runId,
      finishedAt: last.finishedAt.toISOString(),
      actor: last.actor,
      sources: last.sources,
      totals: { inserted: last.inserted, updated: last.updated, unchanged: last.unchanged, deleted: last.deleted },
    };
  }
  return { rows: await catalogRowCounts(db), lastImports };
}
