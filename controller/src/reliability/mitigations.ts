/**
 * Accepted mitigations: when an urgent patch (critical or high tier, or a CVE
 * in CISA KEV) is held or blocked, an admin records what is done instead
 * (owner, expiry, hosts or labels). Hosts in scope that still miss the patch
 * show as "mitigated, not patched"; the expiry is tracked like a deadline: an
 * expired mitigation no longer counts and its hosts show as overdue.
 *
 * Owns the table `mitigations`. Reads catalog_remediations (the vendor's
 * workarounds for the patch's CVEs).
 */
import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../audit/audit';
import { catalogPatch } from '../catalog/patches';
import type { Db, Tx } from '../db/index';
import { catalogRemediations, hosts, mitigations, type MitigationScope } from '../db/schema/index';
import { isUrgent } from './decision';
import { decisionsFor, patchFacts } from './decision-service';

/** active: in force; expired: past its expiry (no longer mitigates, shown as overdue); revoked: withdrawn by an admin. */
export type MitigationState = 'active' | 'expired' | 'revoked';

export interface MitigationView {
  id: string;
  patchId: string;
  description: string;
  owner: string;
  scope: MitigationScope;
  expiresAt: string;
  state: MitigationState;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

type Row = typeof mitigations.$inferSelect;

function view(r: Row, now: Date): MitigationView {
  const state: MitigationState = r.state === 'revoked' ? 'revoked' : r.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
  return {
    id: r.id,
    patchId: r.patchId,
    description: r.description,
    owner: r.owner,
    scope: r.scope,
    expiresAt: r.expiresAt.toISOString(),
    state,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}

function stateCondition(state: MitigationState | 'all', now: Date): SQL | undefined {
  if (state === 'revoked') return eq(mitigations.state, 'revoked');
  if (state === 'active') return and(eq(mitigations.state, 'active'), gt(mitigations.expiresAt, now));
  if (state === 'expired') return and(eq(mitigations.state, 'active'), lte(mitigations.expiresAt, now));
  return undefined;
}

/** Mitigations, soonest expiry first; filtered by patch and state. */
export async function listMitigations(db: Db | Tx, filter: { patchId?: string | undefined; state?: MitigationState | 'all' | undefined }, now: Date): Promise<MitigationView[]> {
  const rows = await db
    .select()
    .from(mitigations)
    .where(and(filter.patchId === undefined ? undefined : eq(mitigations.patchId, filter.patchId), stateCondition(filter.state ?? 'all', now)))
    .orderBy(asc(mitigations.expiresAt), desc(mitigations.createdAt), asc(mitigations.id));
  return rows.map((r) => view(r, now));
}

/** The vendor's workarounds and mitigations (CVRF) for the CVEs of a patch. */
export async function vendorRemediations(db: Db | Tx, cves: readonly string[]) {
  if (cves.length === 0) return [];
  return db
    .select({ cve: catalogRemediations.cveId, type: catalogRemediations.type, description: catalogRemediations.description, url: catalogRemediations.url, productIds: catalogRemediations.productIds, documentId: catalogRemediations.documentId })
    .from(catalogRemediations)
    .where(inArray(catalogRemediations.cveId, [...cves]))
    .orderBy(asc(catalogRemediations.cveId), asc(catalogRemediations.type), asc(catalogRemediations.ordinal));
}

export interface MitigationInput {
  patchId: string;
  description: string;
  owner: string;
  expiresAt: string;
  scope: MitigationScope;
}

/**
 * Records an accepted mitigation (audited). Refuses with PF_ERR_NOT_FOUND for
 * a patch not in the catalog, PF_ERR_VALIDATION for an expiry not in the
 * future, an empty scope or unknown hosts, and PF_ERR_MITIGATION_NOT_ALLOWED
 * unless the patch is urgent and held or blocked.
 */
export async function createMitigation(tx: Tx, input: MitigationInput, by: { actor: string; requestId?: string }, now: Date): Promise<MitigationView> {
  const patch = await catalogPatch(tx, input.patchId);
  if (!patch) throw new PfError(Errors.NOT_FOUND, `patch ${input.patchId} is not in the catalog`);
  const expires = new Date(input.expiresAt);
  if (!Number.isFinite(expires.getTime())) throw new PfError(Errors.VALIDATION, `expiresAt "${input.expiresAt}" is not a date-time`);
  if (expires.getTime() <= now.getTime()) throw new PfError(Errors.VALIDATION, `expiresAt ${expires.toISOString()} is not in the future`);
  const hostIds = [...new Set(input.scope.hostIds ?? [])];
  const labels = input.scope.labels ?? {};
  if (hostIds.length === 0 && Object.keys(labels).length === 0) throw new PfError(Errors.VALIDATION, 'scope names no hosts: give hostIds, labels or both');
  if (hostIds.length > 0) {
    const known = new Set((await tx.select({ id: hosts.id }).from(hosts).where(inArray(hosts.id, hostIds))).map((h) => h.id));
    const unknown = hostIds.filter((h) => !known.has(h));
    if (unknown.length > 0) throw new PfError(Errors.VALIDATION, `unknown hosts in scope: ${unknown.slice(0, 10).join(', ')}`);
  }
  const decision = (await decisionsFor(tx, [input.patchId], now)).get(input.patchId)!;
  const facts = (await patchFacts(tx, [input.patchId])).get(input.patchId)!;
  if (!isUrgent(facts.tier, facts.kevCves) || (decision.decision !== 'hold' && decision.decision !== 'block')) {
    throw new PfError(
      Errors.MITIGATION_NOT_ALLOWED,
      decision.decision === 'hold' || decision.decision === 'block'
        ? `${input.patchId} is ${decision.decision === 'hold' ? 'held' : 'blocked'} but not urgent (${decision.tier ?? 'no'} tier, no CVE in CISA KEV): mitigations are accepted for critical or high tier or KEV patches only`
        : `${input.patchId} is not held or blocked (decision ${decision.decision}): patch it instead`,
    );
  }
  const scope: MitigationScope = { ...(hostIds.length > 0 ? { hostIds } : {}), ...(Object.keys(labels).length > 0 ? { labels } : {}) };
  const [row] = await tx
    .insert(mitigations)
    .values({ id: `mit_${randomBytes(8).toString('hex')}`, patchId: input.patchId, description: input.description, owner: input.owner, scope, expiresAt: expires, state: 'active', createdBy: by.actor, createdAt: now })
    .returning();
  await audit(tx, now, {
    actor: by.actor,
    action: 'mitigation.create',
    targetType: 'mitigation',
    targetId: row!.id,
    details: { patchId: input.patchId, owner: input.owner, expiresAt: expires.toISOString(), scope, decision: decision.decision, tier: decision.tier },
    requestId: by.requestId,
  });
  return view(row!, now);
}

/** Revokes a mitigation (audited); PF_ERR_NOT_FOUND, or PF_ERR_MITIGATION_REVOKED when it already is. */
export async function revokeMitigation(tx: Tx, id: string, by: { actor: string; requestId?: string }, now: Date): Promise<MitigationView> {
  const [row] = await tx.select().from(mitigations).where(eq(mitigations.id, id)).for('update');
  if (!row) throw new PfError(Errors.NOT_FOUND, `mitigation ${id} not found`);
  if (row.state === 'revoked') throw new PfError(Errors.MITIGATION_REVOKED, `mitigation ${id} was revoked at ${row.revokedAt?.toISOString() ?? 'an earlier time'}`);
  const [updated] = await tx.update(mitigations).set({ state: 'revoked', revokedAt: now }).where(eq(mitigations.id, id)).returning();
  await audit(tx, now, { actor: by.actor, action: 'mitigation.revoke', targetType: 'mitigation', targetId: id, details: { patchId: row.patchId }, requestId: by.requestId });
  return view(updated!, now);
}

/** Whether the mitigation's scope covers the host: listed by id, or carrying every label given. */
const covers = sql`(${mitigations.scope} -> 'hostIds' ? ${hosts.id} or (jsonb_typeof(${mitigations.scope} -> 'labels') = 'object' and ${hosts.labels} @> (${mitigations.scope} -> 'labels')))`;

/** Per (host, patch): the not-revoked mitigation covering it (an active one before an expired one, then the latest expiry). */
export async function mitigationsForHosts(db: Db | Tx, hostIds: readonly string[], patchIds: readonly string[] | undefined, now: Date): Promise<Map<string, MitigationView>> {
  if (hostIds.length === 0) return new Map();
  const rows = await db
    .select({ hostId: hosts.id, m: mitigations })
    .from(mitigations)
    .innerJoin(hosts, covers)
    .where(and(eq(mitigations.state, 'active'), inArray(hosts.id, [...hostIds]), patchIds === undefined ? undefined : inArray(mitigations.patchId, [...patchIds])))
    .orderBy(desc(mitigations.expiresAt));
  const out = new Map<string, MitigationView>();
  for (const r of rows) {
    const key = `${r.hostId}\u0000${r.m.patchId}`;
    const v = view(r.m, now);
    const known = out.get(key);
    if (known === undefined || (known.state !== 'active' && v.state === 'active')) out.set(key, v);
  }
  return out;
}

/** Key of mitigationsForHosts' map. */
export function hostPatchKey(hostId: string, patchId: string): string {
  return `${hostId}\u0000${patchId}`;
}
