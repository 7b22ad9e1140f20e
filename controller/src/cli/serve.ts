import type { Command } from 'commander';
import { loadConfig } from '../config';
import { startController } from '../server';
import { bootstrapPath } from '../keys/bootstrap';
import { action } from './output';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the controller (HTTPS API + agent WebSocket endpoint)')
    .option('--port <port>', 'port to listen on (default 8443; 0 picks a free one)')
    .option('--host <host>', 'address to bind (default 0.0.0.0)')
    .option('--data-dir <dir>', 'data directory: embedded database, TLS certificate, keys, bootstrap.json (default .patchfleet/controller)')
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, else embedded PGlite in the data directory)')
    .option('--tls-cert <file>', 'TLS certificate (PEM); default: a self-signed one made on first start')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--public-url <url>', 'URL agents and operators use to reach this controller')
    .option('--insecure', 'serve plain HTTP/WS without TLS (debugging only)')
    .option('--config <file>', 'JSON config file')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .action(
      action(async (opts: Record<string, string | boolean | undefined>) => {
        const config = loadConfig({
          port: opts.port,
          host: opts.host,
          dataDir: opts.dataDir,
          databaseUrl: opts.databaseUrl,
          tlsCert: opts.tlsCert,
          tlsKey: opts.tlsKey,
          publicUrl: opts.publicUrl,
          insecure: opts.insecure === true ? true : undefined,
          logLevel: opts.logLevel,
          configFile: opts.config,
        } as never);
        const running = await startController(config);
        process.stderr.write(
          `patchfleet controller listening at ${running.url} (${running.database.kind})\n` +
            `bootstrap (admin token, CA fingerprint, command key): ${bootstrapPath(config.dataDir)}\n`,
        );
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          running.ctx.log.info({ signal }, 'shutting down');
          running.close().then(
            () => process.exit(0),
            (err: unknown) => {
              running.ctx.log.error({ err }, 'shutdown failed');
              process.exit(1);
            },
          );
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
      }),
    );
}
