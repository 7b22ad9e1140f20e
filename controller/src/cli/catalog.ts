import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { CATALOG_FEEDS, catalogStatus } from '../catalog/import-log';
import { importCatalog, type ImportResult, type ImportSources } from '../catalog/import';
import { loadConfig } from '../config';
import { openDatabase, type Database } from '../db/index';
import { action, printError, printJson, printTable } from './output';

type DbOpts = { dataDir?: string; databaseUrl?: string; json?: boolean };
type ImportOpts = DbOpts & { usnOsv?: string; msrcCvrf?: string[]; kev?: string; epss?: string };

/** The database flags, resolved as `serve` resolves them (flags < env < defaults). */
function withDatabase(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'controller data directory holding the embedded database (default .patchfleet/controller)')
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, else embedded PGlite in the data directory)')
    .option('--json', 'print JSON');
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
    .action(async (opts: ImportOpts) => {
      // Absolute paths: catalog_imports then says which files were read, wherever the command ran.
      const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(p));
      const sources: ImportSources = { usnOsv: abs(opts.usnOsv), msrcCvrf: opts.msrcCvrf?.map((p) => resolve(p)), kev: abs(opts.kev), epss: abs(opts.epss) };
      if (sources.usnOsv === undefined && (sources.msrcCvrf ?? []).length === 0 && sources.kev === undefined && sources.epss === undefined) {
        // A usage error: exit 2 like commander's own, before touching any database.
        printError(new PfError(Errors.VALIDATION, 'nothing to import: give at least one of --usn-osv, --msrc-cvrf, --kev, --epss'));
        process.exitCode = 2;
        return;
      }
      await action(async () => {
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
      })();
    });

  withDatabase(group.command('status').description('rows per catalog table and the last import of each feed')).action(
    action(async (opts: DbOpts) => {
      const database = await openCatalogDatabase(opts);
      try {
        const status = await catalogStatus(database.db);
        if (opts.json) return printJson(status);
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
      } finally {
        await database.close();
      }
    }),
  );
}
