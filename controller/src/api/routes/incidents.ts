import { Type } from '@sinclair/typebox';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { getIncident, listIncidents } from '../../safety/incidents';
import { ErrorResponse } from '../schemas';

const IdParam = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }) });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const IncidentView = Type.Object({
  id: Type.String(),
  patchId: Type.String(),
  rolloutId: Nullable(Type.String()),
  hostClass: Nullable(Type.String()),
  scope: Type.String(),
  gate: Type.String({ description: 'the gate that tripped: a count signal (probe-failure, app-crash, ...), install-failure, boot-failure or absolute-limit' }),
  state: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
  summary: Type.String({ description: 'what was seen against what baseline, in words' }),
  evidence: Type.Object({}, { additionalProperties: true, description: 'cohort numbers, verdicts with statistics and thresholds, hosts ordered back' }),
  rollbackPolicy: Type.Union([Type.Literal('harmed'), Type.Literal('cohort'), Type.Literal('none')]),
  harmedHosts: Type.Array(Type.String()),
  rolledBackHosts: Type.Array(Type.String()),
  timeline: Type.Array(Type.Object({ at: Type.String(), event: Type.String(), details: Type.Optional(Type.Object({}, { additionalProperties: true })) })),
  openedAt: Type.String({ format: 'date-time' }),
  resolvedAt: Nullable(Type.String({ format: 'date-time' })),
});

/** Incidents opened by tripped health gates (read-only: they change by themselves as hosts roll back and blocks are lifted). */
export function incidentRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.get(
    '/incidents',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: 'Incidents, newest first',
        tags: ['safety'],
        querystring: Type.Object(
          {
            state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved')])),
            patch: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(IncidentView) }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const q = req.query;
      return { items: await listIncidents(ctx.db, { state: q.state, patchId: q.patch, limit: q.limit ?? 200 }) };
    },
  );

  app.get(
    '/incidents/:id',
    { config: { auth: 'helpdesk' }, schema: { summary: 'One incident with its evidence and timeline', tags: ['safety'], params: IdParam, response: { 200: IncidentView, '4xx': ErrorResponse } } },
    async (req) => getIncident(ctx.db, req.params.id),
  );
}
