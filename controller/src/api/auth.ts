/**
 * Authentication and role checks on every route. A route states what it
 * needs in `config.auth`: 'public' or the least role allowed. A route that
 * forgets to say so gets 'admin', the safe default.
 *
 * Two credentials are accepted: an API token (`Authorization: Bearer`, for
 * the CLI and scripts) and a sign-in session cookie (the dashboard). A write
 * made with the cookie must also carry the session's CSRF token in the
 * x-csrf-token header: the cookie is SameSite=Strict as well, but a header a
 * foreign page cannot set is the check that does not depend on the browser.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { lookupApiToken, roleAllows, touchApiToken, type Principal, type Role } from '../keys/api-tokens';
import { CSRF_HEADER, csrfMatches, lookupSession, SESSION_COOKIE, touchSession } from '../keys/sessions';
import type { ControllerContext } from '../context';

export type RouteAuth = 'public' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal?: Principal;
    /** The session cookie's secret when the request was authenticated by it (sign-out and the CSRF token need it). */
    sessionSecret?: string;
  }
}

/** The audit actor for a request: `token:<id>` for an API token, `user:<name>` for a signed-in user. */
export function actorOf(req: FastifyRequest): string {
  if (!req.principal) return 'anonymous';
  return req.principal.via === 'session' ? `user:${req.principal.personName}` : `token:${req.principal.tokenId}`;
}

const LAST_USED_RESOLUTION_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Sets the session cookie (HttpOnly, Secure, SameSite=Strict, whole site). */
export function setSessionCookie(reply: FastifyReply, secret: string, expiresAt: Date): void {
  void reply.setCookie(SESSION_COOKIE, secret, { httpOnly: true, secure: true, sameSite: 'strict', path: '/', expires: expiresAt });
}

/** Tells the browser to drop the session cookie. */
export function clearSessionCookie(reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
}

async function tokenPrincipal(ctx: ControllerContext, token: string, now: number): Promise<Principal> {
  const lookup = await lookupApiToken(ctx.db, token, new Date(now));
  if ('refused' in lookup) {
    const why = { unknown: 'is not valid', expired: 'has expired', revoked: 'has been revoked', disabled: 'belongs to a disabled user' }[lookup.refused];
    throw new PfError(Errors.UNAUTHORIZED, `API token ${why}`);
  }
  const found = lookup.live;
  if (!found.lastUsedAt || now - found.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Best effort, coarse: a write per request would cost more than the information is worth.
    await touchApiToken(ctx.db, found.tokenId, new Date(now));
  }
  return { via: 'token', tokenId: found.tokenId, name: found.name, role: found.role, personId: found.personId, personName: found.personName };
}

async function sessionPrincipal(ctx: ControllerContext, req: FastifyRequest, secret: string, now: number): Promise<Principal> {
  const lookup = await lookupSession(ctx.db, secret, new Date(now));
  if ('refused' in lookup) {
    const why = { unknown: 'is not valid', ended: 'has ended (signed out)', expired: 'has expired', idle: 'has ended after inactivity', disabled: 'belongs to a disabled user' }[lookup.refused];
    throw new PfError(Errors.UNAUTHORIZED, `the sign-in session ${why}; sign in again`);
  }
  if (!SAFE_METHODS.has(req.method)) {
    const given = req.headers[CSRF_HEADER];
    if (!csrfMatches(secret, typeof given === 'string' ? given : undefined)) throw new PfError(Errors.CSRF, `a signed-in ${req.method} needs the session's ${CSRF_HEADER} header`);
  }
  const s = lookup.live;
  await touchSession(ctx.db, s, new Date(now));
  return { via: 'session', tokenId: s.sessionId, name: s.name, role: s.role, personId: s.personId, personName: s.name };
}

/** Who is asking, from the bearer token or else the session cookie; undefined when neither is given. */
export async function authenticate(ctx: ControllerContext, req: FastifyRequest): Promise<Principal | undefined> {
  const now = ctx.clock.now();
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) throw new PfError(Errors.UNAUTHORIZED, 'the Authorization header must be: Bearer <token>');
    return tokenPrincipal(ctx, match[1], now);
  }
  const secret = req.cookies[SESSION_COOKIE];
  if (secret) {
    req.sessionSecret = secret;
    return sessionPrincipal(ctx, req, secret, now);
  }
  return undefined;
}

export function registerAuth(app: FastifyInstance, ctx: ControllerContext): void {
  app.addHook('onRequest', async (req) => {
    const needed: RouteAuth = req.routeOptions.config.auth ?? 'admin';
    if (needed === 'public' || !req.routeOptions.url) return; // unknown routes fall through to the 404 handler
    const principal = await authenticate(ctx, req);
    if (!principal) throw new PfError(Errors.UNAUTHORIZED, 'sign in, or send an API token: Authorization: Bearer <token>');
    if (!roleAllows(principal.role, needed)) {
      throw new PfError(Errors.FORBIDDEN, `this route needs the ${needed} role; ${principal.via === 'session' ? `user ${principal.personName} is` : 'the token has'} ${principal.role}`);
    }
    req.principal = principal;
  });
}
