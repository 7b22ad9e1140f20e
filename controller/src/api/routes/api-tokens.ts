import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { createApiTokenAudited, DEFAULT_TOKEN_TTL_SEC, listLiveApiTokens, revokeApiTokenAudited, ROLES } from '../../keys/api-tokens';
import { parseDurationSec } from '../../time/duration';
import { actorOf } from '../auth';
import { ErrorResponse, OneOf } from '../schemas';

const Body = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.@ -]{1,64}$' }),
    role: OneOf(ROLES),
    expires: Type.Optional(Type.String({ pattern: '^(never|[0-9]{1,6}[smhdw]?)$', description: 'lifetime: 90d (default), 12h, 2w, or never' })),
    person: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.@ -]{1,64}$', description: 'register or name a token-only person, a service account (bootstrap admin only); default: the creator\'s own person' })),
  },
  { additionalProperties: false },
);
const TokenView = Type.Object({ id: Type.String(), name: Type.String(), role: Type.String(), person: Type.String(), createdAt: Type.String(), expiresAt: Type.Union([Type.String(), Type.Null()]), createdBy: Type.Union([Type.String(), Type.Null()]) });
const IdParam = Type.Object({ id: Type.String({ pattern: '^at_[0-9a-f]{1,32}$' }) });

/** API tokens for people and scripts (admins). The secret is shown once; only its hash is stored. Tokens expire (default 90 days) and can be revoked. */
export function apiTokenRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.post(
    '/api-tokens',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Create an API token (the secret is returned once); it belongs to the creator\'s person unless the bootstrap admin registers another',
        tags: ['access'],
        body: Body,
        response: { 201: Type.Object({ id: Type.String(), name: Type.String(), role: Type.String(), person: Type.String(), expiresAt: Type.Union([Type.String(), Type.Null()]), token: Type.String() }), '4xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const creator = req.principal;
      if (!creator) throw new PfError(Errors.UNAUTHORIZED);
      const ttlSec = body.expires === 'never' ? null : body.expires ? parseDurationSec(body.expires) : DEFAULT_TOKEN_TTL_SEC;
      const at = new Date(ctx.clock.now());
      const made = await createApiTokenAudited(ctx.db, creator, { name: body.name, role: body.role, ttlSec, person: body.person }, at, { actor: actorOf(req), requestId: req.id });
      return reply.code(201).send({ id: made.id, name: body.name, role: body.role, person: made.personName, expiresAt: made.expiresAt?.toISOString() ?? null, token: made.token });
    },
  );

  app.get(
    '/api-tokens',
    { config: { auth: 'admin' }, schema: { summary: 'Live API tokens (not revoked, not expired; never their secrets)', tags: ['access'], response: { 200: Type.Object({ items: Type.Array(TokenView) }) } } },
    async () => ({ items: await listLiveApiTokens(ctx.db, new Date(ctx.clock.now())) }),
  );

  app.post(
    '/api-tokens/:id/revoke',
    { config: { auth: 'admin' }, schema: { summary: 'Revoke an API token for good (refused for the last live admin token)', tags: ['access'], params: IdParam, response: { 200: Type.Object({ revoked: Type.String() }), '4xx': ErrorResponse } } },
    async (req) => {
      const { id } = req.params;
      const at = new Date(ctx.clock.now());
      await revokeApiTokenAudited(ctx.db, id, at, { actor: actorOf(req), requestId: req.id });
      return { revoked: id };
    },
  );
}
