/**
 * Bearer-token authentication and role checks on every route. A route states
 * what it needs in `config.auth`: 'public' or the least role allowed. A route
 * that forgets to say so gets 'admin', the safe default.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { lookupApiToken, roleAllows, touchApiToken, type Principal, type Role } from '../keys/api-tokens';
import type { ControllerContext } from '../context';

export type RouteAuth = 'public' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The audit actor for a request. */
export function actorOf(req: FastifyRequest): string {
  return req.principal ? `token:${req.principal.tokenId}` : 'anonymous';
}

const LAST_USED_RESOLUTION_MS = 60_000;

export function registerAuth(app: FastifyInstance, ctx: ControllerContext): void {
  app.addHook('onRequest', async (req) => {
    const needed: RouteAuth = req.routeOptions.config.auth ?? 'admin';
    if (needed === 'public' || !req.routeOptions.url) return; // unknown routes fall through to the 404 handler
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) throw new PfError(Errors.UNAUTHORIZED, 'missing Authorization: Bearer <token> header');
    const now = ctx.clock.now();
    const lookup = await lookupApiToken(ctx.db, match[1], new Date(now));
    if ('refused' in lookup) {
      throw new PfError(Errors.UNAUTHORIZED, lookup.refused === 'unknown' ? 'API token is not valid' : `API token has ${lookup.refused === 'expired' ? 'expired' : 'been revoked'}`);
    }
    const found = lookup.live;
    if (!roleAllows(found.role, needed)) throw new PfError(Errors.FORBIDDEN, `this route needs the ${needed} role; the token has ${found.role}`);
    req.principal = { tokenId: found.tokenId, name: found.name, role: found.role, personId: found.personId, personName: found.personName };
    if (!found.lastUsedAt || now - found.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      // Best effort, coarse: a write per request would cost more than the information is worth.
      await touchApiToken(ctx.db, found.tokenId, new Date(now));
    }
  });
}
