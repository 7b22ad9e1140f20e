/**
 * Operator actions on a rollout: pause, resume, cancel, approve, roll back; and change freezes. Each is audited in its transaction.
 *
 * Owns `rollout_approvals` and `change_freezes`; writes `rollouts`,
 * `rollout_rings`, `rollout_hosts` (owned by rollout/).
 */
import { randomBytes } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../audit/audit';
import { cancelCommands } from '../commands/command-store';
import type { Db, Tx } from '../db/index';
import { apiTokens, changeFreezes, rolloutApprovals, rolloutHosts, rolloutRings, rollouts, type RolloutState } from '../db/schema/index';
import type { Principal } from '../keys/api-tokens';
import { samePersonForApproval } from '../keys/people';
import { requireRollout } from './rollout-create';

export interface ActionContext {
  actor: string;
  requestId?: string | undefined;
  /** Wall clock (records). */
  realNow: number;
}

const ALLOWED_FROM: Record<'pause' | 'resume' | 'cancel' | 'rollback', readonly RolloutState[]> = {
  pause: ['active'],
  resume: ['paused', 'halted'],
  cancel: ['active', 'paused', 'halted'],
  rollback: ['active', 'paused', 'halted', 'completed', 'cancelled'],
};
const TARGET: Record<keyof typeof ALLOWED_FROM, RolloutState> = { pause: 'paused', resume: 'active', cancel: 'cancelled', rollback: 'rolling-back' };

/**
 * pause: nothing new is ordered (running installs finish); resume: back to
 * active (also after a halt, once someone has looked); cancel: for good,
 * unaccepted commands are cancelled; rollback: every host whose install
 * changed something is ordered back to its recorded versions.
 */
export async function changeRolloutState(tx: Tx, id: string, op: keyof typeof ALLOWED_FROM, ctx: ActionContext & { reason?: string | undefined }): Promise<void> {
  const row = await requireRollout(tx, id);
  if (!ALLOWED_FROM[op].includes(row.state)) {
    throw new PfError(Errors.ROLLOUT_STATE, `cannot ${op} rollout ${id}: it is ${row.state} (allowed from ${ALLOWED_FROM[op].join(', ')})`);
  }
  const at = new Date(ctx.realNow);
  await tx.update(rollouts).set({ state: TARGET[op], stateReason: ctx.reason ?? null, updatedAt: at }).where(eq(rollouts.id, id));
  if (op === 'cancel' || op === 'rollback') await cancelCommands(tx, { rolloutId: id }, ctx.realNow, ctx.actor);
  // A rollout cancelled or rolled back goes no further: its unfinished rings end cancelled (passed and halted rings keep their record).
  if (op === 'cancel' || op === 'rollback') {
    await tx
      .update(rolloutRings)
      .set({ state: 'cancelled', stateAt: at })
      .where(and(eq(rolloutRings.rolloutId, id), inArray(rolloutRings.state, ['waiting', 'scheduled', 'installing', 'soaking'])));
  }
  if (op === 'resume' && row.state === 'halted') {
    // Resuming a halt means "the cause is dealt with, try again": the halted
    // ring's failed hosts are retried, so the old failures no longer count
    // toward its failure limit (they stay in the audit log and command rows).
    const halted = await tx
      .update(rolloutRings)
      .set({ state: 'installing', stateAt: at })
      .where(and(eq(rolloutRings.rolloutId, id), eq(rolloutRings.state, 'halted')))
      .returning({ ringId: rolloutRings.ringId });
    if (halted.length > 0) {
      await tx
        .update(rolloutHosts)
        .set({ state: 'pending', stateAt: at, errorCode: null, commandId: null })
        .where(and(eq(rolloutHosts.rolloutId, id), eq(rolloutHosts.state, 'failed'), inArray(rolloutHosts.ringId, halted.map((h) => h.ringId))));
    }
  }
  await audit(tx, at, { actor: ctx.actor, action: `rollout.${op}`, targetType: 'rollout', targetId: id, details: { from: row.state, to: TARGET[op], reason: ctx.reason ?? null }, requestId: ctx.requestId });
}

/**
 * Records an admin's approval of a ring. Approvals count people, not tokens
 * or sessions: the same token (or session) twice is ALREADY_APPROVED; another
 * credential of the same person
 * (minted by them, or a person the earlier approver registered or was
 * registered by) is SAME_PERSON (keys/people.ts).
 */
export async function approveRing(tx: Tx, id: string, ringIdOrName: string, principal: Principal, ctx: ActionContext & { comment?: string | undefined }): Promise<{ approvals: number; needed: number }> {
  const rollout = await requireRollout(tx, id);
  const [ring] = await tx
    .select()
    .from(rolloutRings)
    .where(and(eq(rolloutRings.rolloutId, id), sql`(${rolloutRings.ringId} = ${ringIdOrName} or ${rolloutRings.ringName} = ${ringIdOrName})`))
    .limit(1);
  if (!ring) throw new PfError(Errors.NOT_FOUND, `rollout ${id} has no ring ${ringIdOrName}`);
  const existing = await tx
    .select({ approverTokenId: rolloutApprovals.approverTokenId, approverName: rolloutApprovals.approverName, personId: sql<string | null>`coalesce(${rolloutApprovals.approverPersonId}, ${apiTokens.personId})` })
    .from(rolloutApprovals)
    .leftJoin(apiTokens, eq(apiTokens.id, rolloutApprovals.approverTokenId))
    .where(and(eq(rolloutApprovals.rolloutId, id), eq(rolloutApprovals.ringId, ring.ringId)));
  // The most specific refusal first: an admin approving twice is told so whatever happened since.
  if (existing.some((a) => a.approverTokenId === principal.tokenId)) {
    throw new PfError(Errors.ALREADY_APPROVED, `${principal.name} already approved ring ${ring.ringName} of ${id}; the next approval must come from another admin`);
  }
  for (const a of existing) {
    if (await samePersonForApproval(tx, a.personId ?? `token:${a.approverTokenId}`, principal.personId)) {
      throw new PfError(Errors.SAME_PERSON, `ring ${ring.ringName} of ${id} was approved by ${a.approverName} (${principal.personName === a.approverName ? 'the same token holder' : 'the same person'}); ${principal.via === 'session' ? 'user' : 'token'} ${principal.name} ${principal.via === 'session' ? 'is' : 'belongs to'} ${principal.personName}: the next approval must come from another person`);
    }
  }
  if (!['active', 'paused', 'halted'].includes(rollout.state)) throw new PfError(Errors.ROLLOUT_STATE, `rollout ${id} is ${rollout.state}: nothing left to approve`);
  if (ring.state !== 'waiting' && ring.state !== 'scheduled') throw new PfError(Errors.ROLLOUT_STATE, `ring ${ring.ringName} of ${id} is ${ring.state}: approvals are for rings that have not started`);
  if (existing.length >= ring.approvalsNeeded) throw new PfError(Errors.APPROVAL_NOT_NEEDED, `ring ${ring.ringName} of ${id} needs ${ring.approvalsNeeded} approval(s) and has ${existing.length}`);
  const at = new Date(ctx.realNow);
  await tx.insert(rolloutApprovals).values({ rolloutId: id, ringId: ring.ringId, approverTokenId: principal.tokenId, approverName: principal.name, approverPersonId: principal.personId, comment: ctx.comment ?? null, at });
  await audit(tx, at, { actor: ctx.actor, action: 'rollout.approve', targetType: 'rollout', targetId: id, details: { ring: ring.ringName, approver: principal.name, person: principal.personName, approvals: existing.length + 1, needed: ring.approvalsNeeded, comment: ctx.comment ?? null }, requestId: ctx.requestId });
  return { approvals: existing.length + 1, needed: ring.approvalsNeeded };
}

export interface FreezeView {
  id: string;
  ring: string | null;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdBy: string;
}

/** Adds a change freeze (rollout clock times). `ringId` null: every ring. */
export async function addFreeze(tx: Tx, input: { ringId: string | null; startsAt: Date; endsAt: Date; reason: string }, ctx: ActionContext): Promise<FreezeView> {
  if (!(input.endsAt.getTime() > input.startsAt.getTime())) throw new PfError(Errors.VALIDATION, 'a freeze must end after it starts');
  const id = `fz_${randomBytes(6).toString('hex')}`;
  const at = new Date(ctx.realNow);
  await tx.insert(changeFreezes).values({ id, ringId: input.ringId, startsAt: input.startsAt, endsAt: input.endsAt, reason: input.reason, createdBy: ctx.actor, createdAt: at });
  await audit(tx, at, { actor: ctx.actor, action: 'freeze.create', targetType: 'freeze', targetId: id, details: { ringId: input.ringId, startsAt: input.startsAt.toISOString(), endsAt: input.endsAt.toISOString(), reason: input.reason }, requestId: ctx.requestId });
  return { id, ring: input.ringId, startsAt: input.startsAt.toISOString(), endsAt: input.endsAt.toISOString(), reason: input.reason, createdBy: ctx.actor };
}

export async function listFreezes(db: Db | Tx): Promise<FreezeView[]> {
  const rows = await db.select().from(changeFreezes).orderBy(changeFreezes.startsAt);
  return rows.map((r) => ({ id: r.id, ring: r.ringId, startsAt: r.startsAt.toISOString(), endsAt: r.endsAt.toISOString(), reason: r.reason, createdBy: r.createdBy }));
}

export async function deleteFreeze(tx: Tx, id: string, ctx: ActionContext): Promise<void> {
  const gone = await tx.delete(changeFreezes).where(eq(changeFreezes.id, id)).returning();
  if (gone.length === 0) throw new PfError(Errors.NOT_FOUND, `freeze ${id} not found`);
  await audit(tx, new Date(ctx.realNow), { actor: ctx.actor, action: 'freeze.delete', targetType: 'freeze', targetId: id, details: { reason: gone[0]?.reason }, requestId: ctx.requestId });
}
