/**
 * `catalog import`: reads feed files with the parsers, then writes everything
 * of one import in ONE transaction, with its catalog_imports rows and an
 * audit_log entry. USN, CVRF and KEV files are parsed completely before the
 * transaction starts; EPSS (300k rows) streams inside it. Either way a bad
 * file aborts the import with the parser's PF_ERR_FEED_* error (naming the
 * file and record) and nothing is changed.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Clock } from '@patchfleet/shared';
import { isPfError, PfError, Errors } from '@patchfleet/shared/errors';
import { feedIoError } from './feeds/feed-errors';
import { audit } from '../audit/audit';
import type { Db, Tx } from '../db/index';
import { parseEpssStream, readCvrfFile, readKevFile, readUsnOsvPath, type CvrfDocument, type KevCatalog, type UsnRecord } from './feeds/index';
import { FEED_TABLES, feedTotals, recordImportRun, type CatalogFeed, type FeedImport } from './import-log';
import { addRowCounts, saveCatalogFeeds, type CatalogFeeds, type CatalogTable, type RowCounts } from './store';

/** Files to import; at least one. */
export interface ImportSources {
  /** A directory of `USN-*.json`, or one file holding a record or an array of records. */
  usnOsv?: string;
  /** MSRC CVRF XML documents. */
  msrcCvrf?: string[];
  /** CISA KEV JSON. */
  kev?: string;
  /** FIRST EPSS CSV, plain or gzip. */
  epss?: string;
}

export interface ImportOptions {
  clock: Clock;
  /** Who imports: `cli:<user>` or `system`. Recorded in catalog_imports and the audit log. */
  actor: string;
  /** Progress lines for humans, e.g. `usn: 120/500 files`. */
  onProgress?: (line: string) => void;
  /** What to record as each feed's sources (a refresh records URLs, not its temp files); default the paths. */
  sourceNames?: Partial<Record<CatalogFeed, string[]>>;
}

export interface ImportResult {
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Per feed imported: sources and the totals of the feed's own tables. */
  feeds: Partial<Record<CatalogFeed, { sources: string[]; totals: RowCounts }>>;
  /** Per catalog table written (catalog_cves is merged from usn and msrc together). */
  tables: Partial<Record<CatalogTable, RowCounts>>;
  /** False when the import inserted, updated and deleted nothing. */
  changed: boolean;
  warnings: string[];
}

/** Reports `done/total` at about every tenth and at the end, so a 10,000-file directory prints ten lines, not 10,000. */
function stepped(report: (done: number, total: number) => void): (done: number, total: number) => void {
  let next = 0;
  return (done, total) => {
    if (done < next && done < total) return;
    report(done, total);
    next = done + Math.max(1, Math.ceil(total / 10));
  };
}

async function readUsns(path: string, progress: (line: string) => void): Promise<UsnRecord[]> {
  let unit: string;
  try {
    unit = (await stat(path)).isDirectory() ? 'files' : 'records';
  } catch (err) {
    throw feedIoError(path, err);
  }
  const records: UsnRecord[] = [];
  const onProgress = stepped((done, total) => progress(`usn: ${done}/${total} ${unit}`));
  for await (const record of readUsnOsvPath(path, onProgress)) records.push(record);
  return records;
}

async function readCvrfs(paths: string[], progress: (line: string) => void): Promise<CvrfDocument[]> {
  const docs: CvrfDocument[] = [];
  for (const [i, path] of paths.entries()) {
    docs.push(await readCvrfFile(path));
    progress(`msrc: ${i + 1}/${paths.length} documents (${basename(path)}: ${docs.at(-1)?.id})`);
  }
  return docs;
}

async function readKev(path: string, progress: (line: string) => void): Promise<KevCatalog> {
  const kev = await readKevFile(path);
  progress(`kev: ${kev.entries.length} entries (catalog ${kev.catalogVersion})`);
  return kev;
}

function byteSize(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.ceil(bytes / 1000)} kB`;
}

/** Details kept with each feed's catalog_imports row: its tables' counts (usn and msrc also the merged CVEs) and feed facts. */
function feedDetails(feed: CatalogFeed, feeds: CatalogFeeds, tables: ImportResult['tables']): Record<string, unknown> {
  const names = feed === 'usn' || feed === 'msrc' ? [...FEED_TABLES[feed], 'cves' as const] : FEED_TABLES[feed];
  const own = Object.fromEntries(names.flatMap((t) => (tables[t] === undefined ? [] : [[t, tables[t]]])));
  if (feed === 'msrc') return { tables: own, documents: (feeds.cvrf ?? []).map((d) => d.id) };
  if (feed === 'kev') return { tables: own, catalogVersion: feeds.kev?.catalogVersion, dateReleased: feeds.kev?.dateReleased };
  if (feed === 'epss') return { tables: own, modelVersion: feeds.epss?.modelVersion, scoreDate: feeds.epss?.scoreDate };
  return { tables: own };
}

/**
 * Imports feed files into the catalog. Throws PF_ERR_VALIDATION when no file
 * is given, PF_ERR_FEED_PARSE / PF_ERR_FEED_IO for a bad or unreadable file,
 * PF_ERR_CATALOG_IMPORT when the database write fails; nothing is changed then.
 */
export async function importCatalog(db: Db, sources: ImportSources, opts: ImportOptions): Promise<ImportResult> {
  const progress = opts.onProgress ?? (() => {});
  const given: CatalogFeed[] = [];
  if (sources.usnOsv !== undefined) given.push('usn');
  if (sources.msrcCvrf !== undefined && sources.msrcCvrf.length > 0) given.push('msrc');
  if (sources.kev !== undefined) given.push('kev');
  if (sources.epss !== undefined) given.push('epss');
  if (given.length === 0) throw new PfError(Errors.VALIDATION, 'nothing to import: give at least one of --usn-osv, --msrc-cvrf, --kev, --epss');

  const started = opts.clock.now();
  const feeds: CatalogFeeds = {};
  if (sources.usnOsv !== undefined) feeds.usn = await readUsns(sources.usnOsv, progress);
  if (sources.msrcCvrf !== undefined && sources.msrcCvrf.length > 0) feeds.cvrf = await readCvrfs(sources.msrcCvrf, progress);
  if (sources.kev !== undefined) feeds.kev = await readKev(sources.kev, progress);

  let epssStream: ReadStream | undefined;
  try {
    if (sources.epss !== undefined) {
      const path = sources.epss;
      let bytes: number;
      try {
        bytes = (await stat(path)).size;
      } catch (err) {
        throw feedIoError(path, err);
      }
      // Our own stream, so it is closed even when the import fails before reading rows.
      epssStream = createReadStream(path);
      const onProgress = stepped((done, total) => progress(`epss: ${Math.round((100 * done) / total)}% (${byteSize(done)} of ${byteSize(total)} read)`));
      const feed = await parseEpssStream(epssStream, path, { totalBytes: bytes, onProgress: (done, total) => onProgress(done, total ?? done) });
      feeds.epss = { source: path, modelVersion: feed.modelVersion, scoreDate: feed.scoreDate, rows: feed.rows };
      progress(`epss: model ${feed.modelVersion}, scores of ${feed.scoreDate.slice(0, 10)}`);
    }

    const runId = `imp_${randomBytes(8).toString('hex')}`;
    const pathsOf: Record<CatalogFeed, string[]> = {
      usn: sources.usnOsv === undefined ? [] : [sources.usnOsv],
      msrc: sources.msrcCvrf ?? [],
      kev: sources.kev === undefined ? [] : [sources.kev],
      epss: sources.epss === undefined ? [] : [sources.epss],
    };
    const result = await runInTransaction(db, async (tx) => {
      const saved = await saveCatalogFeeds(tx, feeds, { onProgress: progress });
      const finished = opts.clock.now();
      const feedImports: FeedImport[] = given.map((feed) => ({
        feed,
        sources: opts.sourceNames?.[feed] ?? pathsOf[feed],
        totals: feedTotals(feed, saved.tables),
        details: { ...feedDetails(feed, feeds, saved.tables), warnings: saved.warnings.length },
      }));
      await recordImportRun(tx, { runId, actor: opts.actor, startedAt: new Date(started), finishedAt: new Date(finished), feeds: feedImports });
      const all = addRowCounts(...Object.values(saved.tables));
      await audit(tx, new Date(finished), {
        actor: opts.actor,
        action: 'catalog.import',
        targetType: 'catalog',
        targetId: runId,
        details: { feeds: Object.fromEntries(feedImports.map((f) => [f.feed, { sources: f.sources, ...f.totals }])), warnings: saved.warnings.length },
      });
      return {
        runId,
        startedAt: new Date(started).toISOString(),
        finishedAt: new Date(finished).toISOString(),
        durationMs: finished - started,
        feeds: Object.fromEntries(feedImports.map((f) => [f.feed, { sources: f.sources, totals: f.totals }])),
        tables: saved.tables,
        changed: all.inserted + all.updated + all.deleted > 0,
        warnings: saved.warnings,
      };
    });
    return result;
  } finally {
    epssStream?.destroy();
  }
}

/** Runs the write transaction; a database failure becomes PF_ERR_CATALOG_IMPORT, feed errors pass through unchanged. */
async function runInTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(fn);
  } catch (err) {
    if (isPfError(err)) throw err;
    throw new PfError(Errors.CATALOG_IMPORT, `catalog import failed, nothing was changed: ${(err as Error).message}`, undefined, { cause: err });
  }
}
