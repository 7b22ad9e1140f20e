/** `GET /api/v1/kpis`: the fleet KPIs of the dashboard's overview, each against the previous period (kpis/). */
import { Type } from '@sinclair/typebox';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { KpiSnapshots } from '../../kpis/kpi-snapshots';
import { DEFAULT_KPI_DAYS, MAX_KPI_DAYS, type Interval } from '../../kpis/period';
import { ErrorResponse } from '../schemas';

const Rate = Type.Union([Type.Number(), Type.Null()]);
const trend = <T extends ReturnType<typeof Type.Object>>(t: T) => Type.Object({ current: t, previous: t });
const Mttp = trend(Type.Object({ meanDays: Rate, installs: Type.Integer() }));
const Period = Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) });

const KpiResponse = Type.Object({
  at: Type.String({
    format: 'date-time',
    description: 'the instant the figures are for: the start of the current clock minute by the controller clock, or of the previous one while the current is computed (figures are computed once a minute per `days` and shared by that minute\'s requests)',
  }),
  days: Type.Integer(),
  period: Period,
  previousPeriod: Period,
  mttp: Type.Object(
    { critical: Mttp, high: Mttp, medium: Mttp, low: Mttp, all: Mttp },
    { description: 'mean days from release (or the host enrollment, if later) to install, over the installs of the period, by the tier the host was taken into the rollout with' },
  ),
  withinSla: trend(Type.Object({ share: Rate, within: Type.Integer(), hosts: Type.Integer() }, { description: 'assessed active hosts with no missing patch past its deadline, at the end of each period' })),
  exposure: trend(Type.Object({ hostDays: Type.Number() }, { description: 'days critical/high patches were missing, summed over hosts, accrued within each period' })),
  installs: trend(
    Type.Object({ successRate: Rate, succeeded: Type.Integer(), failed: Type.Integer(), rollbackRate: Rate, rolledBack: Type.Integer() }, { description: 'rollout install outcomes of each period' }),
  ),
  stops: trend(Type.Object({ halts: Type.Integer(), blocks: Type.Integer(), fleetWideBlocks: Type.Integer() }, { description: 'rollouts halted and patch blocks created in each period' })),
  staleHosts: trend(Type.Object({ count: Type.Integer(), hosts: Type.Integer() }, { description: 'active hosts not seen for 7 days, at the end of each period' })),
});

const iso = (i: Interval) => ({ from: i.from.toISOString(), to: i.to.toISOString() });

export function kpiRoutes(app: ApiInstance, ctx: ControllerContext): void {
  const snapshots = new KpiSnapshots(ctx.db, ctx.clock, (err) => ctx.log.warn({ err }, 'fleet KPI snapshot failed'));
  app.addHook('onClose', async () => snapshots.stop());
  app.get(
    '/kpis',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: 'Fleet KPIs over the last `days` days, each with the same figure for the days before (definitions in the README)',
        tags: ['kpis'],
        querystring: Type.Object(
          { days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_KPI_DAYS, default: DEFAULT_KPI_DAYS, description: 'length of the period in days' })) },
          { additionalProperties: false },
        ),
        response: { 200: KpiResponse, '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { days = DEFAULT_KPI_DAYS } = req.query;
      const k = await snapshots.get(days);
      return { ...k, at: k.at.toISOString(), period: iso(k.period), previousPeriod: iso(k.previousPeriod) };
    },
  );
}
