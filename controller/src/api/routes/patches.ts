/**
 * Patch state for people: a host's missing and installed advisories with
 * priority, the catalog's patches with how many hosts miss each, and one
 * patch with the hosts that miss it.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { hostCoverage } from '../../assess/coverage';
import { hostPatchRows, listPatches, patchHosts } from '../../assess/patch-views';
import { catalogPatch } from '../../catalog/patches';
import type { ControllerContext } from '../../context';
import { hostName } from '../../hosts/queries';
import { decisionSummaries, hostMitigations, patchMitigations } from '../../reliability/patch-annotations';
import { ErrorResponse, Paging } from '../schemas';

const PatchId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const HostId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function patchRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  app.get(
    '/api/v1/hosts/:id/patches',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: "A host's missing advisories (with priority and deadline) and installed ones",
        tags: ['patches'],
        params: HostId,
        querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('missing'), Type.Literal('installed'), Type.Literal('all')])) }, { additionalProperties: false }),
        response: { '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { status = 'all' } = req.query as { status?: 'missing' | 'installed' | 'all' };
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
          // An active mitigation stands in for the deadline until it expires; an expired one is overdue.
          const overdue = mitigation?.state === 'mitigation expired' || (mitigation === null && r.dueBy !== null && r.dueBy.getTime() < now);
          return {
            id: r.patchId,
            kind: r.kind,
            title: r.title,
            cves: r.cves,
            ...(r.kind === 'usn' ? { packages: r.packages } : {}),
            ...(r.requires ? { requires: r.requires } : {}),
            priority: { score: r.score, tier: r.tier, dueBy: r.dueBy?.toISOString() ?? null, reasons: r.reasons },
            state: mitigation?.state === 'mitigated, not patched' ? 'mitigated, not patched' : 'missing',
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
        coverage,
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
    '/api/v1/patches',
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
        response: { '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { kind, affected, q, limit = 50, offset = 0 } = req.query as { kind?: string; affected?: boolean; q?: string; limit?: number; offset?: number };
      const list = await listPatches(ctx.db, { kind, affected, q, limit, offset });
      const decisions = await decisionSummaries(ctx.db, list.items.map((i) => String(i.id)), new Date(ctx.clock.now()));
      return { ...list, items: list.items.map((i) => ({ ...i, decision: decisions.get(String(i.id)) ?? null })), limit, offset };
    },
  );

  app.get(
    '/api/v1/patches/:id',
    {
      config: { auth: 'helpdesk' },
      schema: {
        summary: 'One patch: catalog facts and the hosts missing it',
        tags: ['patches'],
        params: PatchId,
        querystring: Type.Object({ ...Paging }, { additionalProperties: false }),
        response: { '4xx': ErrorResponse },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { limit = 50, offset = 0 } = req.query as { limit?: number; offset?: number };
      const patch = await catalogPatch(ctx.db, id);
      if (!patch) throw new PfError(Errors.NOT_FOUND, `patch ${id} is not in the catalog`);
      const now = new Date(ctx.clock.now());
      const page = await patchHosts(ctx.db, id, { limit, offset });
      const [decisions, mitigated] = await Promise.all([decisionSummaries(ctx.db, [id], now), patchMitigations(ctx.db, id, page.hosts.map((h) => h.hostId), now)]);
      return {
        ...patch,
        decision: decisions.get(id) ?? null,
        ...page,
        hosts: page.hosts.map((h) => ({ ...h, state: mitigated.get(h.hostId)?.state === 'mitigated, not patched' ? 'mitigated, not patched' : 'missing', mitigation: mitigated.get(h.hostId) ?? null })),
        limit,
        offset,
      };
    },
  );
}
