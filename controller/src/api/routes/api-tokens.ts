import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { isNull } from 'drizzle-orm';
import { audit } from '../../audit/audit';
import type { ControllerContext } from '../../context';
import { apiTokens, ROLES, type Role } from '../../db/schema/index';
import { createApiToken } from '../../keys/api-tokens';
import { actorOf } from '../auth';
import { ErrorResponse } from '../schemas';

const Body = Type.Object(
  { name: Type.String({ pattern: '^[A-Za-z0-9_.@ -]{1,64}$' }), role: Type.Union(ROLES.map((r) => Type.Literal(r))) },
  { additionalProperties: false },
);

/** API tokens for people and scripts (admins). The secret is shown once; only its hash is stored. */
export function apiTokenRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  app.post(
    '/api/v1/api-tokens',
    {
      config: { auth: 'admin' },
      schema: { summary: 'Create an API token (the secret is returned once)', tags: ['access'], body: Body, response: { 201: Type.Object({ id: Type.String(), name: Type.String(), role: Type.String(), token: Type.String() }), '4xx': ErrorResponse } },
    },
    async (req, reply) => {
      const body = req.body as { name: string; role: Role };
      const at = new Date(ctx.clock.now());
      const made = await ctx.db.transaction(async (tx) => {
        const t = await createApiToken(tx, body.name, body.role, at);
        await audit(tx, at, { actor: actorOf(req), action: 'api-token.create', targetType: 'api-token', targetId: t.id, details: { name: body.name, role: body.role }, requestId: req.id });
        return t;
      });
      return reply.code(201).send({ id: made.id, name: body.name, role: body.role, token: made.token });
    },
  );

  app.get(
    '/api/v1/api-tokens',
    { config: { auth: 'admin' }, schema: { summary: 'Live API tokens (never their secrets)', tags: ['access'], response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), role: Type.String(), createdAt: Type.String() })) }) } } },
    async () => {
      const rows = await ctx.db.select().from(apiTokens).where(isNull(apiTokens.revokedAt));
      return { items: rows.map((r) => ({ id: r.id, name: r.name, role: r.role, createdAt: r.createdAt.toISOString() })) };
    },
  );
}
