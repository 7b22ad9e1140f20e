import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { createApiTokenAudited, DEFAULT_TOKEN_TTL_SEC, listApiTokens, MAX_TOKEN_TTL_SEC, revokeApiTokenAudited, ROLES } from '../../keys/api-tokens';
import { parseDurationSec } from '../../time/duration';
import { actorOf } from '../auth';
import { ErrorResponse, OneOf } from '../schemas';

const Body = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.@ -]{1,64}$', description: 'what the token is for (a label)' }),
    role: OneOf(ROLES),
    expires: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}[smhdw]?$', description: `lifetime: 90d (default), 12h, 2w; at most ${MAX_TOKEN_TTL_SEC / 86_400}d` })),
    person: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.@ -]{1,64}$', description: "a named service account to mint for, registered when new (admin users only); default: the minter's own person" })),
  },
  { additionalProperties: false },
);
const Iso = Type.String({ format: 'date-time' });
const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: OneOf(ROLES),
  person: Type.String({ description: 'the user or service account the token belongs to' }),
  personId: Type.Union([Type.String(), Type.Null()]),
  owner: Type.Union([Type.Literal('user'), Type.Literal('service')]),
  createdAt: Iso,
  expiresAt: Type.Union([Iso, Type.Null()]),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Iso, Type.Null()], { description: 'to the minute' }),
  revokedAt: Type.Union([Iso, Type.Null()]),
  state: Type.Union([Type.Literal('live'), Type.Literal('expired'), Type.Literal('revoked')]),
});
const ListQuery = Type.Object(
  {
    mine: Type.Optional(Type.Boolean({ description: "only the caller's own tokens (always so for non-admins)" })),
    include: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('all')], { description: 'live tokens (default), or revoked and expired ones too, newest first' })),
  },
  { additionalProperties: false },
);
const IdParam = Type.Object({ id: Type.String({ pattern: '^at_[0-9a-f]{1,32}$' }) });

/**
 * API tokens. Every signed-in person mints tokens for themselves (a role no
 * higher than their own, an expiry of at most a year), lists and revokes
 * their own; admins list and revoke everyone's and mint for named service
 * accounts. The secret is shown once; only its hash is stored, and neither is
 * ever listed.
 */
export function apiTokenRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.post(
    '/api-tokens',
    {
      config: { auth: 'helpdesk' },
      bodyLimit: 4 * 1024,
      schema: {
        summary: "Mint an API token (the secret is returned once): yours, with a role no higher than yours; admins may name a service account",
        tags: ['access'],
        body: Body,
        response: { 201: Type.Object({ id: Type.String(), name: Type.String(), role: OneOf(ROLES), person: Type.String(), expiresAt: Iso, token: Type.String() }), '4xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const creator = req.principal;
      if (!creator) throw new PfError(Errors.UNAUTHORIZED);
      const ttlSec = body.expires ? parseDurationSec(body.expires) : DEFAULT_TOKEN_TTL_SEC;
      const at = new Date(ctx.clock.now());
      const made = await createApiTokenAudited(ctx.db, creator, { name: body.name, role: body.role, ttlSec, person: body.person }, at, { actor: actorOf(req), requestId: req.id });
      return reply.code(201).send({ id: made.id, name: body.name, role: body.role, person: made.personName, expiresAt: made.expiresAt.toISOString(), token: made.token });
    },
  );

  app.get(
    '/api-tokens',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: "API tokens, never their secrets: a non-admin's own, an admin's everyone's (live only unless include=all)",
        tags: ['access'],
        querystring: ListQuery,
        response: { 200: Type.Object({ items: Type.Array(TokenView) }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const p = req.principal;
      if (!p) throw new PfError(Errors.UNAUTHORIZED);
      const own = p.role !== 'admin' || req.query.mine === true;
      return { items: await listApiTokens(ctx.db, new Date(ctx.clock.now()), { personId: own ? p.personId : undefined, include: req.query.include ?? 'live' }) };
    },
  );

  app.post(
    '/api-tokens/:id/revoke',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: "Revoke an API token for good: your own, or anyone's as an admin (refused for the last live admin token)",
        tags: ['access'],
        params: IdParam,
        response: { 200: Type.Object({ revoked: Type.String() }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const p = req.principal;
      if (!p) throw new PfError(Errors.UNAUTHORIZED);
      const { id } = req.params;
      await revokeApiTokenAudited(ctx.db, id, new Date(ctx.clock.now()), { actor: actorOf(req), requestId: req.id }, p);
      return { revoked: id };
    },
  );
}
