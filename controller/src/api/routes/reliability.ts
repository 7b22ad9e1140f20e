/**
 * The reliability of a patch: score, confidence, probability of harm, the
 * decision with its reasons, per-class scores and their history.
 */
import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { reliabilityReport } from '../../reliability/report';
import { ErrorResponse } from '../schemas';

const PatchId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const ClassView = Type.Object({
  hostClass: Type.String(),
  label: Type.String(),
  score: Type.Integer(),
  confidence: Type.Number(),
  pHarm: Type.Number(),
  trials: Type.Integer({ description: 'hosts of the class with an install outcome' }),
  harmed: Type.Integer({ description: 'of those, hosts harmed (install failed, rolled back, not back after reboot, health regression)' }),
  reasons: Type.Array(Type.String()),
  computedAt: Type.String({ format: 'date-time' }),
});

/** GET /api/v1/patches/:id/reliability (helpdesk and up). */
export const ReliabilityView = Type.Object({
  patchId: Type.String(),
  score: Type.Union([Type.Integer(), Type.Null()]),
  confidence: Type.Number(),
  pHarm: Type.Union([Type.Number(), Type.Null()]),
  decision: Type.Union([Type.Literal('deploy-now'), Type.Literal('stage'), Type.Literal('hold'), Type.Literal('block')]),
  cautious: Type.Boolean(),
  tier: Type.Union([Type.String(), Type.Null()]),
  reasons: Type.Array(Type.String()),
  classes: Type.Array(ClassView),
  history: Type.Array(Type.Object({ hostClass: Type.String(), score: Type.Integer(), confidence: Type.Number(), at: Type.String({ format: 'date-time' }), reasons: Type.Array(Type.String()) })),
  computedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export function reliabilityRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.get(
    '/patches/:id/reliability',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: "A patch's reliability score (per class too), its decision with reasons, and the score's history",
        tags: ['patches'],
        params: PatchId,
        response: { 200: ReliabilityView, '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params;
      const report = await reliabilityReport(ctx.db, id, new Date(ctx.clock.now()));
      if (!report) throw new PfError(Errors.NOT_FOUND, `patch ${id} is not in the catalog, no known issue names it and no rollout has carried it`);
      return report;
    },
  );
}
