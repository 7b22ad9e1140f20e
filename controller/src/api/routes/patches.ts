/**
 * Patch state for people: a host's missing and installed advisories with
 * priority, the catalog's patches with how many hosts miss each, and one
 * patch with the hosts that miss it.
 */
import { Type } from '@sinclair/typebox';
import { and, asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { hostCoverage } from '../../assess/coverage';
import type { ControllerContext } from '../../context';
import { catalogKbs, catalogUsns, hostPatchState, hosts } from '../../db/schema/index';
import { ErrorResponse, Paging } from '../schemas';

const PatchId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const HostId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Catalog patches as one relation: id, kind, title, release date, CVEs. */
const catalogPatches = sql`(
  select id, 'usn' as kind, title, published as released, cves from catalog_usns
  union all
  select id, 'kb' as kind, coalesce(title, id) as title, month as released, cves from catalog_kbs
) p`;

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
      const [host] = await ctx.db.select({ id: hosts.id, hostname: hosts.hostname }).from(hosts).where(eq(hosts.id, id)).limit(1);
      if (!host) throw new PfError(Errors.NOT_FOUND, `host ${id} not found`);
      const rows = await ctx.db
        .select()
        .from(hostPatchState)
        .where(and(eq(hostPatchState.hostId, id), status === 'all' ? undefined : eq(hostPatchState.status, status)))
        .orderBy(desc(hostPatchState.score), asc(hostPatchState.patchId));
      const missing = rows
        .filter((r) => r.status === 'missing')
        .map((r) => ({
          id: r.patchId,
          kind: r.kind,
          title: r.title,
          cves: r.cves,
          ...(r.kind === 'usn' ? { packages: r.packages } : {}),
          ...(r.requires ? { requires: r.requires } : {}),
          priority: { score: r.score, tier: r.tier, dueBy: r.dueBy?.toISOString() ?? null, reasons: r.reasons },
        }));
      const installed = rows.filter((r) => r.status === 'installed').map((r) => r.patchId);
      const assessedAt = rows.reduce<Date | null>((a, r) => (a && a > r.assessedAt ? a : r.assessedAt), null);
      const now = ctx.clock.now();
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
          overdue: missing.filter((m) => m.priority.dueBy && Date.parse(m.priority.dueBy) < now).length,
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
      const conds: SQL[] = [];
      if (kind) conds.push(sql`p.kind = ${kind}`);
      if (affected) conds.push(sql`coalesce(s.missing, 0) > 0`);
      if (q) conds.push(sql`(p.id ilike ${`%${q}%`} or p.title ilike ${`%${q}%`} or p.cves ? ${q.toUpperCase()})`);
      const where = conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``;
      const stats = sql`(select patch_id,
          count(*) filter (where status = 'missing')::int as missing,
          count(*) filter (where status = 'installed')::int as installed,
          max(score) filter (where status = 'missing') as max_score,
          min(due_by) filter (where status = 'missing') as earliest_due
        from host_patch_state group by patch_id) s`;
      const rows = await ctx.db.execute(sql`select p.id, p.kind, p.title, p.released, jsonb_array_length(p.cves)::int as cve_count,
          coalesce(s.missing, 0) as missing_hosts, coalesce(s.installed, 0) as installed_hosts, s.max_score, s.earliest_due,
          count(*) over ()::int as total
        from ${catalogPatches} left join ${stats} on s.patch_id = p.id
        ${where}
        order by coalesce(s.missing, 0) desc, s.max_score desc nulls last, p.released desc nulls last, p.id
        limit ${limit} offset ${offset}`);
      const list = (rows as unknown as { rows?: Record<string, unknown>[] }).rows ?? (rows as unknown as Record<string, unknown>[]);
      return {
        items: list.map((r) => ({
          id: r.id,
          kind: r.kind,
          title: r.title,
          released: r.released,
          cveCount: Number(r.cve_count),
          affectedHosts: Number(r.missing_hosts),
          installedHosts: Number(r.installed_hosts),
          maxScore: r.max_score === null ? null : Number(r.max_score),
          earliestDue: r.earliest_due ? new Date(r.earliest_due as string).toISOString() : null,
        })),
        total: Number(list[0]?.total ?? 0),
        limit,
        offset,
      };
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
      const [usn] = await ctx.db.select({ id: catalogUsns.id, title: catalogUsns.title, published: catalogUsns.published, cves: catalogUsns.cves }).from(catalogUsns).where(eq(catalogUsns.id, id)).limit(1);
      const [kb] = usn ? [] : await ctx.db.select({ id: catalogKbs.id, title: catalogKbs.title, month: catalogKbs.month, cves: catalogKbs.cves, supersedes: catalogKbs.supersedes, restartRequired: catalogKbs.restartRequired, hotpatch: catalogKbs.hotpatch }).from(catalogKbs).where(eq(catalogKbs.id, id)).limit(1);
      if (!usn && !kb) throw new PfError(Errors.NOT_FOUND, `patch ${id} is not in the catalog`);
      const where = and(eq(hostPatchState.patchId, id), eq(hostPatchState.status, 'missing'));
      const [affected, totals, installed] = await Promise.all([
        ctx.db
          .select({ hostId: hostPatchState.hostId, hostname: hosts.hostname, score: hostPatchState.score, tier: hostPatchState.tier, dueBy: hostPatchState.dueBy, packages: hostPatchState.packages, requires: hostPatchState.requires })
          .from(hostPatchState)
          .innerJoin(hosts, eq(hosts.id, hostPatchState.hostId))
          .where(where)
          .orderBy(desc(hostPatchState.score), asc(hosts.hostname))
          .limit(limit)
          .offset(offset),
        ctx.db.select({ n: count() }).from(hostPatchState).where(where),
        ctx.db.select({ n: count() }).from(hostPatchState).where(and(eq(hostPatchState.patchId, id), eq(hostPatchState.status, 'installed'))),
      ]);
      return {
        ...(usn ? { kind: 'usn', ...usn } : { kind: 'kb', ...kb }),
        affectedHosts: Number(totals[0]?.n ?? 0),
        installedHosts: Number(installed[0]?.n ?? 0),
        hosts: affected.map((a) => ({ ...a, dueBy: a.dueBy?.toISOString() ?? null })),
        limit,
        offset,
      };
    },
  );
}
