/**
 * Reading and changing rings, pins and rules, and running the assignment over the fleet.
 *
 * Owns the tables `rings` (ring-defaults.ts seeds it), `ring_pins`,
 * `ring_rules` and `ring_assignments`.
 */
import { randomBytes } from 'node:crypto';
import { asc, eq, sql, type SQL } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { Db, Tx } from '../db/index';
import { DEFAULT_RING_HEALTH, hosts, ringAssignments, ringPins, ringRules, rings, type MaintenanceWindow, type PromotionCriteria, type RebootPolicy, type RingHealthPolicy, type RingRuleMatch } from '../db/schema/index';
import { assignRings, type AssignableHost } from './assign-rings';
import { validateHealth, validatePercents, validateWindows } from './ring-validation';

/** A ring as the API shows it. */
export interface RingView {
  id: string;
  name: string;
  position: number;
  percent: number | null;
  deferralDays: number;
  deadlineDays: number;
  graceDays: number;
  windows: MaintenanceWindow[];
  waveSize: number;
  maxConcurrent: number;
  soakHours: number;
  promotion: PromotionCriteria;
  reboot: RebootPolicy;
  approvalRequired: boolean;
  /** Health gates in this ring: rollback policy after a trip, reboot grace, false-alarm level, post-install watch. */
  health: RingHealthPolicy;
  createdAt: string;
  updatedAt: string;
}

/** Editable ring settings; every field optional on edit (`health` fields too: unset ones keep their value). */
export type RingInput = Partial<Omit<RingView, 'id' | 'createdAt' | 'updatedAt' | 'health'>> & { health?: Partial<RingHealthPolicy> | undefined };

type RingRow = typeof rings.$inferSelect;

function view(r: RingRow): RingView {
  return { ...r, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() };
}

/** All rings in release order. */
export async function listRings(db: Db | Tx): Promise<RingView[]> {
  return (await db.select().from(rings).orderBy(asc(rings.position), asc(rings.name))).map(view);
}

/** One ring by id or (case-sensitive) name. */
export async function findRing(db: Db | Tx, idOrName: string): Promise<RingView | undefined> {
  const [row] = await db.select().from(rings).where(sql`${rings.id} = ${idOrName} or ${rings.name} = ${idOrName}`).limit(1);
  return row ? view(row) : undefined;
}

async function requireRing(db: Db | Tx, idOrName: string): Promise<RingView> {
  const ring = await findRing(db, idOrName);
  if (!ring) throw new PfError(Errors.NOT_FOUND, `ring ${idOrName} not found`);
  return ring;
}

async function checkNameFree(db: Db | Tx, name: string, selfId: string | undefined): Promise<void> {
  const [row] = await db.select({ id: rings.id }).from(rings).where(eq(rings.name, name)).limit(1);
  if (row && row.id !== selfId) throw new PfError(Errors.RING_NAME_TAKEN, `a ring named "${name}" already exists`);
}

/** Creates a ring; unset settings get the defaults of an empty ring. */
export async function createRing(tx: Tx, input: RingInput & { name: string }, now: Date): Promise<RingView> {
  validateWindows(input.windows ?? []);
  const health = validateHealth({ ...DEFAULT_RING_HEALTH, ...input.health });
  await checkNameFree(tx, input.name, undefined);
  const existing = await listRings(tx);
  validatePercents([...existing, { name: input.name, percent: input.percent ?? null }], false);
  const position = input.position ?? existing.reduce((max, r) => Math.max(max, r.position + 1), 0);
  const [row] = await tx
    .insert(rings)
    .values({
      id: `rg_${randomBytes(8).toString('hex')}`,
      ...input,
      health,
      position,
      percent: input.percent ?? null,
      promotion: input.promotion ?? { minHostsDone: 1, maxFailureRate: 0.05 },
      reboot: input.reboot ?? { policy: 'when-required', deadlineHours: 24 },
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!row) throw new PfError(Errors.INTERNAL, 'ring insert returned nothing');
  return view(row);
}

/** Changes the given settings of a ring. */
export async function updateRing(tx: Tx, idOrName: string, input: RingInput, now: Date): Promise<RingView> {
  const ring = await requireRing(tx, idOrName);
  if (input.windows) validateWindows(input.windows);
  if (input.name !== undefined) await checkNameFree(tx, input.name, ring.id);
  if (input.percent !== undefined) {
    const others = (await listRings(tx)).filter((r) => r.id !== ring.id);
    validatePercents([...others, { name: input.name ?? ring.name, percent: input.percent }], false);
  }
  const { health: healthInput, ...rest } = input;
  const health = healthInput ? validateHealth({ ...ring.health, ...healthInput }) : undefined;
  const [row] = await tx
    .update(rings)
    .set({ ...rest, ...(health ? { health } : {}), updatedAt: now })
    .where(eq(rings.id, ring.id))
    .returning();
  if (!row) throw new PfError(Errors.NOT_FOUND, `ring ${idOrName} not found`);
  return view(row);
}

/** Deletes a ring; refused while hosts are pinned to it or rules send hosts to it. */
export async function deleteRing(tx: Tx, idOrName: string): Promise<RingView> {
  const ring = await requireRing(tx, idOrName);
  const [pins] = await tx.select({ n: sql<number>`count(*)::int` }).from(ringPins).where(eq(ringPins.ringId, ring.id));
  const [rules] = await tx.select({ n: sql<number>`count(*)::int` }).from(ringRules).where(eq(ringRules.ringId, ring.id));
  if ((pins?.n ?? 0) > 0 || (rules?.n ?? 0) > 0) {
    throw new PfError(Errors.RING_IN_USE, `ring ${ring.name} has ${pins?.n ?? 0} pinned host(s) and ${rules?.n ?? 0} rule(s); unpin them and change the rules first`);
  }
  await tx.delete(rings).where(eq(rings.id, ring.id));
  return ring;
}

/** Pins a host to a ring (replacing any earlier pin). */
export async function pinHost(tx: Tx, hostId: string, ringIdOrName: string, by: string, now: Date): Promise<RingView> {
  const ring = await requireRing(tx, ringIdOrName);
  const [host] = await tx.select({ id: hosts.id }).from(hosts).where(eq(hosts.id, hostId)).limit(1);
  if (!host) throw new PfError(Errors.NOT_FOUND, `host ${hostId} not found`);
  await tx
    .insert(ringPins)
    .values({ hostId, ringId: ring.id, pinnedAt: now, pinnedBy: by })
    .onConflictDoUpdate({ target: ringPins.hostId, set: { ringId: ring.id, pinnedAt: now, pinnedBy: by } });
  return ring;
}

/** Removes a host's pin; true when there was one. */
export async function unpinHost(tx: Tx, hostId: string): Promise<boolean> {
  return (await tx.delete(ringPins).where(eq(ringPins.hostId, hostId)).returning()).length > 0;
}

/** An assignment rule as the API shows it. */
export interface RingRuleView {
  match: RingRuleMatch;
  ringId: string;
}

/** The rules in the order they are tried. */
export async function listRules(db: Db | Tx): Promise<RingRuleView[]> {
  return (await db.select().from(ringRules).orderBy(asc(ringRules.position))).map((r) => ({ match: r.match, ringId: r.ringId }));
}

/** Replaces all rules; ring references may be ids or names and are stored as ids. */
export async function replaceRules(tx: Tx, rules: readonly RingRuleView[]): Promise<RingRuleView[]> {
  const resolved: RingRuleView[] = [];
  for (const [i, rule] of rules.entries()) {
    const ring = await findRing(tx, rule.ringId);
    if (!ring) throw new PfError(Errors.VALIDATION, `rules[${i}].ringId: ring ${rule.ringId} not found`);
    if (Object.keys(rule.match).length === 0) throw new PfError(Errors.VALIDATION, `rules[${i}].match must name at least one field`);
    resolved.push({ match: rule.match, ringId: ring.id });
  }
  await tx.delete(ringRules);
  if (resolved.length > 0) await tx.insert(ringRules).values(resolved.map((r, i) => ({ id: `rr_${randomBytes(8).toString('hex')}`, position: i, match: r.match, ringId: r.ringId })));
  return resolved;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The part of `hosts.facts` that {@link assignableHost} reads (facts.os.id/version/build, facts.hardware.model), as SQL
 * on a hosts row: queries over many hosts select this rather than the whole facts document (kilobytes a host, read
 * and parsed once per host each planner round otherwise). `table`: the hosts table's name or alias in the query.
 */
export function classFactsSql(table: 'h' | 'hosts'): SQL {
  const f = `"${table}"."facts"`;
  return sql.raw(
    `jsonb_build_object('os', jsonb_build_object('id', ${f} -> 'os' -> 'id', 'version', ${f} -> 'os' -> 'version', 'build', ${f} -> 'os' -> 'build'), 'hardware', jsonb_build_object('model', ${f} -> 'hardware' -> 'model'))`,
  );
}

/** The assignment's view of a stored host: facts.os / facts.hardware first, the indexed columns as fallback. */
export function assignableHost(row: { id: string; osId: string; osVersion: string; hwModel: string; labels: Record<string, string>; facts: Record<string, unknown> | null }): AssignableHost {
  const os = (row.facts?.['os'] ?? {}) as Record<string, unknown>;
  const hardware = (row.facts?.['hardware'] ?? {}) as Record<string, unknown>;
  return {
    id: row.id,
    osId: str(os['id']) ?? row.osId,
    osVersion: str(os['version']) ?? row.osVersion,
    build: str(os['build']),
    model: str(hardware['model']) ?? row.hwModel,
    role: row.labels['role'],
    criticality: row.labels['criticality'],
    labels: row.labels,
  };
}

/** Result of an assignment run: hosts per ring (by ring name) and per reason. */
export interface AssignmentSummary {
  total: number;
  rings: { id: string; name: string; hosts: number }[];
  reasons: { pin: number; rule: number; auto: number };
}

/** Assigns every active host to a ring and stores the result, replacing the previous one, in one transaction. */
export async function runAssignment(tx: Tx, now: Date): Promise<AssignmentSummary> {
  const allRings = await listRings(tx);
  validatePercents(allRings, true);
  const hostRows = await tx
    .select({ id: hosts.id, osId: hosts.osId, osVersion: hosts.osVersion, hwModel: hosts.hwModel, labels: hosts.labels, facts: sql<Record<string, unknown> | null>`${classFactsSql('hosts')}` })
    .from(hosts)
    .where(eq(hosts.status, 'active'));
  const pins = new Map((await tx.select().from(ringPins)).map((p) => [p.hostId, p.ringId]));
  const result = assignRings(hostRows.map(assignableHost), allRings, pins, await listRules(tx));
  await tx.delete(ringAssignments);
  const rows = [...result].map(([hostId, a]) => ({ hostId, ringId: a.ringId, reason: a.reason, assignedAt: now }));
  // Batched: one statement per thousand hosts rather than one per host.
  for (let i = 0; i < rows.length; i += 1000) await tx.insert(ringAssignments).values(rows.slice(i, i + 1000));
  const reasons = { pin: 0, rule: 0, auto: 0 };
  const perRing = new Map<string, number>();
  for (const a of result.values()) {
    reasons[a.reason]++;
    perRing.set(a.ringId, (perRing.get(a.ringId) ?? 0) + 1);
  }
  return { total: result.size, rings: allRings.map((r) => ({ id: r.id, name: r.name, hosts: perRing.get(r.id) ?? 0 })), reasons };
}
