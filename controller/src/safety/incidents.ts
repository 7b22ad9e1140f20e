/**
 * Incidents: what a tripped gate found (summary in words, the cohort's
 * numbers and statistics as evidence), which hosts it harmed and which were
 * rolled back, and a timeline (tripped, blocked, rollback ordered, each host
 * rolled back, lift requested, block lifted). Resolved when every block it
 * opened is lifted. Owns `incidents`.
 */
import { randomBytes } from 'node:crypto';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { Db, Tx } from '../db/index';
import { incidents, patchBlocks, type IncidentEvent } from '../db/schema/index';
import type { SignalVerdict } from './gate-types';
import { describeClass } from './host-class';

type IncidentRow = typeof incidents.$inferSelect;

/** An incident as the API shows it. */
export interface IncidentView {
  id: string;
  patchId: string;
  rolloutId: string | null;
  hostClass: string | null;
  scope: string;
  gate: string;
  state: 'open' | 'resolved';
  summary: string;
  evidence: Record<string, unknown>;
  rollbackPolicy: 'harmed' | 'cohort' | 'none';
  harmedHosts: string[];
  rolledBackHosts: string[];
  timeline: IncidentEvent[];
  openedAt: string;
  resolvedAt: string | null;
}

function view(r: IncidentRow): IncidentView {
  return {
    id: r.id,
    patchId: r.patchId,
    rolloutId: r.rolloutId,
    hostClass: r.hostClass,
    scope: describeClass(r.hostClass),
    gate: r.gate,
    state: r.state,
    summary: r.summary,
    evidence: r.evidence,
    rollbackPolicy: r.rollbackPolicy,
    harmedHosts: r.harmedHosts,
    rolledBackHosts: r.rolledBackHosts,
    timeline: r.timeline,
    openedAt: r.openedAt.toISOString(),
    resolvedAt: r.resolvedAt?.toISOString() ?? null,
  };
}

export interface NewIncident {
  patchId: string;
  rolloutId: string;
  hostClass: string;
  gate: string;
  summary: string;
  evidence: Record<string, unknown>;
  rollbackPolicy: 'harmed' | 'cohort' | 'none';
  harmedHosts: string[];
  timeline: IncidentEvent[];
}

export async function openIncident(tx: Tx, input: NewIncident, at: Date): Promise<string> {
  const id = `in_${randomBytes(8).toString('hex')}`;
  await tx.insert(incidents).values({ id, ...input, state: 'open', openedAt: at });
  return id;
}

/** Appends lines to an incident's timeline (one statement). */
export async function appendTimeline(tx: Tx, id: string, events: readonly IncidentEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx
    .update(incidents)
    .set({ timeline: sql`${incidents.timeline} || ${JSON.stringify(events)}::jsonb` })
    .where(eq(incidents.id, id));
}

/** Records hosts whose rollback finished (rolled back or failed) on the incident and its timeline. */
export async function recordRollbacks(tx: Tx, id: string, done: readonly { hostId: string; state: string }[], at: Date): Promise<void> {
  if (done.length === 0) return;
  const rolledBack = done.filter((d) => d.state === 'rolled-back').map((d) => d.hostId);
  if (rolledBack.length > 0) {
    await tx
      .update(incidents)
      .set({ rolledBackHosts: sql`${incidents.rolledBackHosts} || array[${sql.join(rolledBack.map((h) => sql`${h}`), sql`, `)}]::text[]` })
      .where(eq(incidents.id, id));
  }
  await appendTimeline(
    tx,
    id,
    done.map((d) => ({ at: at.toISOString(), event: d.state === 'rolled-back' ? 'host rolled back' : 'host rollback failed', details: { hostId: d.hostId } })),
  );
}

/** Resolves the incident once none of its blocks is active. */
export async function resolveIfUnblocked(tx: Tx, id: string, at: Date): Promise<void> {
  const [left] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(patchBlocks)
    .where(and(eq(patchBlocks.incidentId, id), eq(patchBlocks.state, 'active')));
  if (Number(left?.n ?? 0) > 0) return;
  const [row] = await tx.update(incidents).set({ state: 'resolved', resolvedAt: at }).where(and(eq(incidents.id, id), eq(incidents.state, 'open'))).returning({ id: incidents.id });
  if (row) await appendTimeline(tx, id, [{ at: at.toISOString(), event: 'resolved', details: { reason: 'every block of this incident was lifted' } }]);
}

/** The gate verdicts recorded with each of these incidents (id -> verdicts; see actions.ts). */
export async function incidentVerdicts(db: Db | Tx, ids: readonly string[]): Promise<Map<string, readonly SignalVerdict[]>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: incidents.id, evidence: incidents.evidence }).from(incidents).where(inArray(incidents.id, [...ids]));
  return new Map(rows.map((r) => [r.id, Array.isArray(r.evidence['verdicts']) ? (r.evidence['verdicts'] as SignalVerdict[]) : []]));
}

/** Open incidents of a rollout. */
export async function openIncidentsOf(db: Db | Tx, rolloutId: string): Promise<IncidentRow[]> {
  return db
    .select()
    .from(incidents)
    .where(and(eq(incidents.rolloutId, rolloutId), eq(incidents.state, 'open')));
}

/** Every incident of a rollout (views). */
export async function incidentsOfRollout(db: Db | Tx, rolloutId: string): Promise<IncidentView[]> {
  return (await db.select().from(incidents).where(eq(incidents.rolloutId, rolloutId)).orderBy(incidents.openedAt)).map(view);
}

export async function listIncidents(db: Db | Tx, filter: { state?: 'open' | 'resolved' | undefined; patchId?: string | undefined; limit?: number } = {}): Promise<IncidentView[]> {
  const rows = await db
    .select()
    .from(incidents)
    .where(and(filter.state ? eq(incidents.state, filter.state) : undefined, filter.patchId ? eq(incidents.patchId, filter.patchId) : undefined))
    .orderBy(desc(incidents.openedAt), incidents.id)
    .limit(filter.limit ?? 200);
  return rows.map(view);
}

export async function getIncident(db: Db | Tx, id: string): Promise<IncidentView> {
  const [row] = await db.select().from(incidents).where(eq(incidents.id, id)).limit(1);
  if (!row) throw new PfError(Errors.NOT_FOUND, `incident ${id} not found`);
  return view(row);
}
