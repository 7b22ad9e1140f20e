import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { getBlock, liftBlock, listBlocks } from '../../safety/blocks';
import { actorOf } from '../auth';
import { announceHint } from '../../live/hints';
import { ErrorResponse } from '../schemas';

const IdParam = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }) });
const LiftRequest = Type.Object({ by: Type.String(), person: Type.Union([Type.String(), Type.Null()]), at: Type.String({ format: 'date-time' }), reason: Type.Union([Type.String(), Type.Null()]) });
const BlockView = Type.Object({
  id: Type.String(),
  patchId: Type.String(),
  hostClass: Type.Union([Type.String(), Type.Null()], { description: 'the host class (JSON [osId, build, model, role]); null: fleet-wide' }),
  scope: Type.String({ description: 'the class in words, or "every host class"' }),
  state: Type.Union([Type.Literal('active'), Type.Literal('lifted')]),
  reason: Type.String(),
  incidentId: Type.Union([Type.String(), Type.Null()]),
  rolloutId: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  liftRequest: Type.Union([LiftRequest, Type.Null()]),
  liftedBy: Type.Union([Type.String(), Type.Null()]),
  liftedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  liftReason: Type.Union([Type.String(), Type.Null()]),
});
const LiftOutcome = Type.Object({ outcome: Type.Union([Type.Literal('lifted'), Type.Literal('awaiting-second-person')]), block: BlockView, unblockedHosts: Type.Integer() });

/** Patch blocks set by tripped health gates: everyone reads them; admins lift them (two people for a fleet-wide block). */
export function blockRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.get(
    '/blocks',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: 'Patch blocks, newest first',
        tags: ['safety'],
        querystring: Type.Object(
          {
            state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('lifted')])),
            patch: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'only blocks of this patch' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(BlockView) }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const q = req.query;
      return { items: await listBlocks(ctx.db, { state: q.state, patchId: q.patch, limit: q.limit ?? 500 }) };
    },
  );

  app.get(
    '/blocks/:id',
    { config: { auth: 'helpdesk' }, schema: { summary: 'One patch block', tags: ['safety'], params: IdParam, response: { 200: BlockView, '4xx': ErrorResponse } } },
    async (req) => getBlock(ctx.db, req.params.id),
  );

  app.post(
    '/blocks/:id/lift',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Lift a block (admin, with a reason). A fleet-wide block takes two people: the first call is recorded (202), a second admin who is another person lifts it',
        tags: ['safety'],
        params: IdParam,
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }) }, { additionalProperties: false }),
        response: { 200: LiftOutcome, 202: LiftOutcome, '4xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const { reason } = req.body;
      if (!req.principal) throw new PfError(Errors.UNAUTHORIZED);
      const principal = req.principal;
      const out = await ctx.db.transaction((tx) => liftBlock(tx, id, principal, reason, { actor: actorOf(req), realNow: ctx.clock.now(), requestId: req.id }));
      await announceHint(ctx.bus, req.log, { kind: 'block', id });
      return reply.code(out.outcome === 'lifted' ? 200 : 202).send(out);
    },
  );
}
