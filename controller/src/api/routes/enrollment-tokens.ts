import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../../audit/audit';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { createEnrollmentToken, listEnrollmentTokens, revokeEnrollmentToken } from '../../enrollment/tokens';
import { parseDurationSec } from '../../time/duration';
import { actorOf } from '../auth';
import { ErrorResponse, Labels, OneOf } from '../schemas';

const MAX_TTL_SEC = 365 * 86_400;

const TokenView = Type.Object({
  id: Type.String(),
  description: Type.String(),
  labels: Labels,
  maxUses: Type.Integer(),
  uses: Type.Integer(),
  expiresAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
  state: OneOf(['active', 'expired', 'exhausted', 'revoked']),
});

export function enrollmentTokenRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.post(
    '/enrollment-tokens',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Create an enrollment token (the secret is returned once)',
        tags: ['enrollment'],
        body: Type.Object(
          {
            uses: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
            ttl: Type.Optional(Type.String({ maxLength: 16, description: 'e.g. 1h, 7d (default 1h)' })),
            labels: Type.Optional(Labels),
            description: Type.Optional(Type.String({ maxLength: 256 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Intersect([Type.Object({ token: Type.String() }), TokenView]), '4xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const ttlSec = parseDurationSec(body.ttl ?? '1h');
      if (ttlSec > MAX_TTL_SEC) throw new PfError(Errors.VALIDATION, 'ttl must be at most 365d');
      const now = new Date(ctx.clock.now());
      const created = await ctx.db.transaction(async (tx) => {
        const made = await createEnrollmentToken(tx, {
          maxUses: body.uses ?? 1,
          ttlSec,
          labels: body.labels ?? {},
          description: body.description ?? '',
          createdBy: actorOf(req),
          now,
        });
        await audit(tx, now, { actor: actorOf(req), action: 'enroll-token.create', targetType: 'enroll-token', targetId: made.view.id, details: { maxUses: made.view.maxUses, expiresAt: made.view.expiresAt, labels: made.view.labels }, requestId: req.id });
        return made;
      });
      return reply.code(201).send({ token: created.token, ...created.view });
    },
  );

  app.get(
    '/enrollment-tokens',
    { config: { auth: 'operator' }, schema: { summary: 'List enrollment tokens (never their secrets)', tags: ['enrollment'], response: { 200: Type.Object({ items: Type.Array(TokenView) }) } } },
    async () => ({ items: await listEnrollmentTokens(ctx.db, new Date(ctx.clock.now())) }),
  );

  app.post(
    '/enrollment-tokens/:id/revoke',
    {
      config: { auth: 'admin' },
      schema: { summary: 'Revoke an enrollment token', tags: ['enrollment'], params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { 200: TokenView, '4xx': ErrorResponse } },
    },
    async (req) => {
      const { id } = req.params;
      const now = new Date(ctx.clock.now());
      return ctx.db.transaction(async (tx) => {
        const view = await revokeEnrollmentToken(tx, id, now);
        await audit(tx, now, { actor: actorOf(req), action: 'enroll-token.revoke', targetType: 'enroll-token', targetId: id, requestId: req.id });
        return view;
      });
    },
  );
}
