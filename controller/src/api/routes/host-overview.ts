/** `GET /api/v1/hosts/:id/overview`: what a help-desk host page shows, in one call (hosts/overview.ts). */
import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { hostOverview } from '../../hosts/overview';
import { onlineStaleMs } from '../../hosts/queries';
import { HostMitigation, HostSession, HostSummary, PatchDecision } from '../host-schemas';
import { ErrorResponse } from '../schemas';

const Str = Type.String();
const NullStr = Type.Union([Type.String(), Type.Null()]);
const When = Type.String({ format: 'date-time' });
const NullWhen = Type.Union([When, Type.Null()]);

const Host = Type.Object({ ...HostSummary.properties, fqdn: NullStr, sessions: Type.Array(HostSession) });
const Missing = Type.Object({
  id: Str,
  kind: Str,
  title: Str,
  cveCount: Type.Integer(),
  requires: NullStr,
  priority: Type.Object({ score: Type.Union([Type.Integer(), Type.Null()]), tier: NullStr, dueBy: NullWhen, reasons: Type.Array(Str) }),
  overdue: Type.Boolean(),
  mitigation: Type.Union([HostMitigation, Type.Null()]),
  decision: Type.Union([PatchDecision, Type.Null()], { description: "the patch's reliability score and decision; null: not scored" }),
});
const RolloutEntry = Type.Object({
  rolloutId: Str,
  rolloutName: Str,
  rolloutState: Str,
  ringId: Str,
  ringName: NullStr,
  patches: Type.Array(Str),
  packages: Type.Array(Type.Object({ name: Str, version: Str })),
  kb: NullStr,
  state: Str,
  since: When,
  installedAt: NullWhen,
  errorCode: NullStr,
  tier: NullStr,
  dueBy: NullWhen,
  bootState: Str,
  rebootDueBy: NullWhen,
  deadlineMissedAt: NullWhen,
  rolloutCreatedAt: When,
  installCommandId: NullStr,
  commandId: NullStr,
});
const Command = Type.Object({ id: Str, action: Str, target: Str, state: Str, issuedAt: When, finishedAt: NullWhen, rolloutId: NullStr, errorCode: NullStr, errorMessage: NullStr, createdBy: Str });
const Event = Type.Object({
  at: When,
  source: Type.Union([Type.Literal('rollout'), Type.Literal('command'), Type.Literal('audit')]),
  event: Str,
  summary: Str,
  rolloutId: Type.Optional(Str),
  commandId: Type.Optional(Str),
  actor: Type.Optional(Str),
});
const Count = Type.Integer();
const Overview = Type.Object({
  host: Host,
  ring: Type.Union([Type.Object({ id: Str, name: Str, reason: Str, assignedAt: When }), Type.Null()]),
  patches: Type.Object({
    assessedAt: NullWhen,
    coverage: Type.Union([Type.Object({ covered: Type.Boolean(), source: NullStr, reason: NullStr }), Type.Null()]),
    missing: Type.Array(Missing),
    mitigated: Type.Array(Missing),
    installed: Type.Array(Str),
    inProgress: Type.Array(RolloutEntry),
    failed: Type.Array(RolloutEntry),
    rolledBack: Type.Array(RolloutEntry),
    blocked: Type.Array(RolloutEntry),
    pendingReboot: Type.Object({ reported: Type.Union([Type.Object({ required: Type.Boolean(), reasons: Type.Array(Str) }), Type.Null()]), rollouts: Type.Array(RolloutEntry) }),
  }),
  summary: Type.Object({
    missing: Count,
    overdue: Count,
    mitigated: Count,
    installed: Count,
    inProgress: Count,
    failed: Count,
    rolledBack: Count,
    blocked: Count,
    pendingReboot: Count,
    rebootReported: Type.Boolean(),
    byTier: Type.Object({ critical: Count, high: Count, medium: Count, low: Count }),
  }),
  commands: Type.Array(Command),
  timeline: Type.Array(Event),
});

export function hostOverviewRoutes(app: ApiInstance, ctx: ControllerContext): void {
  const staleMs = onlineStaleMs(ctx.config.heartbeatSec);
  app.get(
    '/hosts/:id/overview',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: "A host page in one call: the host, its ring, its patch state grouped, recent commands and a timeline of changes",
        tags: ['hosts'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: Overview, '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params;
      const overview = await hostOverview(ctx.db, id, { now: new Date(ctx.clock.now()), staleMs });
      if (!overview) throw new PfError(Errors.NOT_FOUND, `host ${id} not found`);
      return overview;
    },
  );
}
