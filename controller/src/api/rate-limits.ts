/**
 * Per-source-address limits on the REST API (@fastify/rate-limit's counters,
 * in memory, per process) and the audit trail of what is refused:
 *
 * - every request: `apiRatePerMin` per address;
 * - refused authentications (401): after `authFailuresPerMin` in a minute the
 *   address gets 429 before its token is even looked up;
 * - enrollment: `enrollRatePerMin` per address (routes/enroll.ts);
 * - refused enrollments, 401s and 429s are counted per address and minute and
 *   written as one audit row each (audit/refusal-audit.ts).
 *
 * The hooks are app-level `onRequest` hooks registered before authentication,
 * so a refused caller costs no database lookup.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPfError, PfError, Errors } from '@patchfleet/shared/errors';
import type { RefusalAudit } from '../audit/refusal-audit';
import type { ControllerContext } from '../context';
import { sourceAddress } from '../net/connection-guard';
import { API_PREFIX } from './plugin';

/** The enrollment route; its refusals are audited as `agent.enroll.refused`. */
/** The enrollment path inside the API plugin (routes/enroll.ts). */
export const ENROLL_PATH = '/agents/enroll';
export const ENROLL_ROUTE = `${API_PREFIX}${ENROLL_PATH}`;

const MINUTE_MS = 60_000;

type Check = (req: FastifyRequest, opts?: { increment?: boolean }) => Promise<{ isAllowed: boolean; isExceeded: boolean; remaining: number; ttlInSeconds: number; max: number }>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The refusal being answered (set by onError, read by onResponse). */
    refusal?: { code: string; tokenId?: unknown };
  }
}

/** An onRequest hook refusing with 429 PF_ERR_RATE_LIMITED once the address is past `max` requests in a minute. */
export function limitPerAddress(app: FastifyInstance, max: number, what: string): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const check = app.createRateLimit({ max, timeWindow: MINUTE_MS, keyGenerator: (req) => sourceAddress(req.ip) }) as Check;
  return async (req, reply) => {
    const r = await check(req);
    if (!r.isAllowed && r.isExceeded) refuse(reply, r.ttlInSeconds, `too many ${what} from this address (at most ${max} a minute); retry in ${r.ttlInSeconds} s`);
  };
}

function refuse(reply: FastifyReply, retryAfterSec: number, message: string): never {
  void reply.header('retry-after', String(Math.max(1, retryAfterSec)));
  throw new PfError(Errors.RATE_LIMITED, message);
}

/**
 * Registers the limits and the refusal audit. Call before registerAuth (the
 * limits must run before a token is looked up). `onAuthenticated` is told of
 * every request that carried a valid token (its connection is then no longer
 * an unauthenticated one).
 */
export async function registerRateLimits(
  app: FastifyInstance,
  ctx: ControllerContext,
  deps: { refusals: RefusalAudit; onAuthenticated?: ((req: FastifyRequest) => void) | undefined },
): Promise<void> {
  const { config } = ctx;
  await app.register(rateLimit, { global: false });
  const everyRequest = limitPerAddress(app, config.apiRatePerMin, 'requests');
  const authFailures = app.createRateLimit({ max: config.authFailuresPerMin, timeWindow: MINUTE_MS, keyGenerator: (req) => sourceAddress(req.ip) }) as Check;

  // Routes that take an API token; enrollment tokens have their own limit.
  const takesApiToken = (req: FastifyRequest) => Boolean(req.routeOptions.url) && (req.routeOptions.config.auth ?? 'admin') !== 'public';
  app.addHook('onRequest', async (req, reply) => {
    await everyRequest(req, reply);
    if (!takesApiToken(req)) return;
    const failed = await authFailures(req, { increment: false });
    if (!failed.isAllowed && failed.remaining <= 0) refuse(reply, failed.ttlInSeconds, `too many refused API tokens from this address (at most ${config.authFailuresPerMin} a minute); retry in ${failed.ttlInSeconds} s`);
  });
  if (deps.onAuthenticated) {
    const told = deps.onAuthenticated;
    // preValidation runs after every onRequest hook, authentication included.
    app.addHook('preValidation', async (req) => {
      if (req.principal) told(req);
    });
  }
  app.addHook('onError', async (req, _reply, err) => {
    req.refusal = { code: isPfError(err) ? err.code : (err as { validation?: unknown }).validation ? Errors.VALIDATION.code : `HTTP_${(err as { statusCode?: number }).statusCode ?? 500}`, tokenId: isPfError(err) ? err.details?.tokenId : undefined };
  });
  app.addHook('onResponse', async (req, reply) => {
    const status = reply.statusCode;
    if (status < 400 || status >= 500) return;
    const address = sourceAddress(req.ip);
    const code = req.refusal?.code ?? `HTTP_${status}`;
    if (status === 401 && takesApiToken(req)) await authFailures(req);
    if (req.routeOptions.url === ENROLL_ROUTE) {
      const body = req.body as { hostname?: unknown } | undefined;
      deps.refusals.record(address, 'agent.enroll.refused', { code, hostname: body?.hostname, tokenId: req.refusal?.tokenId, requestId: String(req.id) });
    } else if (status === 401 || status === 429) {
      deps.refusals.record(address, 'api.request.refused', { code, requestId: String(req.id), route: `${req.method} ${req.routeOptions.url ?? '(no route)'}` });
    }
  });
}
