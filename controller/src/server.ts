/**
 * Starts a controller: database (migrated), TLS material, command key,
 * bootstrap.json, the REST API and the agent gateway on one HTTPS port.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { SteppedClock, systemClock, trackWork, type Clock } from '@patchfleet/shared';
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
import { publicUrlOf } from './net/public-url';
import { CommandService } from './commands/command-service';
import { rolloutClockOf } from './rollout/rollout-clock';
import { RolloutService } from './rollout/rollout-service';
import { HealthConfigPush } from './health/config-push';
import { HealthIngest } from './health/ingest';
import { startHealthRollup } from './health/rollup';
import { startHealthRetention } from './health/retention';
import { localBus } from './bus/bus';
import { countCommandsByState } from './commands/command-store';
import { ControllerMetrics } from './metrics/controller-metrics';
import { countRolloutsByState } from './rollout/rollout-view';
import { defaultSafety, withGateMetrics } from './safety/gates';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { EventSink } from './events/ports';
import { WebhookOutbox } from './webhooks/outbox';
import { WebhookWorker } from './webhooks/worker';
import { SyslogForwarder } from './syslog/forwarder';
import { FACILITIES, type FacilityName } from './syslog/format';
import { parseSyslogUrl } from './syslog/target';
import { startSlaWatch } from './assess/sla-watch';

/** What a simulator drives in a controller started in simulation mode (config `simulation`). */
export interface Simulation {
  /** The controller's clock: every time-dependent decision reads it; only the simulator moves it. */
  clock: SteppedClock;
  /** Frames this process wrote to agents since it started. */
  counters(): { commandsSent: number; healthConfigsSent: number };
}

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
  /** This process's Prometheus registry (GET /metrics). */
  metrics: ControllerMetrics;
  /** The events port the planner reports through (the webhook outbox). */
  events: EventSink;
  webhooks: WebhookWorker;
  /** Present when syslogUrl is configured. */
  syslog: SyslogForwarder | undefined;
  /** Present in simulation mode only. */
  simulation: Simulation | undefined;
  close(): Promise<void>;
}

/** A PEM file named in the config, read once at start (PF_ERR_CONFIG when it cannot be). */
function readPemSetting(setting: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new PfError(Errors.CONFIG, `cannot read ${setting} ${file}: ${(err as Error).message}`);
  }
}

export async function startController(config: Config, deps: { clock?: Clock; log?: Logger } = {}): Promise<RunningController> {
  /** Wall time: the controller's clock, except in simulation mode, where it only protects sockets. */
  const realClock = deps.clock ?? systemClock;
  const log = deps.log ?? createLogger({ level: config.logLevel });
  // Simulation mode (simulators and tests only): every decision reads a stepped virtual clock the simulator moves.
  const stepped = config.simulation === true ? new SteppedClock(config.simulationStart !== undefined ? Date.parse(config.simulationStart) : realClock.now()) : undefined;
  const clock: Clock = stepped ?? realClock;
  if (stepped) {
    log.warn(
      { start: new Date(stepped.now()).toISOString(), plannerEverySec: config.simulationTickSec ?? config.rolloutTickSec },
      'SIMULATION MODE: this controller runs on a stepped virtual clock that only its simulator moves (sim.advance over IPC); for simulators and tests, never production',
    );
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embeddedCacheMb: config.embeddedCacheMb });
  try {
    await ensureDefaultRings(database.db, new Date(clock.now()));
    // The certificate's validity is checked by real TLS clients: real time.
    const tls = config.insecure ? undefined : await ensureTlsMaterial({ dataDir: config.dataDir, certFile: config.tlsCert, keyFile: config.tlsKey, now: realClock.now() });
    const commandKey = loadOrCreateCommandKey(config.dataDir);
    const ctx: ControllerContext = {
      config,
      db: database.db,
      dbKind: database.kind,
      // One simulated controller owns its fleet: an in-process bus, whose messages a stepped clock's settling sees
      // (a NOTIFY would arrive after the step was reported done).
      bus: stepped ? localBus() : database.bus,
      clock,
      ...(stepped ? { netClock: realClock } : {}),
      log,
      controllerId: `ctl_${randomBytes(6).toString('hex')}`,
      commandPublicKey: commandKey.publicKey,
    };
    // In simulation mode the periodic rounds follow the planner's tick (default: every `rolloutTickSec`): the simulator's
    // hosts speak only between two advances, so a round between two planner rounds finds nothing new and costs a query
    // and a settle of the stepped clock (with hourly ticks, 20 timers an hour became 3).
    const simTickMs = stepped ? (config.simulationTickSec ?? config.rolloutTickSec) * 1000 : undefined;
    // The catalog poll catches imports by other processes; a simulated controller learns of its imports on its own bus.
    const hostState = new HostStateService(ctx, simTickMs);
    // Refused attempts are audited one row per address and minute; connections are admitted under limits sized to the open-file limit.
    const refusals = new RefusalAudit(database.db, clock, log, { windowMs: config.refusalAuditSec * 1000 });
    const fds = fileDescriptors();
    // Socket protection (idle timeout of unauthenticated connections) stays on real time in simulation mode.
    const limits = resolveConnectionLimits(config, fds);
    const guard = new ConnectionGuard(limits, realClock, log, (address, reason) => refusals.record(address, 'connection.refused', { code: reason }));
    // The ports, wired once: socket -> gateway -> (guard, host state, commands) -> sessions.
    const sessions = new SessionRegistry();
    // One registry per process (not prom-client's global one): the gateway and the gates count through its ports.
    const metrics = new ControllerMetrics(
      {
        connectedAgents: () => sessions.size,
        maxAgents: () => limits.maxAgents,
        commandsByState: () => countCommandsByState(database.db),
        rolloutsByState: () => countRolloutsByState(database.db),
        poolStats: () => database.poolStats(),
      },
      log,
    );
    const commands = new CommandService(ctx, sessions, commandKey.secretKey);
    const healthConfig = new HealthConfigPush(ctx, sessions, commandKey.secretKey);
    const healthIngest = new HealthIngest(ctx);
    const gateway = new AgentGateway(ctx, sessions, {
      socketAuthenticated: (socket) => guard.authenticated(socket),
      reportApplied: (agentId) => hostState.hostChanged(agentId),
      agentReady: (agentId) => {
        commands.deliverOnReady(agentId);
        void trackWork(
          clock,
          healthConfig.sendTo(agentId).catch((err: unknown) => log.warn({ err, agentId }, 'health config not sent; the agent gets it at its next connect')),
          'health config',
        );
      },
      commandStatus: (session, msg) => commands.onStatus(session, msg),
      healthSamples: (agentId, epoch, samples, at) => healthIngest.store(agentId, epoch, samples, at),
    }, metrics, { maxAgents: limits.maxAgents, retryAfterSec: config.agentFullRetrySec });
    // Events (halts, blocks, approvals needed, missed deadlines) are written by the planner's transaction into the
    // webhook outbox; the worker, on every replica (deliveries are leased), sends them on wall time.
    const outbox = new WebhookOutbox(realClock);
    const webhooks = new WebhookWorker({ db: database.db, clock: realClock, log }, { ca: readPemSetting('webhookCaFile', config.webhookCaFile) });
    const rollouts = new RolloutService(ctx, commands, rolloutClockOf(config.rolloutClock, clock), outbox, withGateMetrics(defaultSafety, metrics));
    const syslog = config.syslogUrl
      ? new SyslogForwarder(
          { db: database.db, dbKind: database.kind, clock: realClock, log, controllerId: ctx.controllerId },
          { target: parseSyslogUrl(config.syslogUrl), ca: readPemSetting('syslogCaFile', config.syslogCaFile), facility: FACILITIES[(config.syslogFacility ?? 'local0') as FacilityName], format: config.syslogFormat ?? 'json', hostname: config.syslogHostname },
        )
      : undefined;
    const app = await buildApp(ctx, { tls, commands, rollouts, refusals, metrics, onAuthenticated: (req) => guard.authenticated(req.raw.socket) });
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
    webhooks.start();
    syslog?.start();
    log.info({ openFileLimit: fds?.limit ?? null, fdsAtStart: fds?.inUse ?? null, ...guard.limits }, 'connection limits');
    log.info({ url, database: database.kind, location: database.location, controllerId: ctx.controllerId, caFingerprint: bootstrap.caFingerprint }, 'controller listening');
    // Only with feed URLs configured; air-gapped sites import files with `catalog import`.
    const retention = startAuditRetention(ctx, config.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS);
    // node-cron triggers on wall time; in simulation mode the same rounds run on the virtual clock (retention at 03:17 UTC).
    // Simulated: once per tick, half a tick before the planner round, so that round gates on the samples sent since the last.
    const healthRollup = startHealthRollup(ctx, simTickMs !== undefined ? { everyMs: simTickMs, offsetMs: simTickMs / 2 } : undefined);
    const healthRetention = startHealthRetention(ctx, stepped ? { everyMs: 86_400_000, offsetMs: (3 * 60 + 17) * 60_000 } : undefined);
    // Hosts past the priority deadline of a patch they still miss: deadline.missed (source sla), each once (simulated: once per tick).
    const slaWatch = startSlaWatch({ db: database.db, clock, realClock, log, events: outbox }, simTickMs);
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
      metrics,
      events: outbox,
      webhooks,
      syslog,
      simulation: stepped ? { clock: stepped, counters: () => ({ commandsSent: commands.framesSent, healthConfigsSent: healthConfig.framesSent }) } : undefined,
      close() {
        closing ??= (async () => {
          await refresh?.stop();
          await retention.stop();
          await healthRollup.stop();
          await healthRetention.stop();
          await slaWatch.stop();
          await healthConfig.stop();
          await rollouts.stop();
          await webhooks.stop();
          await syslog?.stop();
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
