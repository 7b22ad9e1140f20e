/**
 * Read side of host_patch_state for the API: one host's rows, the catalog's
 * patches with how many hosts miss each, and the hosts missing one patch.
 * assess/host-state.ts writes the table.
 */
import { and, asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/index';
import { hostPatchState, hosts } from '../db/schema/index';
import { catalogPatchesRelation } from '../catalog/patches';
import { resultRows } from '../catalog/rows/sync-rows';

export type HostPatchRow = typeof hostPatchState.$inferSelect;

/** A host's stored patch state, highest score first; `status` 'all' for both kinds. */
export async function hostPatchRows(db: Db, hostId: string, status: 'missing' | 'installed' | 'all'): Promise<HostPatchRow[]> {
  return db
    .select()
    .from(hostPatchState)
    .where(and(eq(hostPatchState.hostId, hostId), status === 'all' ? undefined : eq(hostPatchState.status, status)))
    .orderBy(desc(hostPatchState.score), asc(hostPatchState.patchId));
}

export interface PatchListFilter {
  kind?: string | undefined;
  /** Only patches some host is missing. */
  affected?: boolean | undefined;
  /** Substring of id or title, or a CVE id. */
  q?: string | undefined;
  limit: number;
  offset: number;
}

export interface PatchListItem {
  id: string;
  kind: 'usn' | 'kb';
  title: string;
  /** USN: published date; KB: its release month; null when the feed gave none. */
  released: string | null;
  cveCount: number;
  affectedHosts: number;
  installedHosts: number;
  maxScore: number | null;
  earliestDue: string | null;
}

/** Catalog patches with their host counts, most-missed first; `total` counts every match. */
export async function listPatches(db: Db, f: PatchListFilter): Promise<{ items: PatchListItem[]; total: number }> {
  const conds: SQL[] = [];
  if (f.kind) conds.push(sql`p.kind = ${f.kind}`);
  if (f.affected) conds.push(sql`coalesce(s.missing, 0) > 0`);
  if (f.q) conds.push(sql`(p.id ilike ${`%${f.q}%`} or p.title ilike ${`%${f.q}%`} or p.cves ? ${f.q.toUpperCase()})`);
  const where = conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``;
  const stats = sql`(select patch_id,
      count(*) filter (where status = 'missing')::int as missing,
      count(*) filter (where status = 'installed')::int as installed,
      max(score) filter (where status = 'missing') as max_score,
      min(due_by) filter (where status = 'missing') as earliest_due
    from host_patch_state group by patch_id) s`;
  const list = resultRows<Record<string, unknown>>(
    await db.execute(sql`select p.id, p.kind, p.title, p.released, jsonb_array_length(p.cves)::int as cve_count,
      coalesce(s.missing, 0) as missing_hosts, coalesce(s.installed, 0) as installed_hosts, s.max_score, s.earliest_due,
      count(*) over ()::int as total
    from ${catalogPatchesRelation} left join ${stats} on s.patch_id = p.id
    ${where}
    order by coalesce(s.missing, 0) desc, s.max_score desc nulls last, p.released desc nulls last, p.id
    limit ${f.limit} offset ${f.offset}`),
  );
  return {
    items: list.map((r) => ({
      id: String(r.id),
      kind: r.kind === 'kb' ? ('kb' as const) : ('usn' as const),
      title: String(r.title ?? ''),
      released: r.released === null || r.released === undefined ? null : String(r.released),
      cveCount: Number(r.cve_count),
      affectedHosts: Number(r.missing_hosts),
      installedHosts: Number(r.installed_hosts),
      maxScore: r.max_score === null ? null : Number(r.max_score),
      earliestDue: r.earliest_due ? new Date(r.earliest_due as string).toISOString() : null,
    })),
    total: Number(list[0]?.total ?? 0),
  };
}

/** A page of the hosts missing `patchId` (highest score first), and how many hosts miss and have it. */
export async function patchHosts(db: Db, patchId: string, page: { limit: number; offset: number }) {
  const missing = and(eq(hostPatchState.patchId, patchId), eq(hostPatchState.status, 'missing'));
  const [affected, totals, installed] = await Promise.all([
    db
      .select({ hostId: hostPatchState.hostId, hostname: hosts.hostname, score: hostPatchState.score, tier: hostPatchState.tier, dueBy: hostPatchState.dueBy, packages: hostPatchState.packages, requires: hostPatchState.requires })
      .from(hostPatchState)
      .innerJoin(hosts, eq(hosts.id, hostPatchState.hostId))
      .where(missing)
      .orderBy(desc(hostPatchState.score), asc(hosts.hostname))
      .limit(page.limit)
      .offset(page.offset),
    db.select({ n: count() }).from(hostPatchState).where(missing),
    db.select({ n: count() }).from(hostPatchState).where(and(eq(hostPatchState.patchId, patchId), eq(hostPatchState.status, 'installed'))),
  ]);
  return {
    affectedHosts: Number(totals[0]?.n ?? 0),
    installedHosts: Number(installed[0]?.n ?? 0),
    hosts: affected.map((a) => ({ ...a, dueBy: a.dueBy?.toISOString() ?? null })),
  };
}
