import type { Command } from 'commander';
import { loadConfig } from '../config';
import { openDatabase } from '../db/index';
import { action } from './output';

/**
 * `patchfleet migrate`: applies the committed migrations and exits. `serve` applies them on every start too (under an
 * advisory lock on PostgreSQL, so replicas can start together); this command lets a deployment migrate once, before
 * the replicas roll (a Kubernetes Job, a systemd ExecStartPre), and fail there rather than in every replica.
 */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply the database migrations and exit (serve also applies them when it starts)')
    .option('--data-dir <dir>', 'data directory holding the embedded database (used without a PostgreSQL URL)')
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, else embedded PGlite in the data directory)')
    .option('--config <file>', 'JSON config file')
    .action(
      action(async (opts: Record<string, string | undefined>) => {
        const config = loadConfig({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, configFile: opts.config } as never);
        const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedCacheMb: config.embeddedCacheMb });
        await database.close();
        process.stderr.write(`migrations applied (${database.kind}: ${database.location})\n`);
      }),
    );
}
