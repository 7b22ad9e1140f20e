/**
 * Patch state for people: a host's missing and installed advisories with
 * priority, the catalog's patches with how many hosts miss each, and one
 * patch with the hosts that miss it.
 */
import { Type } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { hostCoverage } from '../../assess/coverage';
import { hostPatchRows, listPatches, patchHosts } from '../../assess/patch-views';
import { catalogPatch } from '../../catalog/patches';
import type { ControllerContext } from '../../context';
import type { ApiInstance } from '../plugin';
import { hostName } from '../../hosts/queries';
import { decisionSummaries, hostMitigations, isOverdue, patchMitigations } from '../../reliability/patch-annotations';
import { HostMitigation, PatchDecision } from '../host-schemas';
import { ErrorResponse, OneOf, Paging } from '../schemas';

const Tier = Type.Union([OneOf(['critical', 'high', 'medium', 'low']), Type.Null()]);
const FixedPackage = Type.Object({ name: Type.String(), installed: Type.String(), fixed: Type.String() });
const Coverage = Type.Object({
  covered: Type.Boolean({ description: 'an imported feed covers the host: an empty missing list means nothing is missing' }),
  source: Type.Union([OneOf(['usn', 'msrc']), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'why not covered, and what to do' }),
});
const MissingPatch = Type.Object({
  id: Type.String(),
  kind: OneOf(['usn', 'kb']),
  title: Type.String(),
  cves: Type.Array(Type.String()),
  packages: Type.Optional(Type.Array(FixedPackage, { description: 'USN: the installed packages it fixes' })),
  requires: Type.Optional(Type.String({ description: 'KB: what must be installed first' })),
  priority: Type.Object({ score: Type.Union([Type.Number(), Type.Null()]), tier: Tier, dueBy: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]), reasons: Type.Array(Type.String()) }),
  state: OneOf(['missing', 'mitigated, not patched']),
  overdue: Type.Boolean(),
  mitigation: Type.Union([HostMitigation, Type.Null()]),
  decision: Type.Union([PatchDecision, Type.Null()]),
});
const HostPatches = Type.Object({
  hostId: Type.String(),
  hostname: Type.String(),
  assessedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  coverage: Type.Union([Coverage, Type.Null()]),
  missing: Type.Array(MissingPatch),
  installed: Type.Array(Type.String(), { description: 'ids of the advisories the host has' }),
  summary: Type.Object({ missing: Type.Integer(), installed: Type.Integer(), overdue: Type.Integer(), mitigated: Type.Integer(), byTier: Type.Record(Type.String(), Type.Integer()) }),
});
const PatchListEntry = Type.Object({
  id: Type.String(),
  kind: OneOf(['usn', 'kb']),
  title: Type.String(),
  released: Type.Union([Type.String(), Type.Null()]),
  cveCount: Type.Integer(),
  affectedHosts: Type.Integer(),
  installedHosts: Type.Integer(),
  maxScore: Type.Union([Type.Number(), Type.Null()]),
  earliestDue: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  decision: Type.Union([PatchDecision, Type.Null()]),
});
const PatchHost = Type.Object({
  hostId: Type.String(),
  hostname: Type.String(),
  score: Type.Union([Type.Number(), Type.Null()]),
  tier: Tier,
  dueBy: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  packages: Type.Array(FixedPackage),
  requires: Type.Union([Type.String(), Type.Null()]),
  state: OneOf(['missing', 'mitigated, not patched']),
  mitigation: Type.Union([HostMitigation, Type.Null()]),
});
const PatchPageCommon = {
  id: Type.String(),
  cves: Type.Array(Type.String()),
  decision: Type.Union([PatchDecision, Type.Null()]),
  affectedHosts: Type.Integer(),
  installedHosts: Type.Integer(),
  hosts: Type.Array(PatchHost),
  limit: Type.Integer(),
  offset: Type.Integer(),
};
const PatchPage = Type.Union([
  Type.Object({ kind: Type.Literal('usn'), title: Type.String(), published: Type.String(), ...PatchPageCommon }),
  Type.Object({
    kind: Type.Literal('kb'),
    title: Type.Union([Type.String(), Type.Null()]),
    month: Type.Union([Type.String(), Type.Null()]),
    supersedes: Type.Array(Type.String()),
    restartRequired: Type.Union([OneOf(['yes', 'no', 'maybe']), Type.Null()]),
    hotpatch: Type.Boolean(),
    ...PatchPageCommon,
  }),
]);

const PatchId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const HostId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function patchRoutes(app: ApiInstance, ctx: ControllerContext): void {
  app.get(
    '/hosts/:id/patches',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: "A host's missing advisories (with priority and deadline) and installed ones",
        tags: ['patches'],
        params: HostId,
        querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('missing'), Type.Literal('installed'), Type.Literal('all')])) }, { additionalProperties: false }),
        response: { 200: HostPatches, '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { status = 'all' } = req.query;
      const host = await hostName(ctx.db, id);
      if (!host) throw new PfError(Errors.NOT_FOUND, `host ${id} not found`);
      const rows = await hostPatchRows(ctx.db, id, status);
      const now = ctx.clock.now();
      const missingIds = rows.filter((r) => r.status === 'missing').map((r) => r.patchId);
      // Every missing patch shows its decision, and whether an accepted mitigation covers this host.
      const [decisions, mitigated] = await Promise.all([decisionSummaries(ctx.db, missingIds, new Date(now)), hostMitigations(ctx.db, host.id, missingIds, new Date(now))]);
      const missing = rows
        .filter((r) => r.status === 'missing')
        .map((r) => {
          const mitigation = mitigated.get(r.patchId) ?? null;
          const overdue = isOverdue(r.dueBy, mitigation, now);
          return {
            id: r.patchId,
            kind: r.kind,
            title: r.title,
            cves: r.cves,
            ...(r.kind === 'usn' ? { packages: r.packages } : {}),
            ...(r.requires ? { requires: r.requires } : {}),
            priority: { score: r.score, tier: r.tier, dueBy: r.dueBy?.toISOString() ?? null, reasons: r.reasons },
            state: mitigation?.state === 'mitigated, not patched' ? ('mitigated, not patched' as const) : ('missing' as const),
            overdue,
            mitigation,
            decision: decisions.get(r.patchId) ?? null,
          };
        });
      const installed = rows.filter((r) => r.status === 'installed').map((r) => r.patchId);
      const assessedAt = rows.reduce<Date | null>((a, r) => (a && a > r.assessedAt ? a : r.assessedAt), null);
      // Empty lists mean "nothing missing" only when a feed covers the host; `coverage` says which it is.
      const coverage = await hostCoverage(ctx.db, host.id);
      return {
        hostId: host.id,
        hostname: host.hostname,
        assessedAt: assessedAt?.toISOString() ?? null,
        coverage: coverage ?? null,
        missing,
        installed,
        summary: {
          missing: missing.length,
          installed: installed.length,
          overdue: missing.filter((m) => m.overdue).length,
          mitigated: missing.filter((m) => m.state === 'mitigated, not patched').length,
          byTier: Object.fromEntries(['critical', 'high', 'medium', 'low'].map((t) => [t, missing.filter((m) => m.priority.tier === t).length])),
        },
      };
    },
  );

  app.get(
    '/patches',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: 'Patches in the catalog with the number of hosts missing and having each',
        tags: ['patches'],
        querystring: Type.Object(
          {
            kind: Type.Optional(Type.Union([Type.Literal('usn'), Type.Literal('kb')])),
            affected: Type.Optional(Type.Boolean({ description: 'only patches some host is missing' })),
            q: Type.Optional(Type.String({ maxLength: 255 })),
            ...Paging,
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(PatchListEntry), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() }), '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { kind, affected, q, limit = 50, offset = 0 } = req.query;
      const list = await listPatches(ctx.db, { kind, affected, q, limit, offset });
      const decisions = await decisionSummaries(ctx.db, list.items.map((i) => String(i.id)), new Date(ctx.clock.now()));
      return { ...list, items: list.items.map((i) => ({ ...i, decision: decisions.get(String(i.id)) ?? null })), limit, offset };
    },
  );

  app.get(
    '/patches/:id',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: 'One patch: catalog facts and the hosts missing it',
        tags: ['patches'],
        params: PatchId,
        querystring: Type.Object({ ...Paging }, { additionalProperties: false }),
        response: { 200: PatchPage, '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { limit = 50, offset = 0 } = req.query;
      const patch = await catalogPatch(ctx.db, id);
      if (!patch) throw new PfError(Errors.NOT_FOUND, `patch ${id} is not in the catalog`);
      const now = new Date(ctx.clock.now());
      const page = await patchHosts(ctx.db, id, { limit, offset });
      const [decisions, mitigated] = await Promise.all([decisionSummaries(ctx.db, [id], now), patchMitigations(ctx.db, id, page.hosts.map((h) => h.hostId), now)]);
      return {
        ...patch,
        decision: decisions.get(id) ?? null,
        ...page,
        hosts: page.hosts.map((h) => ({ ...h, state: mitigated.get(h.hostId)?.state === 'mitigated, not patched' ? ('mitigated, not patched' as const) : ('missing' as const), mitigation: mitigated.get(h.hostId) ?? null })),
        limit,
        offset,
      };
    },
  );
}
