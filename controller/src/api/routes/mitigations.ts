/**
 * Mitigations: the vendor's workarounds for a patch's CVEs and the accepted
 * mitigations of urgent patches that are held or blocked. Admins record and
 * revoke (audited); everyone else reads.
 */
import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { catalogPatch } from '../../catalog/patches';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { createMitigation, listMitigations, revokeMitigation, vendorRemediations } from '../../reliability/mitigations';
import { actorOf } from '../auth';
import { ErrorResponse, Labels, OneOf } from '../schemas';

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const State = Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked'), Type.Literal('all')]);

const MitigationView = Type.Object({
  id: Type.String(),
  patchId: Type.String(),
  description: Type.String(),
  owner: Type.String(),
  scope: Type.Object({ hostIds: Type.Optional(Type.Array(Type.String())), labels: Type.Optional(Type.Record(Type.String(), Type.String())) }),
  expiresAt: Type.String({ format: 'date-time' }),
  state: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  createdBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const MitigationBody = Type.Object(
  {
    patchId: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.String({ minLength: 1, maxLength: 4000 }),
    owner: Type.String({ minLength: 1, maxLength: 256, description: 'who answers for the mitigation' }),
    expiresAt: Type.String({ format: 'date-time', description: 'when the mitigation stops counting; must be in the future' }),
    scope: Type.Object(
      {
        hostIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10_000 })),
        labels: Type.Optional(Labels),
      },
      { additionalProperties: false, description: 'hosts listed by id and/or hosts carrying every label given' },
    ),
  },
  { additionalProperties: false },
);

export function mitigationRoutes(app: ApiInstance, ctx: ControllerContext): void {
  const now = () => new Date(ctx.clock.now());

  app.get(
    '/patches/:id/mitigations',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: "The vendor's workarounds and mitigations for a patch's CVEs (CVRF), and the mitigations accepted for it",
        tags: ['mitigations'],
        params: Id,
        querystring: Type.Object({ state: Type.Optional(State) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            patchId: Type.String(),
            cves: Type.Array(Type.String()),
            vendor: Type.Array(Type.Object({ cve: Type.String(), type: OneOf(['Workaround', 'Mitigation']), description: Type.String(), url: Type.Union([Type.String(), Type.Null()]), productIds: Type.Array(Type.String()), documentId: Type.Union([Type.String(), Type.Null()]) })),
            accepted: Type.Array(MitigationView),
          }),
          '4xx': ErrorResponse,
        },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { state = 'all' } = req.query;
      const patch = await catalogPatch(ctx.db, id);
      if (!patch) throw new PfError(Errors.NOT_FOUND, `patch ${id} is not in the catalog`);
      return { patchId: id, cves: patch.cves, vendor: await vendorRemediations(ctx.db, patch.cves), accepted: await listMitigations(ctx.db, { patchId: id, state }, now()) };
    },
  );

  app.get(
    '/mitigations',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: 'Accepted mitigations, soonest expiry first',
        tags: ['mitigations'],
        querystring: Type.Object({ state: Type.Optional(State), patchId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(MitigationView) }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { state = 'all', patchId } = req.query;
      return { items: await listMitigations(ctx.db, { state, patchId }, now()) };
    },
  );

  app.post(
    '/mitigations',
    {
      config: { auth: 'admin' },
      schema: {
        summary: 'Record an accepted mitigation for an urgent patch that is held or blocked',
        tags: ['mitigations'],
        body: MitigationBody,
        response: { 201: MitigationView, '4xx': ErrorResponse },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const at = now();
      const made = await ctx.db.transaction((tx) => createMitigation(tx, body, { actor: actorOf(req), requestId: req.id }, at));
      return reply.code(201).send(made);
    },
  );

  app.delete(
    '/mitigations/:id',
    {
      config: { auth: 'admin' },
      schema: { summary: 'Revoke an accepted mitigation', tags: ['mitigations'], params: Id, response: { 200: MitigationView, '4xx': ErrorResponse } },
    },
    async (req) => {
      const { id } = req.params;
      const at = now();
      return ctx.db.transaction((tx) => revokeMitigation(tx, id, { actor: actorOf(req), requestId: req.id }, at));
    },
  );
}
