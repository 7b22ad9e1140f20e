/**
 * Durable command rows: creation (signed, audited), delivery bookkeeping,
 * agent status updates along the lifecycle, expiry and cancellation.
 * Every function takes the database or a transaction; nothing here sends.
 */
import { randomBytes } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { CommandParams, CommandStatusFrame, SignedCommand } from '@patchfleet/shared';
import { auditMany } from '../audit/audit';
import type { Db, Tx } from '../db/index';
import { commands, type CommandState } from '../db/schema/index';
import { signCommand, signedCommandOf } from './signing';

export type CommandRow = typeof commands.$inferSelect;

/** What to order one host to do. */
export interface CommandSpec {
  hostId: string;
  action: SignedCommand['action'];
  target: string;
  params: CommandParams;
  /** How long the command stays valid after issue (the agent refuses it later). */
  ttlMs: number;
  rolloutId?: string;
  ringId?: string;
}

const TERMINAL: ReadonlySet<CommandState> = new Set(['succeeded', 'failed', 'timed_out', 'cancelled']);
const RANK: Record<CommandState, number> = { queued: 0, sent: 1, acknowledged: 2, running: 3, succeeded: 4, failed: 4, timed_out: 4, cancelled: 4 };

export function isTerminalCommandState(state: CommandState): boolean {
  return TERMINAL.has(state);
}

/** `col in (<ids>)` through one jsonb parameter: one bind value however many ids (PGlite and PostgreSQL alike). */
export function idIn(column: unknown, ids: readonly string[]) {
  return sql`${column} in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;
}

export function newCommandId(): string {
  return `cmd_${randomBytes(10).toString('hex')}`;
}

/** Inserts signed commands in state `queued` and audits each. Call inside the transaction that decides them. */
export async function createCommands(db: Db | Tx, specs: readonly CommandSpec[], opts: { now: number; secretKey: string; actor: string; requestId?: string }): Promise<CommandRow[]> {
  const now = new Date(opts.now);
  const rows = specs.map((spec) => {
    const fields = {
      id: newCommandId(),
      hostId: spec.hostId,
      action: spec.action,
      target: spec.target,
      params: spec.params,
      issuedAt: now,
      notAfter: new Date(opts.now + spec.ttlMs),
    };
    return {
      ...fields,
      signature: signCommand(signedCommandOf(fields), opts.secretKey),
      state: 'queued' as const,
      stateAt: now,
      rolloutId: spec.rolloutId ?? null,
      ringId: spec.ringId ?? null,
      createdBy: opts.actor,
    };
  });
  const out: CommandRow[] = [];
  for (let i = 0; i < rows.length; i += 1000) out.push(...(await db.insert(commands).values(rows.slice(i, i + 1000)).returning()));
  await auditMany(
    db,
    now,
    rows.map((r) => ({
      actor: opts.actor,
      action: 'command.issue',
      targetType: 'command',
      targetId: r.id,
      details: { hostId: r.hostId, action: r.action, target: r.target, rolloutId: r.rolloutId, notAfter: r.notAfter.toISOString() },
      requestId: opts.requestId,
    })),
  );
  return out;
}

/** Commands still to be written to these hosts' sockets: queued or sent (not yet accepted), and not expired. */
export async function deliverableCommands(db: Db, hostIds: readonly string[], now: number): Promise<CommandRow[]> {
  if (hostIds.length === 0) return [];
  return db
    .select()
    .from(commands)
    .where(and(idIn(commands.hostId, hostIds), inArray(commands.state, ['queued', 'sent']), sql`${commands.notAfter} > ${new Date(now)}`))
    .orderBy(commands.issuedAt, commands.id);
}

/** Records a write to the socket: queued -> sent, delivery counted. */
export async function markSent(db: Db, ids: readonly string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  const at = new Date(now);
  await db
    .update(commands)
    .set({
      state: sql`case when ${commands.state} = 'queued' then 'sent' else ${commands.state} end`,
      stateAt: sql`case when ${commands.state} = 'queued' then ${at} else ${commands.stateAt} end`,
      sentAt: sql`coalesce(${commands.sentAt}, ${at})`,
      deliveries: sql`${commands.deliveries} + 1`,
    })
    .where(idIn(commands.id, ids));
}

export type StatusOutcome =
  | { kind: 'unknown' }
  | { kind: 'updated'; row: CommandRow; terminal: boolean }
  | { kind: 'stale'; row: CommandRow; terminal: boolean };

/**
 * Applies an agent's report. States only move forward; a terminal report
 * repeated after a lost receipt is `stale` (receipt it again). After
 * timed_out or cancelled the agent's word still wins: it holds the command,
 * so what it says happened did happen.
 */
export async function applyAgentStatus(db: Db, agentId: string, frame: CommandStatusFrame, now: number): Promise<StatusOutcome> {
  const [row] = await db.select().from(commands).where(eq(commands.id, frame.commandId)).limit(1);
  if (!row || row.hostId !== agentId) return { kind: 'unknown' };
  const next: CommandState = frame.state === 'refused' ? 'failed' : frame.state;
  const overridable = row.state === 'timed_out' || row.state === 'cancelled';
  if (!overridable && RANK[next] <= RANK[row.state]) return { kind: 'stale', row, terminal: isTerminalCommandState(row.state) };
  if (overridable && next === row.state) return { kind: 'stale', row, terminal: true };
  const at = new Date(now);
  const agentAt = new Date(frame.at);
  const patch: Partial<typeof commands.$inferInsert> = { state: next, stateAt: at };
  if (next === 'acknowledged') patch.acknowledgedAt = agentAt;
  if (next === 'running') {
    patch.startedAt = agentAt;
    patch.acknowledgedAt = row.acknowledgedAt ?? agentAt;
  }
  const terminal = isTerminalCommandState(next);
  if (terminal) {
    patch.finishedAt = agentAt;
    patch.acknowledgedAt = row.acknowledgedAt ?? agentAt;
    patch.result = frame.result ?? null;
    patch.errorCode = frame.error?.code ?? null;
    patch.errorMessage = frame.error?.message ?? null;
  }
  const [updated] = await db.transaction(async (tx) => {
    // Conditional on the state we read: two sessions of one agent (old and new) cannot interleave updates.
    const res = await tx.update(commands).set(patch).where(and(eq(commands.id, row.id), eq(commands.state, row.state))).returning();
    if (res[0] && terminal) {
      await auditMany(tx, at, [
        {
          actor: `agent:${agentId}`,
          action: `command.${next}`,
          targetType: 'command',
          targetId: row.id,
          details: { hostId: agentId, action: row.action, target: row.target, rolloutId: row.rolloutId, refused: frame.state === 'refused', errorCode: frame.error?.code ?? null, rebootRequired: frame.result?.rebootRequired ?? null },
        },
      ]);
    }
    return res;
  });
  if (!updated) {
    const [fresh] = await db.select().from(commands).where(eq(commands.id, row.id)).limit(1);
    return { kind: 'stale', row: fresh ?? row, terminal: fresh ? isTerminalCommandState(fresh.state) : false };
  }
  return { kind: 'updated', row: updated, terminal };
}

/**
 * Times out commands past their validity: not delivered or not accepted by
 * `notAfter` (the agent would refuse them now), or accepted but without a
 * result `runAllowanceMs` after it. Returns the rows it changed.
 */
export async function expireCommands(db: Db | Tx, now: number, runAllowanceMs: number): Promise<CommandRow[]> {
  const at = new Date(now);
  const undelivered = await db
    .update(commands)
    .set({ state: 'timed_out', stateAt: at, errorCode: 'PF_ERR_COMMAND_UNDELIVERED', errorMessage: 'not accepted by the agent before notAfter' })
    .where(and(inArray(commands.state, ['queued', 'sent']), sql`${commands.notAfter} <= ${at}`))
    .returning();
  const silent = await db
    .update(commands)
    .set({ state: 'timed_out', stateAt: at, errorCode: 'PF_ERR_COMMAND_NO_RESULT', errorMessage: `accepted but no result within ${Math.round(runAllowanceMs / 60000)} min after notAfter` })
    .where(and(inArray(commands.state, ['acknowledged', 'running']), sql`${commands.notAfter} <= ${new Date(now - runAllowanceMs)}`))
    .returning();
  const rows = [...undelivered, ...silent];
  await auditMany(
    db,
    at,
    rows.map((r) => ({ actor: 'system', action: 'command.timed_out', targetType: 'command', targetId: r.id, details: { hostId: r.hostId, rolloutId: r.rolloutId, errorCode: r.errorCode } })),
  );
  return rows;
}

/** Cancels the not-yet-accepted commands of a rollout (or of the given ids). */
export async function cancelCommands(db: Db | Tx, where: { rolloutId: string } | { ids: readonly string[] }, now: number, actor: string): Promise<CommandRow[]> {
  const at = new Date(now);
  const scope = 'rolloutId' in where ? eq(commands.rolloutId, where.rolloutId) : idIn(commands.id, where.ids);
  const rows = await db
    .update(commands)
    .set({ state: 'cancelled', stateAt: at, errorCode: 'PF_ERR_COMMAND_CANCELLED', errorMessage: `cancelled by ${actor}` })
    .where(and(scope, inArray(commands.state, ['queued', 'sent'])))
    .returning();
  await auditMany(db, at, rows.map((r) => ({ actor, action: 'command.cancel', targetType: 'command', targetId: r.id, details: { hostId: r.hostId, rolloutId: r.rolloutId } })));
  return rows;
}
