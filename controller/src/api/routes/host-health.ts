/** `GET /api/v1/hosts/:id/health`: one host's health series, events, boot ids and unavailable sources. */
import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { getHostHealth, MAX_SERIES_ROWS } from '../../health/host-health';
import { ErrorResponse } from '../schemas';

const DAY_MS = 86_400_000;
/** Longest range one request may ask for. */
export const MAX_HEALTH_RANGE_DAYS = 400;

const Count = Type.Union([Type.Integer(), Type.Null()]);
const Point = Type.Object({
  start: Type.String({ format: 'date-time' }),
  end: Type.String({ format: 'date-time' }),
  samples: Type.Integer(),
  coveredSec: Type.Integer(),
  appCrashes: Count,
  kernelCrashes: Count,
  serviceFailures: Count,
  unexpectedShutdowns: Count,
  probeFailures: Count,
  probeRuns: Count,
  bootIds: Type.Array(Type.String()),
  uptimeSec: Type.Optional(Count),
  unavailable: Type.Optional(Type.Array(Type.String())),
});
const View = Type.Object({
  host: Type.Object({ id: Type.String(), hostname: Type.String(), bootId: Type.Union([Type.String(), Type.Null()]), bootSeenAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) }),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  resolution: Type.String(),
  series: Type.Array(Point),
  truncated: Type.Boolean(),
  events: Type.Array(Type.Object({ kind: Type.String(), at: Type.String({ format: 'date-time' }), subject: Type.String(), message: Type.Optional(Type.String()) })),
  bootIds: Type.Array(Type.String()),
  unavailable: Type.Array(Type.String()),
  totals: Type.Object({
    samples: Type.Integer(),
    coveredSec: Type.Integer(),
    appCrashes: Type.Integer(),
    kernelCrashes: Type.Integer(),
    serviceFailures: Type.Integer(),
    unexpectedShutdowns: Type.Integer(),
    probeFailures: Type.Integer(),
    probeRuns: Type.Integer(),
  }),
});

export function hostHealthRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.get(
    '/hosts/:id/health',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: `A host's health: samples (raw) or hourly roll-ups (hour) over [from, to), the events they listed, boot ids and unavailable sources; at most ${MAX_SERIES_ROWS} points (the newest)`,
        tags: ['hosts', 'health'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object(
          {
            from: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'default: 24 hours before `to`' })),
            to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'default: now' })),
            resolution: Type.Optional(Type.Union([Type.Literal('raw'), Type.Literal('hour')], { description: 'default: raw' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: View, '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params;
      const q = req.query;
      const to = q.to ? new Date(q.to) : new Date(ctx.clock.now());
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - DAY_MS);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new PfError(Errors.VALIDATION, 'from and to must be ISO 8601 times');
      if (!(from.getTime() < to.getTime())) throw new PfError(Errors.VALIDATION, 'from must be before to');
      if (to.getTime() - from.getTime() > MAX_HEALTH_RANGE_DAYS * DAY_MS) throw new PfError(Errors.VALIDATION, `the range may span at most ${MAX_HEALTH_RANGE_DAYS} days`);
      const view = await getHostHealth(ctx.db, id, { from, to, resolution: q.resolution ?? 'raw' });
      if (!view) throw new PfError(Errors.NOT_FOUND, `host ${id} not found`);
      return view;
    },
  );
}
