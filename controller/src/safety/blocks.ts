/**
 * Patch blocks: a patch stopped for a host class (or fleet-wide) after a
 * gate tripped. Active blocks keep the planner from ordering the patch to
 * hosts of that class (their rollout host state becomes 'blocked'), in this
 * rollout, in later waves and in rollouts started later.
 *
 * Lifting takes an admin (the route) and a reason. A class block is lifted
 * at once; a fleet-wide block takes two people: the first lift records the
 * request, a second admin who is another person (keys/people.ts, as for
 * rollout approvals) lifts it. A lift returns the class's blocked hosts of
 * live rollouts to pending (unless another active block still covers them).
 *
 * Owns `patch_blocks`; writes `rollout_hosts.state` ('blocked' / back to
 * 'pending') for rollout/.
 */
import { randomBytes } from 'node:crypto';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../audit/audit';
import type { Db, Tx } from '../db/index';
import type { EventSink } from '../events/ports';
import { apiTokens, patchBlocks } from '../db/schema/index';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Principal } from '../keys/api-tokens';
import { samePersonForApproval } from '../keys/people';
import { hostClassSql, describeClass } from './host-class';
import { appendTimeline, resolveIfUnblocked } from './incidents';

type BlockRow = typeof patchBlocks.$inferSelect;

/** A block as the API shows it. */
export interface BlockView {
  id: string;
  patchId: string;
  hostClass: string | null;
  /** The class in words, or "every host class". */
  scope: string;
  state: 'active' | 'lifted';
  reason: string;
  incidentId: string | null;
  rolloutId: string | null;
  createdBy: string;
  createdAt: string;
  liftRequest: { by: string; person: string | null; at: string; reason: string | null } | null;
  liftedBy: string | null;
  liftedAt: string | null;
  liftReason: string | null;
}

function view(b: BlockRow): BlockView {
  return {
    id: b.id,
    patchId: b.patchId,
    hostClass: b.hostClass,
    scope: describeClass(b.hostClass),
    state: b.state,
    reason: b.reason,
    incidentId: b.incidentId,
    rolloutId: b.rolloutId,
    createdBy: b.createdBy,
    createdAt: b.createdAt.toISOString(),
    liftRequest: b.liftRequestedBy && b.liftRequestedAt ? { by: b.liftRequestedBy, person: b.liftRequestedPerson, at: b.liftRequestedAt.toISOString(), reason: b.state === 'active' ? b.liftReason : null } : null,
    liftedBy: b.liftedBy,
    liftedAt: b.liftedAt?.toISOString() ?? null,
    liftReason: b.state === 'lifted' ? b.liftReason : null,
  };
}

/** Active blocks of these patches. */
export async function activeBlocks(db: Db | Tx, patchIds: readonly string[]): Promise<BlockRow[]> {
  if (patchIds.length === 0) return [];
  return db
    .select()
    .from(patchBlocks)
    .where(and(inArray(patchBlocks.patchId, [...patchIds]), eq(patchBlocks.state, 'active')));
}

/** Blocks `patchIds` for `hostClass` (null: fleet-wide), skipping a patch already blocked there; reports each new block to `events`; returns the new block ids. */
export async function createBlocks(
  tx: Tx,
  input: { patchIds: readonly string[]; hostClass: string | null; reason: string; incidentId: string; rolloutId: string },
  realNow: number,
  events: EventSink,
): Promise<string[]> {
  const existing = await activeBlocks(tx, input.patchIds);
  const todo = input.patchIds.filter((p) => !existing.some((b) => b.patchId === p && b.hostClass === input.hostClass));
  if (todo.length === 0) return [];
  const at = new Date(realNow);
  const rows = todo.map((patchId) => ({
    id: `bk_${randomBytes(8).toString('hex')}`,
    patchId,
    hostClass: input.hostClass,
    state: 'active' as const,
    reason: input.reason,
    incidentId: input.incidentId,
    rolloutId: input.rolloutId,
    createdBy: 'system',
    createdAt: at,
  }));
  await tx.insert(patchBlocks).values(rows);
  for (const r of rows) {
    await audit(tx, at, { actor: 'system', action: 'block.create', targetType: 'block', targetId: r.id, details: { patchId: r.patchId, hostClass: r.hostClass, scope: describeClass(r.hostClass), incidentId: r.incidentId, rolloutId: r.rolloutId, reason: r.reason } });
    const data = { blockId: r.id, patchId: r.patchId, hostClass: r.hostClass, scope: describeClass(r.hostClass), fleetWide: r.hostClass === null, incidentId: input.incidentId, rolloutId: input.rolloutId, reason: r.reason };
    await events.emit(tx, { type: 'patch.blocked', data }, { at });
  }
  return rows.map((r) => r.id);
}

/**
 * Marks the pending hosts of rollout `rolloutId` that an active block of
 * one of `patchIds` covers as 'blocked' (one UPDATE); returns their ids.
 */
export async function blockPendingHosts(tx: Tx, rolloutId: string, patchIds: readonly string[], at: Date): Promise<string[]> {
  if (patchIds.length === 0) return [];
  const ids = sql.join(patchIds.map((p) => sql`${p}`), sql`, `);
  const rows = resultRows<{ host_id: string }>(
    await tx.execute(sql`
      update rollout_hosts rh set state = 'blocked', state_at = ${at.toISOString()}::timestamptz, command_id = null
      from hosts h
      where h.id = rh.host_id and rh.rollout_id = ${rolloutId} and rh.state = 'pending'
        and exists (select 1 from patch_blocks b where b.state = 'active' and b.patch_id in (${ids})
                    and (b.host_class is null or b.host_class = ${hostClassSql('h')}))
      returning rh.host_id`),
  );
  return rows.map((r) => r.host_id);
}

export async function listBlocks(db: Db | Tx, filter: { state?: 'active' | 'lifted' | undefined; patchId?: string | undefined; limit?: number } = {}): Promise<BlockView[]> {
  const rows = await db
    .select()
    .from(patchBlocks)
    .where(and(filter.state ? eq(patchBlocks.state, filter.state) : undefined, filter.patchId ? eq(patchBlocks.patchId, filter.patchId) : undefined))
    .orderBy(desc(patchBlocks.createdAt), patchBlocks.id)
    .limit(filter.limit ?? 500);
  return rows.map(view);
}

export async function getBlock(db: Db | Tx, id: string): Promise<BlockView> {
  const [row] = await db.select().from(patchBlocks).where(eq(patchBlocks.id, id)).limit(1);
  if (!row) throw new PfError(Errors.NOT_FOUND, `block ${id} not found`);
  return view(row);
}

/** What a lift did: lifted, or (fleet-wide, first person) recorded and waiting for a second person. */
export interface LiftOutcome {
  outcome: 'lifted' | 'awaiting-second-person';
  block: BlockView;
  /** Hosts of live rollouts returned to pending. */
  unblockedHosts: number;
}

/** Lifts block `id` (admins: the route checks the role). `reason` is required. */
export async function liftBlock(tx: Tx, id: string, principal: Principal, reason: string, ctx: { actor: string; realNow: number; requestId?: string | undefined }): Promise<LiftOutcome> {
  if (reason.trim() === '') throw new PfError(Errors.VALIDATION, 'lifting a block needs a reason');
  const [row] = await tx.select().from(patchBlocks).where(eq(patchBlocks.id, id)).limit(1).for('update');
  if (!row) throw new PfError(Errors.NOT_FOUND, `block ${id} not found`);
  if (row.state !== 'active') throw new PfError(Errors.BLOCK_STATE, `block ${id} was already lifted by ${row.liftedBy ?? 'someone'} at ${row.liftedAt?.toISOString() ?? '?'}`);
  const at = new Date(ctx.realNow);
  if (row.hostClass === null && row.liftRequestedBy === null) {
    // Fleet-wide: the first admin asks; a second person must confirm.
    const [asked] = await tx
      .update(patchBlocks)
      .set({ liftRequestedBy: ctx.actor, liftRequestedPerson: principal.personId, liftRequestedAt: at, liftReason: reason })
      .where(eq(patchBlocks.id, id))
      .returning();
    await audit(tx, at, { actor: ctx.actor, action: 'block.lift_requested', targetType: 'block', targetId: id, details: { patchId: row.patchId, scope: describeClass(null), person: principal.personName, reason }, requestId: ctx.requestId });
    if (row.incidentId) await appendTimeline(tx, row.incidentId, [{ at: at.toISOString(), event: 'lift requested', details: { blockId: id, by: principal.personName, reason } }]);
    return { outcome: 'awaiting-second-person', block: view(asked ?? row), unblockedHosts: 0 };
  }
  if (row.hostClass === null && row.liftRequestedPerson !== null) {
    const firstPerson = row.liftRequestedPerson;
    if (await samePersonForApproval(tx, firstPerson, principal.personId)) {
      const [first] = await tx.select({ name: apiTokens.name }).from(apiTokens).where(eq(apiTokens.personId, firstPerson)).limit(1);
      throw new PfError(Errors.SAME_PERSON, `the lift of fleet-wide block ${id} was requested by ${first?.name ?? row.liftRequestedBy ?? 'the same person'}; token ${principal.name} belongs to ${principal.personName}: the second person must be someone else`);
    }
  }
  const [lifted] = await tx
    .update(patchBlocks)
    .set({ state: 'lifted', liftedBy: ctx.actor, liftedAt: at, liftReason: row.hostClass === null ? `${row.liftReason ?? ''} / ${reason}` : reason })
    .where(eq(patchBlocks.id, id))
    .returning();
  const unblocked = await unblockHosts(tx, row, at);
  await audit(tx, at, {
    actor: ctx.actor,
    action: 'block.lift',
    targetType: 'block',
    targetId: id,
    details: { patchId: row.patchId, hostClass: row.hostClass, scope: describeClass(row.hostClass), person: principal.personName, reason, requestedBy: row.liftRequestedBy, unblockedHosts: unblocked },
    requestId: ctx.requestId,
  });
  if (row.incidentId) {
    await appendTimeline(tx, row.incidentId, [{ at: at.toISOString(), event: 'block lifted', details: { blockId: id, by: principal.personName, reason, unblockedHosts: unblocked } }]);
    await resolveIfUnblocked(tx, row.incidentId, at);
  }
  return { outcome: 'lifted', block: view(lifted ?? row), unblockedHosts: unblocked };
}

/** Blocked hosts the lifted block covered, in live rollouts that install its patch, back to pending unless another active block still covers them. */
async function unblockHosts(tx: Tx, block: BlockRow, at: Date): Promise<number> {
  const pkg = block.patchId.startsWith('pkg:') ? block.patchId.slice(4) : null;
  const [name, version] = pkg ? [pkg.slice(0, pkg.indexOf('=')), pkg.slice(pkg.indexOf('=') + 1)] : ['', ''];
  const contentHas = pkg
    ? sql`r.content -> 'packages' @> ${JSON.stringify([{ name, version }])}::jsonb`
    : sql`r.content -> 'patches' @> ${JSON.stringify([block.patchId])}::jsonb`;
  const cls = hostClassSql('h');
  const rows = resultRows<{ host_id: string }>(
    await tx.execute(sql`
      update rollout_hosts rh set state = 'pending', state_at = ${at.toISOString()}::timestamptz
      from hosts h, rollouts r
      where h.id = rh.host_id and r.id = rh.rollout_id and r.state in ('active', 'paused') and rh.state = 'blocked' and ${contentHas}
        and (${block.hostClass}::text is null or ${cls} = ${block.hostClass}::text)
        and not exists (
          select 1 from patch_blocks b where b.state = 'active' and (b.host_class is null or b.host_class = ${cls})
            and (b.patch_id = any(select jsonb_array_elements_text(r.content -> 'patches'))
                 or b.patch_id = any(select 'pkg:' || (p ->> 'name') || '=' || (p ->> 'version') from jsonb_array_elements(r.content -> 'packages') p)))
      returning rh.host_id`),
  );
  return rows.length;
}
