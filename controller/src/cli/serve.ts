import type { Command } from 'commander';
import { Errors, PfError, systemClock } from '@patchfleet/shared';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { startController } from '../server';
import { attachSimulationControl } from '../sim/control';
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
    .option('--simulation', 'FOR SIMULATORS AND TESTS ONLY, never production: run on a stepped virtual clock that the parent process moves over a Node IPC channel (sim.advance); needs that channel')
    .option('--sim-start <iso>', 'simulation mode: the virtual clock\'s start (default: now)')
    .option('--sim-tick-sec <sec>', 'simulation mode: virtual seconds between rollout planner rounds (default: rolloutTickSec)')
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
          simulation: opts.simulation === true ? true : undefined,
          simulationStart: opts.simStart,
          simulationTickSec: opts.simTickSec,
          configFile: opts.config,
        } as never);
        // A simulated clock nobody can move would freeze every schedule: refuse rather than run like that.
        if (config.simulation === true && !process.send) {
          throw new PfError(Errors.CONFIG, '--simulation (PATCHFLEET_SIMULATION) needs a Node IPC channel to the simulator that moves the clock: start the controller with child_process.fork (or spawn with stdio "ipc")');
        }
        // With an IPC channel, sim.* messages move the clock (simulation mode, once started) or are refused at once with PF_ERR_SIMULATION_DISABLED.
        if (process.send && config.simulation !== true) attachSimulationControl(process, undefined, { log: createLogger({ level: config.logLevel }), realClock: systemClock });
        const running = await startController(config);
        if (process.send && running.simulation) attachSimulationControl(process, running.simulation, { log: running.ctx.log, realClock: systemClock });
        if (running.simulation) process.stderr.write(`SIMULATION MODE: virtual clock at ${new Date(running.simulation.clock.now()).toISOString()}, moved only by the parent process over IPC; never use this in production\n`);
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
        // A simulated controller whose simulator is gone has nothing left to do.
        if (running.simulation) process.on('disconnect', () => stop('simulator disconnected'));
      }),
    );
}
