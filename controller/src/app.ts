/**
 * Fastify assembly: one plugin-like registration per area, the error
 * envelope, authentication on every route, OpenAPI at /api/v1/openapi.json,
 * the web dashboard at /.
 */
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerAuth } from './api/auth';
import { API_PREFIX } from './api/plugin';
import { Errors } from '@patchfleet/shared/errors';
import { registerErrorHandling, sendError } from './api/errors';
import { registerInputGuard } from './api/input-guard';
import { registerRateLimits } from './api/rate-limits';
import { RefusalAudit } from './audit/refusal-audit';
import { auditRoutes } from './api/routes/audit';
import { catalogRoutes } from './api/routes/catalog';
import { enrollRoutes } from './api/routes/enroll';
import { enrollmentTokenRoutes } from './api/routes/enrollment-tokens';
import { healthRoutes } from './api/routes/health';
import { hostRoutes } from './api/routes/hosts';
import { hostHealthRoutes } from './api/routes/host-health';
import { hostOverviewRoutes } from './api/routes/host-overview';
import { kpiRoutes } from './api/routes/kpis';
import { patchRoutes } from './api/routes/patches';
import { mitigationRoutes } from './api/routes/mitigations';
import { reliabilityRoutes } from './api/routes/reliability';
import { probeRoutes } from './api/routes/probes';
import { ringRoutes } from './api/routes/rings';
import { blockRoutes } from './api/routes/blocks';
import { incidentRoutes } from './api/routes/incidents';
import { apiTokenRoutes } from './api/routes/api-tokens';
import { authRoutes } from './api/routes/auth';
import { oidcRoutes } from './api/routes/oidc';
import { OidcClient, oidcSettingsOf } from './oidc/client';
import { userRoutes } from './api/routes/users';
import { commandRoutes } from './api/routes/commands';
import { rolloutRoutes } from './api/routes/rollouts';
import { liveRoutes } from './api/routes/live';
import { LiveHub } from './live/live-hub';
import { metricsRoutes } from './api/routes/metrics';
import type { ControllerMetrics } from './metrics/controller-metrics';
import { webhookRoutes } from './api/routes/webhooks';
import type { CommandService } from './commands/command-service';
import type { RolloutService } from './rollout/rollout-service';
import type { ControllerContext } from './context';
import { dashboardRoutes } from './ui/dashboard-routes';
import { agentReleaseRoutes, downloadRoutes } from './releases/routes';
import { releasesDirOf } from './releases/release-store';
import { dashboardDistDir } from './ui/dashboard-dir';

export interface AppOptions {
  tls?: { cert: string; key: string } | undefined;
  /** Command and rollout routes are mounted only with their services (a running controller has both). */
  commands?: CommandService | undefined;
  rollouts?: RolloutService | undefined;
  /** GET /metrics is mounted only with the process's metrics (server.ts makes them). */
  metrics?: ControllerMetrics | undefined;
  /** Where refused attempts are counted (one audit row per address and minute); made here when not given, flushed when the app closes. */
  refusals?: RefusalAudit | undefined;
  /** Told of each request that carried a valid API token (its connection stops counting as unauthenticated). */
  onAuthenticated?: ((req: FastifyRequest) => void) | undefined;
  /** This replica's live-update streams (made here when not given; ended when the app closes). */
  live?: LiveHub | undefined;
  /** The built dashboard to serve at / (default: the dashboard package's dist/). */
  dashboardDir?: string | undefined;
}

export async function buildApp(ctx: ControllerContext, opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log,
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
    genReqId: () => randomBytes(8).toString('hex'),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    // The router's own refusals (a path parameter past maxParamLength, a URL that does not decode) answer in our envelope too.
    frameworkErrors: (err, _req, reply) => {
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      void sendError(reply, { ...Errors.VALIDATION, status }, err.message.slice(0, 200));
    },
  }) as unknown as FastifyInstance;

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Patchfleet controller API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'pf_session' } } },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  registerErrorHandling(app);
  // Limits first: a caller past them is refused before its token is looked up.
  const refusals = opts.refusals ?? new RefusalAudit(ctx.db, ctx.clock, ctx.log, { windowMs: ctx.config.refusalAuditSec * 1000 });
  app.addHook('onClose', async () => refusals.close());
  await registerRateLimits(app, ctx, { refusals, onAuthenticated: opts.onAuthenticated });
  await app.register(cookie);
  registerAuth(app, ctx);
  registerInputGuard(app);
  healthRoutes(app, ctx);
  // Live-update streams end before the server closes: an open stream would keep server.close() waiting.
  const live = opts.live ?? new LiveHub(ctx.bus);
  app.addHook('preClose', async () => live.close());
  // Every API route is a plugin under one prefix, typed by its TypeBox schemas (api/plugin.ts).
  await app.register(
    async (plugin) => {
      const api = plugin.withTypeProvider<TypeBoxTypeProvider>();
      enrollRoutes(api, ctx);
      enrollmentTokenRoutes(api, ctx);
      hostRoutes(api, ctx);
      hostHealthRoutes(api, ctx);
      hostOverviewRoutes(api, ctx);
      kpiRoutes(api, ctx);
      probeRoutes(api, ctx);
      patchRoutes(api, ctx);
      reliabilityRoutes(api, ctx);
      mitigationRoutes(api, ctx);
      auditRoutes(api, ctx);
      catalogRoutes(api, ctx);
      const rollouts = opts.rollouts;
      // Read when asked (the planner's clock, virtual under `rolloutClock`), not at registration.
      ringRoutes(api, ctx, rollouts ? () => rollouts.rolloutClock.clock.now() : undefined);
      blockRoutes(api, ctx);
      incidentRoutes(api, ctx);
      apiTokenRoutes(api, ctx);
      authRoutes(api, ctx);
      const oidc = oidcSettingsOf(ctx.config);
      oidcRoutes(api, ctx, oidc ? new OidcClient(oidc) : undefined);
      userRoutes(api, ctx);
      webhookRoutes(api, ctx);
      liveRoutes(api, live);
      agentReleaseRoutes(api, ctx, releasesDirOf(ctx.config));
      if (opts.commands) commandRoutes(api, ctx, opts.commands);
      if (opts.rollouts) rolloutRoutes(api, ctx, opts.rollouts);
      api.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: API_PREFIX },
  );
  if (opts.metrics) metricsRoutes(app, opts.metrics);
  downloadRoutes(app, releasesDirOf(ctx.config));
  await dashboardRoutes(app, { dir: opts.dashboardDir ?? dashboardDistDir() });
  return app;
}
