/** What `GET /api/v1/rollouts/:id` and `rollout status` show. */
import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { Db } from '../db/index';
import { hosts, ROLLOUT_STATES, rolloutApprovals, rolloutHosts, rolloutRings, rollouts, type RolloutContent, type RolloutState } from '../db/schema/index';
import { resultRows } from '../catalog/rows/sync-rows';

/** The states a rollout can be in (the API's enum). */
export { ROLLOUT_STATES } from '../db/schema/index';
import { hostClassSql } from '../safety/host-class';
import { incidentsOfRollout } from '../safety/incidents';

/**
 * A ring's health gate: not-started (waiting, scheduled), watching
 * (installing, soaking: cohorts judged every round), passed, stopped
 * (halted, cancelled); the classes of its hosts whose gate tripped in this
 * rollout (blocked, rolled back by policy; see the incidents).
 */
export interface RingGateView {
  state: 'not-started' | 'watching' | 'passed' | 'stopped';
  trippedClasses: string[];
}

/** An incident of this rollout, in short. */
export interface RolloutIncidentView {
  id: string;
  gate: string;
  hostClass: string | null;
  scope: string;
  state: string;
  summary: string;
  openedAt: string;
}

export interface RolloutRingView {
  ring: string;
  ringId: string;
  position: number;
  state: string;
  note: string | null;
  eligibleAt: string;
  deadlineAt: string;
  soakUntil: string | null;
  wave: number;
  approvals: { needed: number; by: string[] };
  hosts: Record<string, number>;
  deadlineMissed: number;
  gate: RingGateView;
}

export interface RolloutView {
  id: string;
  name: string;
  content: RolloutContent;
  state: RolloutState;
  stateReason: string | null;
  expedite: boolean;
  releasedAt: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  hosts: Record<string, number>;
  rings: RolloutRingView[];
  incidents: RolloutIncidentView[];
}

export interface RolloutHostView {
  hostId: string;
  /** The host's name, so people see which machine it is (read from `hosts`). */
  hostname: string;
  ring: string;
  state: string;
  wave: number | null;
  attempts: number;
  commandId: string | null;
  packages: { name: string; version: string }[];
  kb: string | null;
  replaced: { name: string; from: string | null; to: string | null }[] | null;
  rebootRequired: boolean;
  errorCode: string | null;
  deadlineMissedAt: string | null;
  /** When the install succeeded (rollout clock). */
  installedAt: string | null;
  /** none | expected | back | failed: the reboot check after the install. */
  bootState: string;
  rebootDueBy: string | null;
}

/** The newest rollouts (those carrying catalog patch `patch`, when given) with host counts by state. */
export async function listRollouts(db: Db, limit = 50, patch?: string): Promise<Omit<RolloutView, 'rings' | 'incidents'>[]> {
  const rows = await db
    .select()
    .from(rollouts)
    .where(patch === undefined ? undefined : sql`(${rollouts.content} -> 'patches') @> jsonb_build_array(${patch}::text)`)
    .orderBy(desc(rollouts.createdAt))
    .limit(limit);
  const counts = await hostCounts(db, undefined);
  return rows.map((r) => ({ ...base(r), hosts: counts.get(r.id) ?? {} }));
}

export async function getRollout(db: Db, id: string): Promise<RolloutView> {
  const [row] = await db.select().from(rollouts).where(eq(rollouts.id, id)).limit(1);
  if (!row) throw new PfError(Errors.NOT_FOUND, `rollout ${id} not found`);
  const ringRows = await db.select().from(rolloutRings).where(eq(rolloutRings.rolloutId, id)).orderBy(rolloutRings.position);
  const approvals = await db.select().from(rolloutApprovals).where(eq(rolloutApprovals.rolloutId, id));
  const perRing = await db
    .select({ ringId: rolloutHosts.ringId, state: rolloutHosts.state, n: sql<number>`count(*)::int` })
    .from(rolloutHosts)
    .where(eq(rolloutHosts.rolloutId, id))
    .groupBy(rolloutHosts.ringId, rolloutHosts.state);
  const missed = await db
    .select({ ringId: rolloutHosts.ringId, n: sql<number>`count(*)::int` })
    .from(rolloutHosts)
    .where(and(eq(rolloutHosts.rolloutId, id), isNotNull(rolloutHosts.deadlineMissedAt)))
    .groupBy(rolloutHosts.ringId);
  const incidents = await incidentsOfRollout(db, id);
  const classesByRing = new Map<string, Set<string>>();
  if (incidents.length > 0) {
    const rows = resultRows<{ ring_id: string; cls: string }>(
      await db.execute(sql`select distinct rh.ring_id, ${hostClassSql('h')} as cls from rollout_hosts rh join hosts h on h.id = rh.host_id where rh.rollout_id = ${id}`),
    );
    for (const r of rows) classesByRing.set(r.ring_id, (classesByRing.get(r.ring_id) ?? new Set()).add(r.cls));
  }
  const gateState = (state: string): RingGateView['state'] =>
    state === 'installing' || state === 'soaking' ? 'watching' : state === 'passed' ? 'passed' : state === 'halted' || state === 'cancelled' ? 'stopped' : 'not-started';
  const total: Record<string, number> = {};
  const rings = ringRows.map((r): RolloutRingView => {
    const hosts: Record<string, number> = {};
    for (const c of perRing.filter((p) => p.ringId === r.ringId)) {
      hosts[c.state] = Number(c.n);
      total[c.state] = (total[c.state] ?? 0) + Number(c.n);
    }
    return {
      ring: r.ringName,
      ringId: r.ringId,
      position: r.position,
      state: r.state,
      note: r.note,
      eligibleAt: r.eligibleAt.toISOString(),
      deadlineAt: r.deadlineAt.toISOString(),
      soakUntil: r.soakUntil?.toISOString() ?? null,
      wave: r.wave,
      approvals: { needed: r.approvalsNeeded, by: approvals.filter((a) => a.ringId === r.ringId).map((a) => a.approverName) },
      hosts,
      deadlineMissed: Number(missed.find((m) => m.ringId === r.ringId)?.n ?? 0),
      gate: {
        state: gateState(r.state),
        trippedClasses: [...new Set(incidents.filter((i) => i.hostClass !== null && classesByRing.get(r.ringId)?.has(i.hostClass)).map((i) => i.hostClass as string))].sort(),
      },
    };
  });
  return {
    ...base(row),
    hosts: total,
    rings,
    incidents: incidents.map((i) => ({ id: i.id, gate: i.gate, hostClass: i.hostClass, scope: i.scope, state: i.state, summary: i.summary, openedAt: i.openedAt })),
  };
}

export async function getRolloutHosts(db: Db, id: string): Promise<RolloutHostView[]> {
  const ringNames = new Map((await db.select({ ringId: rolloutRings.ringId, name: rolloutRings.ringName }).from(rolloutRings).where(eq(rolloutRings.rolloutId, id))).map((r) => [r.ringId, r.name]));
  const rows = await db
    .select({ h: rolloutHosts, hostname: hosts.hostname })
    .from(rolloutHosts)
    .innerJoin(hosts, eq(hosts.id, rolloutHosts.hostId))
    .where(eq(rolloutHosts.rolloutId, id))
    .orderBy(rolloutHosts.hostId);
  return rows.map(({ h, hostname }) => ({
    hostId: h.hostId,
    hostname,
    ring: ringNames.get(h.ringId) ?? h.ringId,
    state: h.state,
    wave: h.wave,
    attempts: h.attempts,
    commandId: h.commandId,
    packages: h.packages,
    kb: h.kb,
    replaced: h.replaced,
    rebootRequired: h.rebootRequired,
    errorCode: h.errorCode,
    deadlineMissedAt: h.deadlineMissedAt?.toISOString() ?? null,
    installedAt: h.installedAt?.toISOString() ?? null,
    bootState: h.bootState,
    rebootDueBy: h.rebootDueBy?.toISOString() ?? null,
  }));
}

function base(r: typeof rollouts.$inferSelect): Omit<RolloutView, 'rings' | 'hosts' | 'incidents'> {
  return {
    id: r.id,
    name: r.name,
    content: r.content,
    state: r.state,
    stateReason: r.stateReason,
    expedite: r.expedite,
    releasedAt: r.releasedAt.toISOString(),
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

async function hostCounts(db: Db, id: string | undefined): Promise<Map<string, Record<string, number>>> {
  const rows = await db
    .select({ rolloutId: rolloutHosts.rolloutId, state: rolloutHosts.state, n: sql<number>`count(*)::int` })
    .from(rolloutHosts)
    .where(id ? eq(rolloutHosts.rolloutId, id) : undefined)
    .groupBy(rolloutHosts.rolloutId, rolloutHosts.state);
  const out = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const m = out.get(r.rolloutId) ?? {};
    m[r.state] = Number(r.n);
    out.set(r.rolloutId, m);
  }
  return out;
}

/** How many rollouts the database holds in each state, every state present (for `/metrics`). */
export async function countRolloutsByState(db: Db): Promise<Record<RolloutState, number>> {
  const rows = await db.select({ state: rollouts.state, n: sql<number>`count(*)::int` }).from(rollouts).groupBy(rollouts.state);
  const out = Object.fromEntries(ROLLOUT_STATES.map((s) => [s, 0])) as Record<RolloutState, number>;
  for (const r of rows) out[r.state] = Number(r.n);
  return out;
}
