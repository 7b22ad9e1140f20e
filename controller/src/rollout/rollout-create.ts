/** Starting a rollout: who gets what, in which ring, from when. */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { compareDebVersions } from '@patchfleet/shared/debversion';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { PackageVersion } from '@patchfleet/shared/protocol';
import { audit } from '../audit/audit';
import type { Tx } from '../db/index';
import { ringAssignments, rolloutHosts, rolloutRings, rollouts } from '../db/schema/index';
import { listRings, runAssignment, type RingView } from './ring-store';
import { moreUrgent, packageTargets, patchReleaseDate, patchTargets, type HostTarget } from './targets';
import { expediteReasons } from './expedite-rule';
import { activeBlocks, blockPendingHosts } from '../safety/blocks';
import { cohortPatchIds } from '../safety/cohorts';
import type { AgentUpdateContent } from '../db/schema/rollouts';
import { agentTargets } from './agent-targets';

const DAY_MS = 86_400_000;

export interface StartRolloutInput {
  name?: string | undefined;
  /** Catalog patch ids (USN-…, KB…). */
  patches: string[];
  /** Explicit package versions (an internal package, a fix not in the catalog). */
  packages: PackageVersion[];
  /** Limit to these rings (names or ids); default every ring. */
  rings?: string[] | undefined;
  expedite: boolean;
  /** Override of the release date deferrals count from (earlier than the catalog's, or now, is expediting). */
  releasedAt?: Date | undefined;
  /** An agent release to roll out instead (found in the releases folder by the caller, see releases/release-store.ts); excludes patches and packages. */
  agentUpdate?: AgentUpdateContent | undefined;
}

/**
 * Approvals a ring needs: none unless its policy asks; then two different
 * admins for a fleet-wide ring (half the fleet or more) or an expedited
 * rollout, one otherwise.
 *
 * Writes `rollouts`, `rollout_rings`, `rollout_hosts` (owned by rollout/).
 */
export function approvalsNeeded(ring: Pick<RingView, 'approvalRequired' | 'percent'>, expedite: boolean): number {
  if (!ring.approvalRequired) return 0;
  return (ring.percent ?? 0) >= 50 || expedite ? 2 : 1;
}

/**
 * Creates the rollout with its rings and hosts in `tx`. Hosts not yet in a
 * ring are assigned first. `now` is the rollout clock (schedules); `realNow`
 * the wall clock (records).
 */
export async function createRollout(tx: Tx, input: StartRolloutInput, opts: { now: number; realNow: number; actor: string; requestId?: string }): Promise<string> {
  const agent = input.agentUpdate;
  if (agent && (input.patches.length > 0 || input.packages.length > 0)) throw new PfError(Errors.VALIDATION, 'an agent-version rollout carries nothing else: start patches and packages in their own rollout');
  if (!agent && input.patches.length === 0 && input.packages.length === 0) throw new PfError(Errors.VALIDATION, 'a rollout needs patches, packages or an agent version');
  const targets: HostTarget[] = agent
    ? await agentTargets(tx, agent.version, agent.files.map((f) => f.platform))
    : [...(await patchTargets(tx, input.patches)), ...(await packageTargets(tx, input.packages))];
  const merged = mergeTargets(targets);
  const what = agent ? `agent ${agent.version} (hosts on ${agent.files.map((f) => f.platform).join(', ')} whose agent reports an older version)` : [...input.patches, ...input.packages.map((p) => `${p.name}=${p.version}`)].join(', ');
  if (merged.length === 0) throw new PfError(Errors.NOTHING_TO_ROLL_OUT, `no active host needs ${what}`);

  const allRings = await listRings(tx);
  const chosen = input.rings?.length ? allRings.filter((r) => input.rings?.includes(r.name) || input.rings?.includes(r.id)) : allRings;
  const unknown = (input.rings ?? []).filter((n) => !allRings.some((r) => r.name === n || r.id === n));
  if (unknown.length > 0) throw new PfError(Errors.VALIDATION, `unknown ring(s): ${unknown.join(', ')}`);

  let assigned = new Map((await tx.select().from(ringAssignments)).map((a) => [a.hostId, a.ringId]));
  if (merged.some((t) => !assigned.has(t.hostId))) {
    await runAssignment(tx, new Date(opts.realNow));
    assigned = new Map((await tx.select().from(ringAssignments)).map((a) => [a.hostId, a.ringId]));
  }
  const chosenIds = new Set(chosen.map((r) => r.id));
  const hostsInScope = merged.filter((t) => chosenIds.has(assigned.get(t.hostId) ?? ''));
  if (hostsInScope.length === 0) throw new PfError(Errors.NOTHING_TO_ROLL_OUT, `no host that needs it is in ring(s) ${chosen.map((r) => r.name).join(', ')}`);

  // Skipping rings or backdating is expediting: it must be asked for (admins only, checked by the route).
  const expedited = await expediteReasons(tx, input, { all: allRings, chosen }, opts.now);
  if (expedited.length > 0 && !input.expedite) {
    throw new PfError(Errors.EXPEDITE_REQUIRED, `this rollout ${expedited.join(' and ')}: that is expediting, which needs an admin and expedite: true`);
  }
  const released = input.releasedAt ?? (await patchReleaseDate(tx, input.patches)) ?? new Date(opts.now);
  const id = `ro_${randomBytes(8).toString('hex')}`;
  const now = new Date(opts.now);
  const real = new Date(opts.realNow);
  await tx.insert(rollouts).values({
    id,
    name: input.name ?? (agent ? `patchfleet-agent ${agent.version}` : [...input.patches, ...input.packages.map((p) => `${p.name}=${p.version}`)].join(' ').slice(0, 200)),
    content: { patches: input.patches, packages: input.packages, ...(agent ? { agentUpdate: agent } : {}) },
    state: 'active',
    expedite: input.expedite,
    releasedAt: released,
    createdBy: opts.actor,
    createdAt: real,
    updatedAt: real,
  });
  await tx.insert(rolloutRings).values(
    chosen.map((r) => {
      // Expedited: no deferral; the deadline still counts from the (earlier) eligible time.
      const eligible = input.expedite ? Math.min(opts.now, released.getTime()) : released.getTime() + r.deferralDays * DAY_MS;
      const deadline = eligible + r.deadlineDays * DAY_MS;
      return {
        rolloutId: id,
        ringId: r.id,
        ringName: r.name,
        position: r.position,
        state: 'waiting' as const,
        stateAt: now,
        eligibleAt: new Date(eligible),
        deadlineAt: new Date(deadline),
        graceEndsAt: new Date(deadline + r.graceDays * DAY_MS),
        approvalsNeeded: approvalsNeeded(r, input.expedite),
      };
    }),
  );
  const hostRows = hostsInScope.map((t) => ({
    rolloutId: id,
    hostId: t.hostId,
    ringId: assigned.get(t.hostId) as string,
    state: 'pending' as const,
    stateAt: now,
    packages: t.packages,
    kb: t.kb,
    tier: t.tier,
    dueBy: t.dueBy,
  }));
  for (let i = 0; i < hostRows.length; i += 1000) await tx.insert(rolloutHosts).values(hostRows.slice(i, i + 1000));
  // Hosts of a class an active block covers for any patch of this content never get it (state 'blocked').
  const patchIds = cohortPatchIds({ patches: input.patches, packages: input.packages, ...(agent ? { agentUpdate: agent } : {}) });
  const blocked = (await activeBlocks(tx, patchIds)).length > 0 ? await blockPendingHosts(tx, id, patchIds, now) : [];
  await audit(tx, real, {
    actor: opts.actor,
    action: 'rollout.start',
    targetType: 'rollout',
    targetId: id,
    details: { patches: input.patches, packages: input.packages, ...(agent ? { agentVersion: agent.version, manifest: agent.manifest } : {}), expedite: input.expedite, releasedAt: released.toISOString(), rings: chosen.map((r) => r.name), hosts: hostRows.length, blockedHosts: blocked.length },
    requestId: opts.requestId,
  });
  if (input.expedite) {
    await audit(tx, real, { actor: opts.actor, action: 'rollout.expedite', targetType: 'rollout', targetId: id, details: { reasons: expedited, rings: chosen.map((r) => r.name), releasedAt: released.toISOString() }, requestId: opts.requestId });
  }
  return id;
}

function mergeTargets(targets: readonly HostTarget[]): HostTarget[] {
  const byHost = new Map<string, HostTarget>();
  for (const t of targets) {
    const m = byHost.get(t.hostId);
    if (!m) byHost.set(t.hostId, { ...t, packages: [...t.packages] });
    else {
      m.tier = moreUrgent(m.tier, t.tier);
      if (t.dueBy && (m.dueBy === null || t.dueBy < m.dueBy)) m.dueBy = t.dueBy;
      for (const p of t.packages) {
        const have = m.packages.find((x) => x.name === p.name);
        // A patch and an explicit version for one package: the higher version fixes both.
        if (!have) m.packages.push({ ...p });
        else if (compareDebVersions(p.version, have.version) > 0) have.version = p.version;
      }
      m.kb ??= t.kb;
    }
  }
  return [...byHost.values()];
}

/** Throws unless the rollout exists; returns its row. */
export async function requireRollout(tx: Tx, id: string): Promise<typeof rollouts.$inferSelect> {
  const [row] = await tx.select().from(rollouts).where(eq(rollouts.id, id)).limit(1);
  if (!row) throw new PfError(Errors.NOT_FOUND, `rollout ${id} not found`);
  return row;
}
