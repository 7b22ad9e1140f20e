/**
 * Scheduled catalog refresh: when feed URLs are configured (`feeds` in the
 * config), download them on a node-cron schedule into a temporary directory
 * and import them exactly as `catalog import` does: one transaction, nothing
 * changed when a download is corrupt.
 *
 * Network trouble is expected (proxies, vendor outages, air gaps): a feed
 * that cannot be downloaded is logged as a warning and skipped, the others
 * are imported, and the catalog keeps what it had. Time (month of the MSRC
 * documents, download timeouts, import timestamps) comes from the injected
 * clock; only the cron trigger itself runs on node-cron's wall clock.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '@patchfleet/shared';
import { isPfError, PfError, Errors } from '@patchfleet/shared/errors';
import { FEED_DEFAULTS, type FeedsConfig } from '../config';
import type { Db } from '../db/index';
import type { Logger } from '../logger';
import { hasCatalogImports, type CatalogFeed } from './import-log';
import { importCatalog, type ImportResult, type ImportSources } from './import';
import { JobLocks, runScheduledJob } from '../jobs/leader';

/** What a refresh needs from the controller. */
export interface RefreshDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** Called after an import that changed the catalog (e.g. to re-assess hosts). */
  onCatalogChanged?: (result: ImportResult) => void;
  /** With replicas on PostgreSQL, scheduled refreshes run on one of them (JobLocks.catalogRefresh); absent: always run. */
  dbKind?: 'pglite' | 'postgres';
}

/** A feed that could not be downloaded or imported. */
export interface RefreshFailure {
  feed: CatalogFeed | 'import';
  url: string | null;
  code: string;
  message: string;
}

export interface RefreshOutcome {
  /** The import, or null when nothing was downloaded or the import failed. */
  imported: ImportResult | null;
  failures: RefreshFailure[];
  /** MSRC months not published yet (HTTP 404), e.g. `2025-Dec` before Patch Tuesday. */
  notPublished: string[];
}

/** True when at least one feed URL is set. */
export function feedsConfigured(feeds: FeedsConfig | undefined): feeds is FeedsConfig {
  return feeds !== undefined && [feeds.usnOsvUrl, feeds.msrcCvrfUrl, feeds.kevUrl, feeds.epssUrl].some((u) => u !== undefined);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** MSRC document ids of the `count` months up to `now` (UTC), oldest first: `2025-Nov`, `2025-Dec`. */
export function msrcDocumentIds(now: number, count: number): string[] {
  const d = new Date(now);
  const ids: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 1));
    ids.push(`${m.getUTCFullYear()}-${MONTHS[m.getUTCMonth()]}`);
  }
  return ids;
}

function fetchError(url: string, problem: string, cause?: unknown): PfError {
  return new PfError(Errors.CATALOG_FETCH, `${url}: ${problem}`, { url }, cause === undefined ? undefined : { cause });
}

/**
 * Downloads `url` into `file`. Resolves false on 404 (not published),
 * throws PF_ERR_CATALOG_FETCH on anything else that is not a 2xx, on network
 * errors and on timeout. `gunzip` inflates a gzip body (EPSS keeps its gzip:
 * its parser reads both).
 */
async function download(deps: RefreshDeps, url: string, file: string, opts: { timeoutMs: number; accept: string; gunzip: boolean }): Promise<boolean> {
  const abort = new AbortController();
  const timer = deps.clock.after(opts.timeoutMs, () => abort.abort(fetchError(url, `no answer within ${opts.timeoutMs / 1000} s`)));
  try {
    const res = await (deps.fetch ?? fetch)(url, { signal: abort.signal, headers: { accept: opts.accept } });
    if (res.status === 404) return false;
    if (!res.ok) throw fetchError(url, `HTTP ${res.status} ${res.statusText}`);
    let body = Buffer.from(await res.arrayBuffer());
    if (opts.gunzip && body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
    await writeFile(file, body);
    return true;
  } catch (err) {
    if (isPfError(err)) throw err;
    const reason = abort.signal.aborted ? `no answer within ${opts.timeoutMs / 1000} s` : describeCause(err);
    throw fetchError(url, reason, err);
  } finally {
    timer.cancel();
  }
}

/** fetch() reports "fetch failed" and hides the reason (ECONNREFUSED, ENOTFOUND) in `cause`. */
function describeCause(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const inner = e.cause?.code ?? e.cause?.message;
  return inner === undefined ? e.message : `${e.message} (${inner})`;
}

/**
 * Downloads every configured feed and imports what arrived, in one
 * transaction. Never throws for feed trouble: failures are logged as
 * warnings and returned, and the catalog keeps what it had.
 */
export async function refreshCatalog(deps: RefreshDeps, feeds: FeedsConfig): Promise<RefreshOutcome> {
  const timeoutMs = (feeds.timeoutSec ?? FEED_DEFAULTS.timeoutSec) * 1000;
  const outcome: RefreshOutcome = { imported: null, failures: [], notPublished: [] };
  const dir = await mkdtemp(join(tmpdir(), 'pf-feeds-'));
  try {
    const sources: ImportSources = {};
    const names: Partial<Record<CatalogFeed, string[]>> = {};
    const get = async (feed: CatalogFeed, url: string, file: string, accept: string, gunzip = true): Promise<boolean> => {
      try {
        return await download(deps, url, join(dir, file), { timeoutMs, accept, gunzip });
      } catch (err) {
        const pf = err as PfError;
        outcome.failures.push({ feed, url, code: pf.code ?? Errors.CATALOG_FETCH.code, message: pf.message });
        deps.log.warn({ feed, url, code: pf.code, err: pf.message }, 'advisory feed download failed; keeping the stored catalog for it');
        return false;
      }
    };
    if (feeds.usnOsvUrl !== undefined && (await get('usn', feeds.usnOsvUrl, 'usn.json', 'application/json'))) {
      sources.usnOsv = join(dir, 'usn.json');
      names.usn = [feeds.usnOsvUrl];
    }
    if (feeds.msrcCvrfUrl !== undefined) {
      const base = feeds.msrcCvrfUrl.replace(/\/+$/, '');
      for (const id of msrcDocumentIds(deps.clock.now(), feeds.msrcMonths ?? FEED_DEFAULTS.msrcMonths)) {
        const url = `${base}/${id}`;
        const file = `cvrf-${id}.xml`;
        const before = outcome.failures.length;
        if (await get('msrc', url, file, 'application/xml')) {
          (sources.msrcCvrf ??= []).push(join(dir, file));
          (names.msrc ??= []).push(url);
        } else if (outcome.failures.length === before) {
          outcome.notPublished.push(id);
          deps.log.info({ feed: 'msrc', url }, 'MSRC document not published yet');
        }
      }
    }
    if (feeds.kevUrl !== undefined && (await get('kev', feeds.kevUrl, 'kev.json', 'application/json'))) {
      sources.kev = join(dir, 'kev.json');
      names.kev = [feeds.kevUrl];
    }
    if (feeds.epssUrl !== undefined && (await get('epss', feeds.epssUrl, 'epss.csv', 'text/csv, application/gzip', false))) {
      sources.epss = join(dir, 'epss.csv');
      names.epss = [feeds.epssUrl];
    }
    if (Object.keys(names).length === 0) {
      deps.log.warn({ failures: outcome.failures.length }, 'no advisory feed downloaded; the catalog is unchanged');
      return outcome;
    }
    try {
      outcome.imported = await importCatalog(deps.db, sources, {
        clock: deps.clock,
        actor: 'system',
        sourceNames: names,
        onProgress: (line) => deps.log.debug({ progress: line }, 'catalog refresh'),
      });
      const { runId, changed, tables, warnings } = outcome.imported;
      deps.log.info({ runId, changed, tables, warnings: warnings.length }, 'catalog refreshed');
      if (changed) deps.onCatalogChanged?.(outcome.imported);
    } catch (err) {
      const pf = err as PfError;
      outcome.failures.push({ feed: 'import', url: null, code: pf.code ?? Errors.CATALOG_IMPORT.code, message: pf.message });
      deps.log.warn({ code: pf.code, err: pf.message }, 'downloaded advisory feeds could not be imported; the catalog is unchanged');
    }
    return outcome;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A running refresh schedule. */
export interface CatalogRefresh {
  /** Runs a refresh now (waits for one in progress instead of starting a second). */
  runNow(): Promise<RefreshOutcome>;
  /** Stops the schedule and waits for a refresh in progress. */
  stop(): Promise<void>;
}

/**
 * Starts the refresh schedule (`feeds.schedule`, default `17 3 * * *`). When
 * no catalog import was ever recorded, one refresh also runs right away, so a
 * new controller does not wait for the night to get a catalog. Throws
 * PF_ERR_CONFIG for an invalid cron expression.
 */
export function startCatalogRefresh(deps: RefreshDeps, feeds: FeedsConfig): CatalogRefresh {
  const schedule = feeds.schedule ?? FEED_DEFAULTS.schedule;
  if (!cron.validate(schedule)) throw new PfError(Errors.CONFIG, `invalid configuration: feeds.schedule "${schedule}" is not a cron expression`);
  let running: Promise<RefreshOutcome> | undefined;
  let stopped = false;
  const runNow = (): Promise<RefreshOutcome> => {
    running ??= refreshCatalog(deps, feeds).finally(() => {
      running = undefined;
    });
    return running;
  };
  const runLogged = (): void => {
    if (stopped) return;
    const scheduled = deps.dbKind ? runScheduledJob(deps.db, deps.dbKind, JobLocks.catalogRefresh, runNow) : runNow().then((value) => ({ ran: true as const, value }));
    scheduled.then(
      (outcome) => {
        if (!outcome.ran) deps.log.debug('catalog refresh skipped: another replica is running it');
      },
      (err: unknown) => deps.log.error({ err }, 'catalog refresh failed'),
    );
  };
  const task: ScheduledTask = cron.schedule(schedule, runLogged, { name: 'catalog-refresh', noOverlap: true });
  const first = deps.clock.after(0, () => {
    hasCatalogImports(deps.db).then(
      (imported) => {
        if (!imported) runLogged();
      },
      (err: unknown) => deps.log.error({ err }, 'cannot tell whether a catalog was imported; skipping the first refresh'),
    );
  });
  deps.log.info({ schedule }, 'catalog refresh scheduled');
  return {
    runNow,
    async stop() {
      stopped = true;
      first.cancel();
      await task.destroy();
      // A failure of that last run is already logged by whoever started it.
      await running?.then(
        () => undefined,
        () => undefined,
      );
    },
  };
}
