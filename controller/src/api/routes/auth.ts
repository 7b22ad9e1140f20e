import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import { audit } from '../../audit/audit';
import type { Role } from '../../keys/api-tokens';
import { PASSWORD_MAX_LENGTH } from '../../keys/passwords';
import { csrfTokenFor, endSession } from '../../keys/sessions';
import { changeOwnPassword, signInWithPassword } from '../../keys/users';
import { actorOf, clearSessionCookie, setSessionCookie } from '../auth';
import { limitPerAddress } from '../rate-limits';
import { ErrorResponse } from '../schemas';

/** Names of users and people (as api-tokens.ts accepts them). */
export const UserName = Type.String({ pattern: '^[A-Za-z0-9_.@ -]{1,64}$' });
export const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('operator'), Type.Literal('helpdesk')]);
// The roles' column enum spelled out so TypeBox keeps the literal types; this fails to compile when the two differ.
const sameRoles: Record<Role, true> & Record<Static<typeof RoleSchema>, true> = { admin: true, operator: true, helpdesk: true };
void sameRoles;

const SignedInUser = Type.Object({ id: Type.String(), name: Type.String(), role: RoleSchema });
const SessionView = Type.Object({
  user: SignedInUser,
  via: Type.Union([Type.Literal('token'), Type.Literal('session')]),
  /** Present for a session: send it as x-csrf-token on every write. */
  csrfToken: Type.Optional(Type.String()),
});

/** Sign-in attempts allowed per address and minute, on top of the per-user back-off. */
const SIGN_IN_PER_MIN = 20;

/** Sign-in, sign-out, who am I, and password change for users (the dashboard's session). */
export function authRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/api/v1/auth/sign-in',
    {
      config: { auth: 'public' },
      onRequest: limitPerAddress(app, SIGN_IN_PER_MIN, 'sign-in attempts'),
      bodyLimit: 4 * 1024,
      schema: {
        summary: 'Sign in with a user name and password; sets the session cookie and returns the CSRF token for writes',
        tags: ['access'],
        security: [],
        body: Type.Object({ name: UserName, password: Password }, { additionalProperties: false }),
        response: { 200: SessionView, '4xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const at = new Date(ctx.clock.now());
      const signedIn = await signInWithPassword(ctx.db, req.body.name, req.body.password, at, { address: req.ip, userAgent: String(req.headers['user-agent'] ?? ''), requestId: req.id });
      setSessionCookie(reply, signedIn.session.secret, signedIn.session.expiresAt);
      return { user: signedIn.user, via: 'session' as const, csrfToken: signedIn.session.csrfToken };
    },
  );

  r.post(
    '/api/v1/auth/sign-out',
    { config: { auth: 'helpdesk' }, schema: { summary: 'End this sign-in session and drop its cookie', tags: ['access'], response: { 200: Type.Object({ signedOut: Type.Boolean() }), '4xx': ErrorResponse } } },
    async (req, reply) => {
      const p = req.principal;
      if (!p) throw new PfError(Errors.UNAUTHORIZED);
      if (p.via !== 'session') throw new PfError(Errors.VALIDATION, 'sign-out ends a sign-in session; an API token is revoked with api-token revoke');
      const at = new Date(ctx.clock.now());
      await ctx.db.transaction(async (tx) => {
        await endSession(tx, p.tokenId, at);
        await audit(tx, at, { actor: actorOf(req), action: 'auth.sign-out', targetType: 'user', targetId: p.personId, details: { name: p.personName, session: p.tokenId }, requestId: req.id });
      });
      clearSessionCookie(reply);
      return { signedOut: true };
    },
  );

  r.get(
    '/api/v1/auth/me',
    { config: { auth: 'helpdesk' }, schema: { summary: 'Who is signed in (or whose token this is), with the CSRF token of a session', tags: ['access'], response: { 200: SessionView, '4xx': ErrorResponse } } },
    async (req) => {
      const p = req.principal;
      if (!p) throw new PfError(Errors.UNAUTHORIZED);
      const user = { id: p.personId, name: p.personName, role: p.role };
      return p.via === 'session' && req.sessionSecret ? { user, via: 'session' as const, csrfToken: csrfTokenFor(req.sessionSecret) } : { user, via: 'token' as const };
    },
  );

  r.post(
    '/api/v1/auth/password',
    {
      config: { auth: 'helpdesk' },
      onRequest: limitPerAddress(app, SIGN_IN_PER_MIN, 'password changes'),
      bodyLimit: 4 * 1024,
      schema: {
        summary: "Change your own password (the current one is needed); your other sessions end",
        tags: ['access'],
        body: Type.Object({ current: Password, next: Password }, { additionalProperties: false }),
        response: { 200: Type.Object({ changed: Type.Boolean() }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const p = req.principal;
      if (!p) throw new PfError(Errors.UNAUTHORIZED);
      await changeOwnPassword(ctx.db, p.personId, req.body.current, req.body.next, new Date(ctx.clock.now()), p.via === 'session' ? p.tokenId : undefined, { actor: actorOf(req), requestId: req.id });
      return { changed: true };
    },
  );
}
