import { readdir, readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { CATALOG_FEEDS, catalogStatus, type CatalogStatus } from '../catalog/import-log';
import { importCatalog, type ImportResult, type ImportSources } from '../catalog/import';
import { importKnownIssues, type KnownIssuesImportResult } from '../catalog/known-issues';
import { feedIoError } from '../catalog/feeds/feed-errors';
import { ApiClient, resolveClientOptions } from '../client/api-client';
import { uploadFiles, type UploadFile } from '../client/upload';
import { loadConfig } from '../config';
import { openDatabase, type Database } from '../db/index';
import { action, printError, printJson, printTable } from './output';

type DbOpts = { dataDir?: string; databaseUrl?: string; json?: boolean; server?: string; apiToken?: string; caFingerprint?: string };
type ImportOpts = DbOpts & { usnOsv?: string; msrcCvrf?: string[]; kev?: string; epss?: string; knownIssues?: string };

/** The database flags, resolved as `serve` resolves them (flags < env < defaults), or a running controller to go through. */
function withDatabase(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'controller data directory holding the embedded database (default .patchfleet/controller); with --server, where bootstrap.json is read from')
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, else embedded PGlite in the data directory)')
    .option('--server <url>', 'go through this running controller (its API) instead of opening the database')
    .option('--api-token <token>', 'with --server: admin API token (default: PATCHFLEET_API_TOKEN or bootstrap.json)')
    .option('--ca-fingerprint <hex>', 'with --server: pin the certificate (default: PATCHFLEET_CA_FINGERPRINT or bootstrap.json)')
    .option('--json', 'print JSON');
}

/** The files an upload sends: a USN directory file by file (as `catalog import` reads it), the rest as given. */
async function uploadList(sources: ImportSources): Promise<UploadFile[]> {
  const files: UploadFile[] = [];
  const checked = async (path: string) => {
    try {
      return await stat(path);
    } catch (err) {
      throw feedIoError(path, err);
    }
  };
  if (sources.usnOsv !== undefined) {
    if ((await checked(sources.usnOsv)).isDirectory()) {
      const names = (await readdir(sources.usnOsv)).filter((n) => /^USN-.*\.json$/.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      if (names.length === 0) throw feedIoError(sources.usnOsv, new Error('no USN-*.json files in this directory'));
      for (const n of names) files.push({ field: 'usnOsv', path: join(sources.usnOsv, n) });
    } else files.push({ field: 'usnOsv', path: sources.usnOsv });
  }
  for (const p of sources.msrcCvrf ?? []) files.push({ field: 'msrcCvrf', path: p });
  if (sources.kev !== undefined) files.push({ field: 'kev', path: sources.kev });
  if (sources.epss !== undefined) files.push({ field: 'epss', path: sources.epss });
  for (const f of files) await checked(f.path);
  return files;
}

async function openCatalogDatabase(opts: DbOpts): Promise<Database> {
  const config = loadConfig({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl });
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
}

/** `cli:<login>`: who ran the import, for catalog_imports and the audit log. */
function cliActor(): string {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch (err) {
    // No passwd entry (containers with arbitrary uids): fall back to the environment.
    name = process.env.USER ?? process.env.USERNAME ?? `uid-${(err as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
  return `cli:${name}`;
}

function printImport(result: ImportResult): void {
  const rows = Object.entries(result.tables).map(([table, c]) => [table, String(c.inserted), String(c.updated), String(c.unchanged), String(c.deleted)]);
  printTable(['TABLE', 'INSERTED', 'UPDATED', 'UNCHANGED', 'DELETED'], rows);
  const feeds = Object.keys(result.feeds).join(', ');
  const seconds = (result.durationMs / 1000).toFixed(1);
  process.stdout.write(
    result.changed
      ? `imported ${feeds} in ${seconds} s (run ${result.runId})\n`
      : `imported ${feeds} in ${seconds} s (run ${result.runId}): no changes, the catalog already holds this data\n`,
  );
}

function printWarnings(warnings: string[]): void {
  const shown = warnings.slice(0, 20);
  for (const w of shown) process.stderr.write(`warning: ${w}\n`);
  if (warnings.length > shown.length) process.stderr.write(`warning: ... and ${warnings.length - shown.length} more\n`);
}

export function registerCatalog(program: Command): void {
  const group = program.command('catalog').description('the advisory catalog: import vendor feeds, show what is stored');

  withDatabase(group.command('import').description('import advisory feed files; all of them in one transaction, so a bad file changes nothing'))
    .option('--usn-osv <path>', 'Ubuntu Security Notices (OSV): a directory of USN-*.json, or one JSON file (a record or an array)')
    .option('--msrc-cvrf <file...>', 'Microsoft CVRF XML documents (one per month)')
    .option('--kev <file>', 'CISA Known Exploited Vulnerabilities JSON')
    .option('--epss <file>', 'FIRST EPSS daily CSV, plain or .gz')
    .option('--known-issues <file>', 'known-issue records, one JSON object per line (imported after the feeds, in a transaction of its own)')
    .action(async (opts: ImportOpts) => {
      // Absolute paths: catalog_imports then says which files were read, wherever the command ran.
      const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(p));
      const sources: ImportSources = { usnOsv: abs(opts.usnOsv), msrcCvrf: opts.msrcCvrf?.map((p) => resolve(p)), kev: abs(opts.kev), epss: abs(opts.epss) };
      const knownIssues = abs(opts.knownIssues);
      const feedsGiven = !(sources.usnOsv === undefined && (sources.msrcCvrf ?? []).length === 0 && sources.kev === undefined && sources.epss === undefined);
      if (!feedsGiven && knownIssues === undefined) {
        // A usage error: exit 2 like commander's own, before touching any database.
        printError(new PfError(Errors.VALIDATION, 'nothing to import: give at least one of --usn-osv, --msrc-cvrf, --kev, --epss, --known-issues'));
        process.exitCode = 2;
        return;
      }
      await action(async () => {
        if (!feedsGiven) return importKnownIssuesFile(opts, knownIssues!);
        if (opts.server !== undefined) {
          const files = await uploadList(sources);
          const client = resolveClientOptions(opts);
          process.stderr.write(`uploading ${files.length} file${files.length === 1 ? '' : 's'} to ${client.server}\n`);
          const result = await uploadFiles<ImportResult>(client, '/api/v1/catalog/imports', files);
          printWarnings(result.warnings);
          if (opts.json) printJson(result);
          else printImport(result);
          if (knownIssues !== undefined) await importKnownIssuesFile(opts, knownIssues);
          return;
        }
        const database = await openCatalogDatabase(opts);
        try {
          const result = await importCatalog(database.db, sources, {
            clock: systemClock,
            actor: cliActor(),
            onProgress: (line) => process.stderr.write(`${line}\n`),
          });
          printWarnings(result.warnings);
          if (opts.json) printJson(result);
          else printImport(result);
        } finally {
          await database.close();
        }
        if (knownIssues !== undefined) await importKnownIssuesFile(opts, knownIssues);
      })();
    });

  withDatabase(group.command('status').description('rows per catalog table and the last import of each feed')).action(
    action(async (opts: DbOpts) => {
      if (opts.server !== undefined) return printStatus(await new ApiClient(resolveClientOptions(opts)).api.call('get', '/api/v1/catalog/status'), opts.json);
      const database = await openCatalogDatabase(opts);
      try {
        printStatus(await catalogStatus(database.db), opts.json);
      } finally {
        await database.close();
      }
    }),
  );
}

/** `--known-issues FILE`: into the database, or uploaded to a running controller with --server. */
async function importKnownIssuesFile(opts: DbOpts, path: string): Promise<void> {
  let result: KnownIssuesImportResult;
  if (opts.server !== undefined) {
    let content: string;
    try {
      content = await readFile(path, 'utf8');
    } catch (err) {
      throw feedIoError(path, err);
    }
    result = await new ApiClient(resolveClientOptions(opts)).api.call('post', '/api/v1/catalog/known-issues', { body: { name: basename(path), content } });
  } else {
    const database = await openCatalogDatabase(opts);
    try {
      result = await importKnownIssues(database.db, path, { clock: systemClock, actor: cliActor() });
    } finally {
      await database.close();
    }
  }
  if (opts.json) return printJson(result);
  const c = result.knownIssues;
  printTable(['TABLE', 'INSERTED', 'UPDATED', 'UNCHANGED', 'DELETED'], [['knownIssues', String(c.inserted), String(c.updated), String(c.unchanged), String(c.deleted)]]);
  process.stdout.write(
    result.changed
      ? `imported ${result.records} known issues (run ${result.runId}); rescored ${result.rescored.join(', ')}\n`
      : `imported ${result.records} known issues (run ${result.runId}): no changes, the catalog already holds this data\n`,
  );
}

function printStatus(status: CatalogStatus, json: boolean | undefined): void {
  if (json) return printJson(status);
  printTable(
    ['TABLE', 'ROWS'],
    Object.entries(status.rows).map(([t, n]) => [t, String(n)]),
  );
  process.stdout.write('\n');
  printTable(
    ['FEED', 'LAST IMPORT', 'BY', 'INSERTED', 'UPDATED', 'UNCHANGED', 'DELETED', 'SOURCES'],
    CATALOG_FEEDS.map((feed) => {
      const last = status.lastImports[feed];
      if (last === undefined) return [feed, 'never', '-', '-', '-', '-', '-', '-'];
      const t = last.totals;
      return [feed, last.finishedAt, last.actor, String(t.inserted), String(t.updated), String(t.unchanged), String(t.deleted), last.sources.join(' ')];
    }),
  );
}
