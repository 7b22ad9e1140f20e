import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { API_PREFIX, type ApiInstance } from '../plugin';
import { PfError, Errors, isPfError } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import { auditOidcFailure, signInWithOidc } from '../../keys/oidc';
import { CALLBACK_ROUTE, type OidcClient } from '../../oidc/client';
import { FLOW_COOKIE, FLOW_TTL_SEC } from '../../oidc/flow-cookie';
import { setSessionCookie } from '../auth';
import { limitPerAddress } from '../rate-limits';
import { ErrorResponse, Redirect } from '../schemas';

/** Sign-on starts and answers allowed per address and minute. */
const SIGN_ON_PER_MIN = 20;
/** The flow cookie goes only to the sign-on routes. */
const FLOW_COOKIE_PATH = `${API_PREFIX}/auth/oidc`;
/** Where a signed-in browser lands: the dashboard. */
const AFTER_SIGN_IN = '/';

function clearFlowCookie(reply: FastifyReply): void {
  void reply.clearCookie(FLOW_COOKIE, { httpOnly: true, secure: true, sameSite: 'lax', path: FLOW_COOKIE_PATH });
}

/**
 * OpenID Connect single sign-on for the dashboard (public routes: they are
 * how a browser gets a session). `client` is undefined when single sign-on
 * is not configured; the routes then say so.
 */
export function oidcRoutes(app: ApiInstance, ctx: ControllerContext, client: OidcClient | undefined): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const enabled = (): OidcClient => {
    if (!client) throw new PfError(Errors.OIDC_DISABLED, 'single sign-on (OIDC) is not configured on this controller; sign in with a password');
    return client;
  };

  r.get(
    '/auth/oidc',
    {
      config: { auth: 'public' },
      schema: {
        summary: 'Whether single sign-on is configured, and the text of its button',
        tags: ['access'],
        security: [],
        response: { 200: Type.Object({ enabled: Type.Boolean(), name: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async () => ({ enabled: client !== undefined, name: client?.settings.name ?? null }),
  );

  r.get(
    '/auth/oidc/start',
    {
      config: { auth: 'public' },
      onRequest: limitPerAddress(app, SIGN_ON_PER_MIN, 'single sign-on starts'),
      schema: { summary: 'Start single sign-on: redirects to the identity provider (authorization code with PKCE), with the flow in a sealed cookie', tags: ['access'], security: [], response: { 302: Redirect('to the identity provider'), '4xx': ErrorResponse, '5xx': ErrorResponse } },
    },
    async (_req, reply) => {
      const started = await enabled().start(ctx.clock.now());
      void reply.setCookie(FLOW_COOKIE, started.cookie, { httpOnly: true, secure: true, sameSite: 'lax', path: FLOW_COOKIE_PATH, maxAge: FLOW_TTL_SEC });
      return reply.header('cache-control', 'no-store').redirect(started.url, 302);
    },
  );

  r.get(
    CALLBACK_ROUTE,
    {
      config: { auth: 'public' },
      onRequest: limitPerAddress(app, SIGN_ON_PER_MIN, 'single sign-on answers'),
      schema: {
        summary: "The identity provider's answer: checks state, nonce and PKCE, signs the user in (session cookie) and redirects to the dashboard",
        tags: ['access'],
        security: [],
        response: { 302: Redirect('to the dashboard, signed in'), '4xx': ErrorResponse, '5xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const c = enabled();
      const at = new Date(ctx.clock.now());
      const meta = { address: req.ip, userAgent: String(req.headers['user-agent'] ?? ''), requestId: req.id };
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      clearFlowCookie(reply);
      let identity;
      try {
        identity = await c.finish(query, req.cookies[FLOW_COOKIE], at.getTime());
      } catch (err) {
        if (isPfError(err)) {
          const reason = typeof err.details?.reason === 'string' ? err.details.reason : 'provider-error';
          await auditOidcFailure(ctx.db, at, reason, meta, { issuer: c.settings.issuer, error: err.message.slice(0, 300) });
        }
        throw err;
      }
      const { roleClaim, roleMap, createUsers, nameClaim } = c.settings;
      const signedIn = await signInWithOidc(ctx.db, identity, { roleClaim, roleMap, createUsers, nameClaim }, at, meta);
      setSessionCookie(reply, signedIn.session.secret, signedIn.session.expiresAt);
      // The session cookie is SameSite=Strict: this navigation began at the provider, so the browser may not send it
      // with the page load of `/`, but does with the dashboard's own API calls, which is where it is needed.
      return reply.header('cache-control', 'no-store').redirect(AFTER_SIGN_IN, 302);
    },
  );
}
