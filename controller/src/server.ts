/**
 * Starts a controller: database (migrated), TLS material, command key,
 * bootstrap.json, the REST API and the agent gateway on one HTTPS port.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '@patchfleet/shared';
import { buildApp } from './app';
import { DEFAULT_AUDIT_RETENTION_DAYS, startAuditRetention } from './audit/retention';
import { feedsConfigured, startCatalogRefresh } from './catalog/refresh';
import type { Config } from './config';
import type { ControllerContext } from './context';
import { openDatabase, type Database } from './db/index';
import { HostStateService } from './assess/host-state';
import { AgentGateway } from './gateway/gateway';
import { SessionRegistry } from './gateway/ports';
import { ensureBootstrap, type Bootstrap } from './keys/bootstrap';
import { loadOrCreateCommandKey } from './keys/command-key';
import { createLogger, type Logger } from './logger';
import { ensureDefaultRings } from './rollout/ring-defaults';
import { ensureTlsMaterial } from './tls/certificate';
import { RefusalAudit } from './audit/refusal-audit';
import { ConnectionGuard, fileDescriptors, resolveConnectionLimits } from './net/connection-guard';
import { CommandService } from './commands/command-service';
import { rolloutClockOf } from './rollout/rollout-clock';
import { RolloutService } from './rollout/rollout-service';
import { HealthConfigPush } from './health/config-push';
import { startHealthRollup } from './health/rollup';
import { startHealthRetention } from './health/retention';

export interface RunningController {
  url: string;
  bootstrap: Bootstrap;
  app: FastifyInstance;
  gateway: AgentGateway;
  commands: CommandService;
  rollouts: RolloutService;
  hostState: HostStateService;
  database: Database;
  ctx: ControllerContext;
  close(): Promise<void>;
}

function publicUrlOf(config: Config, port: number): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/$/, '');
  const scheme = config.insecure ? 'http' : 'https';
  const host = config.host === '0.0.0.0' || config.host === '::' ? hostname() : config.host;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function startController(config: Config, deps: { clock?: Clock; log?: Logger } = {}): Promise<RunningController> {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? createLogger({ level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await ensureDefaultRings(database.db, new Date(clock.now()));
    const tls = config.insecure ? undefined : await ensureTlsMaterial({ dataDir: config.dataDir, certFile: config.tlsCert, keyFile: config.tlsKey, now: clock.now() });
    const commandKey = loadOrCreateCommandKey(config.dataDir);
    const ctx: ControllerContext = {
      config,
      db: database.db,
      dbKind: database.kind,
      bus: database.bus,
      clock,
      log,
      controllerId: `ctl_${randomBytes(6).toString('hex')}`,
      commandPublicKey: commandKey.publicKey,
    };
    const hostState = new HostStateService(ctx);
    // Refused attempts are audited one row per address and minute; connections are admitted under limits sized to the open-file limit.
    const refusals = new RefusalAudit(database.db, clock, log, { windowMs: config.refusalAuditSec * 1000 });
    const fds = fileDescriptors();
    const guard = new ConnectionGuard(resolveConnectionLimits(config, fds), clock, log, (address, reason) => refusals.record(address, 'connection.refused', { code: reason }));
    // The ports, wired once: socket -> gateway -> (guard, host state, commands) -> sessions.
    const sessions = new SessionRegistry();
    const commands = new CommandService(ctx, sessions, commandKey.secretKey);
    const healthConfig = new HealthConfigPush(ctx, sessions, commandKey.secretKey);
    const gateway = new AgentGateway(ctx, sessions, {
      socketAuthenticated: (socket) => guard.authenticated(socket),
      reportApplied: (agentId) => hostState.hostChanged(agentId),
      agentReady: (agentId) => {
        commands.deliverOnReady(agentId);
        healthConfig.sendTo(agentId).catch((err: unknown) => log.warn({ err, agentId }, 'health config not sent; the agent gets it at its next connect'));
      },
      commandStatus: (session, msg) => commands.onStatus(session, msg),
    });
    const rollouts = new RolloutService(ctx, commands, rolloutClockOf(config.rolloutClock, clock));
    const app = await buildApp(ctx, { tls, commands, rollouts, refusals, onAuthenticated: (req) => guard.authenticated(req.raw.socket) });
    guard.attach(app.server as Server);
    gateway.attach(app.server as Server);
    await commands.start();
    await healthConfig.start();
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = publicUrlOf(config, port);
    const bootstrap = await ensureBootstrap(database.db, { dataDir: config.dataDir, url, caFingerprint: tls?.fingerprint ?? '', commandKey: commandKey.publicKey, now: new Date(clock.now()) });
    hostState.start();
    rollouts.start();
    log.info({ openFileLimit: fds?.limit ?? null, fdsAtStart: fds?.inUse ?? null, ...guard.limits }, 'connection limits');
    log.info({ url, database: database.kind, location: database.location, controllerId: ctx.controllerId, caFingerprint: bootstrap.caFingerprint }, 'controller listening');
    // Only with feed URLs configured; air-gapped sites import files with `catalog import`.
    const retention = startAuditRetention(ctx, config.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS);
    const healthRollup = startHealthRollup(ctx);
    const healthRetention = startHealthRetention(ctx);
    const refresh = feedsConfigured(config.feeds) ? startCatalogRefresh({ ...ctx, onCatalogChanged: () => hostState.catalogChanged() }, config.feeds) : undefined;
    let closing: Promise<void> | undefined;
    return {
      url,
      bootstrap,
      app,
      gateway,
      commands,
      rollouts,
      hostState,
      database,
      ctx,
      close() {
        closing ??= (async () => {
          await refresh?.stop();
          await retention.stop();
          await healthRollup.stop();
          await healthRetention.stop();
          await healthConfig.stop();
          await rollouts.stop();
          await commands.stop();
          await gateway.close();
          await hostState.stop();
          await app.close();
          await database.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
