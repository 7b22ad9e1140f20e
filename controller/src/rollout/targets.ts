/**
 * Which hosts a rollout touches and what each gets: for explicit package
 * versions, every dpkg host holding an older version of a named package;
 * for catalog patches, every host the assessment lists as missing them
 * (the exact fixed versions per host for USNs, the KB for Windows).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { compareDebVersions } from '@patchfleet/shared/debversion';
import type { PackageVersion } from '@patchfleet/shared/protocol';
import type { Db, Tx } from '../db/index';
import { catalogUsns, hostPatchState, hosts, installedPackages } from '../db/schema/index';
import { TIERS, type Tier } from '../scoring/sla';

/** One host's share of a rollout. */
export interface HostTarget {
  hostId: string;
  packages: PackageVersion[];
  kb: string | null;
  /** Most urgent priority tier among the missing patches the host gets (null: explicit package versions, no catalog priority). */
  tier: Tier | null;
  /** Earliest deadline among those patches (null as for `tier`). */
  dueBy: Date | null;
}

/** Hosts with an older dpkg version of any named package; each gets the named versions of the packages it has. */
export async function packageTargets(db: Db | Tx, wanted: readonly PackageVersion[]): Promise<HostTarget[]> {
  if (wanted.length === 0) return [];
  const rows = await db
    .select({ hostId: installedPackages.hostId, name: installedPackages.name, version: installedPackages.version })
    .from(installedPackages)
    .innerJoin(hosts, eq(hosts.id, installedPackages.hostId))
    .where(and(eq(installedPackages.manager, 'dpkg'), inArray(installedPackages.name, wanted.map((w) => w.name)), eq(hosts.status, 'active')));
  const want = new Map(wanted.map((w) => [w.name, w.version]));
  const byHost = new Map<string, PackageVersion[]>();
  for (const r of rows) {
    const target = want.get(r.name);
    if (target === undefined || compareDebVersions(r.version, target) >= 0) continue;
    const list = byHost.get(r.hostId) ?? [];
    if (!list.some((p) => p.name === r.name)) list.push({ name: r.name, version: target });
    byHost.set(r.hostId, list);
  }
  return [...byHost].sort(([a], [b]) => a.localeCompare(b)).map(([hostId, packages]) => ({ hostId, packages, kb: null, tier: null, dueBy: null }));
}

/**
 * Hosts missing any of the catalog patches. A Ubuntu host gets the fixed
 * version of every package the missing USNs name for it (the highest when
 * several USNs fix one package); a Windows host gets one KB (the newest of a
 * set: cumulative updates include the older ones).
 */
export async function patchTargets(db: Db | Tx, patchIds: readonly string[]): Promise<HostTarget[]> {
  if (patchIds.length === 0) return [];
  const rows = await db
    .select({
      hostId: hostPatchState.hostId,
      patchId: hostPatchState.patchId,
      kind: hostPatchState.kind,
      packages: hostPatchState.packages,
      requires: hostPatchState.requires,
      tier: hostPatchState.tier,
      dueBy: hostPatchState.dueBy,
    })
    .from(hostPatchState)
    .innerJoin(hosts, eq(hosts.id, hostPatchState.hostId))
    .where(and(inArray(hostPatchState.patchId, [...patchIds]), eq(hostPatchState.status, 'missing'), eq(hosts.status, 'active')));
  const byHost = new Map<string, HostTarget>();
  for (const r of rows) {
    // A fix that needs Ubuntu Pro cannot be fetched by a host without it.
    if (r.requires) continue;
    const t = byHost.get(r.hostId) ?? { hostId: r.hostId, packages: [], kb: null, tier: null, dueBy: null };
    t.tier = moreUrgent(t.tier, r.tier);
    if (r.dueBy && (t.dueBy === null || r.dueBy < t.dueBy)) t.dueBy = r.dueBy;
    if (r.kind === 'kb') {
      // By number: KB890830 is older than KB5072033 although it sorts after it as text.
      if (t.kb === null || kbNumber(r.patchId) > kbNumber(t.kb)) t.kb = r.patchId;
    } else {
      for (const p of r.packages) {
        const existing = t.packages.find((x) => x.name === p.name);
        if (!existing) t.packages.push({ name: p.name, version: p.fixed });
        else if (compareDebVersions(p.fixed, existing.version) > 0) existing.version = p.fixed;
      }
    }
    byHost.set(r.hostId, t);
  }
  return [...byHost.values()].filter((t) => t.kb !== null || t.packages.length > 0).sort((a, b) => a.hostId.localeCompare(b.hostId));
}

const kbNumber = (kb: string): number => Number(kb.replace(/^KB/i, ''));

/** The more urgent of two tiers (null: none known). */
export function moreUrgent(a: Tier | null, b: Tier | null): Tier | null {
  if (a === null) return b;
  if (b === null) return a;
  return TIERS.indexOf(a) <= TIERS.indexOf(b) ? a : b;
}

/** Earliest publication date among the USNs named (KBs carry no exact date in the catalog): the day deferrals count from. */
export async function patchReleaseDate(db: Db | Tx, patchIds: readonly string[]): Promise<Date | undefined> {
  const usnIds = patchIds.filter((p) => p.startsWith('USN-'));
  if (usnIds.length === 0) return undefined;
  const [row] = await db.select({ first: sql<string | null>`min(${catalogUsns.published})` }).from(catalogUsns).where(inArray(catalogUsns.id, usnIds));
  return row?.first ? new Date(row.first) : undefined;
}
