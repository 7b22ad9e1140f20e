/**
 * Durable command rows: creation (signed, audited), delivery bookkeeping,
 * agent status updates along the lifecycle, expiry and cancellation.
 * Every function takes the database or a transaction; nothing here sends.
 *
 * Owns the table `commands`: nothing outside commands/ writes it.
 */
import { randomBytes } from 'node:crypto';
import { Errors } from '@patchfleet/shared/errors';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { CommandParams, CommandResult, CommandStatusFrame, SignedCommand } from '@patchfleet/shared';
import { auditMany } from '../audit/audit';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db, Tx } from '../db/index';
import { COMMAND_STATES, commands, type CommandState } from '../db/schema/index';

/** The states a command can be in (the API's enum). */
export { COMMAND_STATES } from '../db/schema/index';
import { signCommands } from './signing';

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

/** `count` fresh command ids (`cmd_` + 20 hex digits), from one call to the random source rather than one each. */
export function newCommandIds(count: number): string[] {
  const bytes = randomBytes(10 * count);
  return Array.from({ length: count }, (_, i) => `cmd_${bytes.toString('hex', 10 * i, 10 * i + 10)}`);
}

export interface CreateOptions {
  now: number;
  secretKey: string;
  actor: string;
  requestId?: string;
  /**
   * Hosts whose command the caller writes to a socket of its own as soon as
   * this commits: stored as `sent` (one delivery) at once, which spares a
   * second statement per batch. The caller must {@link unmarkSent} any it
   * could not write.
   */
  sendingTo?: ReadonlySet<string>;
}

/** Commands signed and ready to store ({@link prepareCommands}); nothing is written yet. */
export interface PreparedCommands {
  rows: CommandRow[];
  actor: string;
  requestId: string | undefined;
}

/** Most commands written by one statement: one JSON parameter holds them. */
const INSERT_BATCH = 5000;

/**
 * Builds and signs the rows of new commands, in state `queued` (or `sent`,
 * see {@link CreateOptions.sendingTo}); {@link storeCommands} writes them.
 */
export function prepareCommands(specs: readonly CommandSpec[], opts: CreateOptions): PreparedCommands {
  const now = new Date(opts.now);
  const ids = newCommandIds(specs.length);
  const fields = specs.map((spec, i) => ({
    id: ids[i] as string,
    hostId: spec.hostId,
    action: spec.action,
    target: spec.target,
    params: spec.params,
    issuedAt: now,
    notAfter: new Date(opts.now + spec.ttlMs),
  }));
  const signatures = signCommands(fields, opts.secretKey);
  const rows = fields.map((f, i): CommandRow => {
    const sending = opts.sendingTo?.has(f.hostId) === true;
    const spec = specs[i] as CommandSpec;
    return {
      id: f.id,
      hostId: f.hostId,
      action: f.action,
      target: f.target,
      params: f.params,
      issuedAt: f.issuedAt,
      notAfter: f.notAfter,
      signature: signatures[i] as string,
      state: sending ? 'sent' : 'queued',
      stateAt: now,
      sentAt: sending ? now : null,
      acknowledgedAt: null,
      startedAt: null,
      finishedAt: null,
      deliveries: sending ? 1 : 0,
      rolloutId: spec.rolloutId ?? null,
      ringId: spec.ringId ?? null,
      result: null,
      errorCode: null,
      errorMessage: null,
      createdBy: opts.actor,
    };
  });
  return { rows, actor: opts.actor, requestId: opts.requestId };
}

/**
 * Writes prepared commands (one statement per {@link INSERT_BATCH}, one JSON
 * parameter) and their `command.issue` audit rows (through the audit
 * module, which owns `audit_log`). Pass a transaction so that the commands
 * and their audit rows commit or fail together.
 */
export async function storeCommands(db: Db | Tx, prepared: PreparedCommands): Promise<CommandRow[]> {
  const { rows } = prepared;
  if (rows.length === 0) return rows;
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    const batch = rows.slice(i, i + INSERT_BATCH).map((r) => ({
      id: r.id,
      hostId: r.hostId,
      action: r.action,
      target: r.target,
      params: r.params,
      issuedAt: r.issuedAt.toISOString(),
      notAfter: r.notAfter.toISOString(),
      signature: r.signature,
      state: r.state,
      sentAt: r.sentAt?.toISOString() ?? null,
      deliveries: r.deliveries,
      rolloutId: r.rolloutId,
      ringId: r.ringId,
    }));
    await db.execute(sql`
      insert into commands (id, host_id, action, target, params, issued_at, not_after, signature, state, state_at, sent_at, deliveries, rollout_id, ring_id, created_by)
      select v.id, v."hostId", v.action, v.target, v.params, v."issuedAt"::timestamptz, v."notAfter"::timestamptz, v.signature, v.state, v."issuedAt"::timestamptz, v."sentAt",
        v.deliveries, v."rolloutId", v."ringId", ${prepared.actor}::text
      from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb) as v(id text, "hostId" text, action text, target text, params jsonb, "issuedAt" text,
        "notAfter" text, signature text, state text, "sentAt" timestamptz, deliveries integer, "rolloutId" text, "ringId" text)`);
  }
  await auditMany(
    db,
    (rows[0] as CommandRow).issuedAt,
    rows.map((r) => ({
      actor: prepared.actor,
      action: 'command.issue',
      targetType: 'command',
      targetId: r.id,
      // notAfter as toISOString writes it, as the audit details always kept it.
      details: { hostId: r.hostId, action: r.action, target: r.target, rolloutId: r.rolloutId, notAfter: r.notAfter.toISOString() },
      requestId: prepared.requestId,
    })),
  );
  return rows;
}

/** Inserts signed commands in state `queued` (or `sent`, see {@link CreateOptions.sendingTo}) and audits each. Call inside the transaction that decides them. */
export async function createCommands(db: Db | Tx, specs: readonly CommandSpec[], opts: CreateOptions): Promise<CommandRow[]> {
  return storeCommands(db, prepareCommands(specs, opts));
}

/** One command by id, or undefined. */
export async function getCommand(db: Db, id: string): Promise<CommandRow | undefined> {
  const [row] = await db.select().from(commands).where(eq(commands.id, id)).limit(1);
  return row;
}

/** A host's latest `limit` commands, newest first. */
export async function hostCommands(db: Db, hostId: string, limit: number): Promise<CommandRow[]> {
  return db.select().from(commands).where(eq(commands.hostId, hostId)).orderBy(desc(commands.issuedAt)).limit(limit);
}

/** Commands still to be written to these hosts' sockets: queued or sent (not yet accepted), and not expired. */
export async function deliverableCommands(db: Db, hostIds: readonly string[], now: number): Promise<CommandRow[]> {
  if (hostIds.length === 0) return [];
  return db
    .select()
    .from(commands)
    .where(and(idIn(commands.hostId, hostIds), inArray(commands.state, ['queued', 'sent']), sql`${commands.notAfter} > ${new Date(now).toISOString()}::timestamptz`))
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
      stateAt: sql`case when ${commands.state} = 'queued' then ${at.toISOString()}::timestamptz else ${commands.stateAt} end`,
      sentAt: sql`coalesce(${commands.sentAt}, ${at.toISOString()}::timestamptz)`,
      deliveries: sql`${commands.deliveries} + 1`,
    })
    .where(idIn(commands.id, ids));
}

/** What a status outcome tells of the command's row (the acknowledgement path builds it; the general path has the whole row). */
export type StatusRow = Pick<CommandRow, 'id' | 'hostId' | 'state' | 'stateAt' | 'acknowledgedAt' | 'startedAt' | 'finishedAt' | 'result' | 'errorCode' | 'errorMessage' | 'rolloutId'>;

/** Takes back {@link CreateOptions.sendingTo} for commands whose socket was gone: `sent` -> `queued`, no delivery. */
export async function unmarkSent(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(commands)
    .set({ state: 'queued', sentAt: null, deliveries: sql`greatest(${commands.deliveries} - 1, 0)` })
    .where(and(idIn(commands.id, ids), eq(commands.state, 'sent')));
}

export type StatusOutcome =
  | { kind: 'unknown' }
  | { kind: 'updated'; row: StatusRow; terminal: boolean }
  | { kind: 'stale'; row: StatusRow; terminal: boolean };

/** One agent report on a command, as {@link applyAgentStatuses} takes it. */
export interface AgentStatusReport {
  agentId: string;
  frame: CommandStatusFrame;
}

/** The update one report makes to its row, decided from the row as read. */
interface PlannedUpdate {
  index: number;
  row: CommandRow;
  next: CommandState;
  terminal: boolean;
  refused: boolean;
  agentAt: Date;
  acknowledgedAt: Date;
  startedAt: Date | undefined;
  result: CommandResult | null;
  errorCode: string | null;
  errorMessage: string | null;
  clearError: boolean;
}

/**
 * Applies an agent's report. States only move forward; a terminal report
 * repeated after a lost receipt is `stale` (receipt it again). After
 * timed_out or cancelled the agent's word still wins: it holds the command,
 * so what it says happened did happen.
 */
export async function applyAgentStatus(db: Db, agentId: string, frame: CommandStatusFrame, now: number): Promise<StatusOutcome> {
  const [outcome] = await applyAgentStatuses(db, [{ agentId, frame }], now);
  return outcome as StatusOutcome;
}

/**
 * {@link applyAgentStatus} for many reports at once, with the same rules
 * and outcomes (in input order), in a handful of statements instead of four
 * per report: a fan-out to thousands of agents brings thousands of
 * acknowledgements within a second, and one transaction each is what made
 * the controller fall behind. Reports on the same command are applied one
 * after another, as if they had come separately.
 */
export async function applyAgentStatuses(
  db: Db,
  reports: readonly AgentStatusReport[],
  now: number,
  /** Filled as reports are settled, so a caller whose call failed knows which ones were (rounds commit one by one). */
  outcomes: (StatusOutcome | undefined)[] = new Array<StatusOutcome | undefined>(reports.length),
): Promise<StatusOutcome[]> {
  let todo = reports.map((report, index) => ({ report, index }));
  while (todo.length > 0) {
    // A round holds at most one report per command, so each sees what the previous round wrote.
    const seen = new Set<string>();
    const round = todo.filter(({ report }) => !seen.has(report.frame.commandId) && seen.add(report.frame.commandId));
    const inRound = new Set(round);
    todo = todo.filter((t) => !inRound.has(t));
    await applyRound(db, round, now, outcomes);
  }
  return outcomes as StatusOutcome[];
}

/**
 * The common case of a fan-out, an agent accepting a command it was sent
 * (queued or sent -> acknowledged), in one statement: the row moves only if
 * it belongs to the reporting agent and is still in a state it may leave
 * this way. Settles those reports and returns the rest for the general path
 * (unknown, stale, late after a timeout or cancellation).
 */
async function applyAcknowledgements(db: Db, round: readonly { report: AgentStatusReport; index: number }[], now: number, outcomes: (StatusOutcome | undefined)[]) {
  const acks = round.filter(({ report }) => report.frame.state === 'acknowledged');
  if (acks.length === 0) return round;
  const values = JSON.stringify(acks.map(({ report }) => ({ id: report.frame.commandId, agent: report.agentId, at: new Date(report.frame.at).toISOString() })));
  const at = new Date(now);
  // Raw SQL returning only what a queued or sent row does not already tell (every other column of the outcome
  // is known: no result, no start or finish, no error before acceptance), so no row is built or parsed twice.
  const res = await db.execute(sql`update commands c set state = 'acknowledged', state_at = ${at.toISOString()}::timestamptz, acknowledged_at = v.at
      from jsonb_to_recordset(${values}::jsonb) as v(id text, agent text, at timestamptz)
      where c.id = v.id and c.host_id = v.agent and c.state in ('queued', 'sent')
      returning c.id, c.rollout_id as "rolloutId", c.error_code as "errorCode", c.error_message as "errorMessage"`);
  const reportOf = new Map(acks.map(({ report }) => [report.frame.commandId, report]));
  const written: StatusRow[] = resultRows<{ id: string; rolloutId: string | null; errorCode: string | null; errorMessage: string | null }>(res).map((r) => ({
    id: r.id,
    // The statement matched the row on the reporting agent and the reported time.
    hostId: reportOf.get(r.id)?.agentId as string,
    state: 'acknowledged',
    stateAt: at,
    acknowledgedAt: new Date(reportOf.get(r.id)?.frame.at as number),
    startedAt: null,
    finishedAt: null,
    result: null,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    rolloutId: r.rolloutId,
  }));
  const byId = new Map(written.map((r) => [r.id, r]));
  const rest: { report: AgentStatusReport; index: number }[] = [];
  for (const item of round) {
    const row = item.report.frame.state === 'acknowledged' ? byId.get(item.report.frame.commandId) : undefined;
    if (row) outcomes[item.index] = { kind: 'updated', row, terminal: false };
    else rest.push(item);
  }
  return rest;
}

async function applyRound(db: Db, all: readonly { report: AgentStatusReport; index: number }[], now: number, outcomes: (StatusOutcome | undefined)[]): Promise<void> {
  const round = await applyAcknowledgements(db, all, now, outcomes);
  if (round.length === 0) return;
  const rows = await db.select().from(commands).where(idIn(commands.id, round.map((r) => r.report.frame.commandId)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const planned: PlannedUpdate[] = [];
  for (const { report, index } of round) {
    const { agentId, frame } = report;
    const row = byId.get(frame.commandId);
    if (!row || row.hostId !== agentId) {
      outcomes[index] = { kind: 'unknown' };
      continue;
    }
    const next: CommandState = frame.state === 'refused' ? 'failed' : frame.state;
    const overridable = row.state === 'timed_out' || row.state === 'cancelled';
    if (!overridable && RANK[next] <= RANK[row.state]) {
      outcomes[index] = { kind: 'stale', row, terminal: isTerminalCommandState(row.state) };
      continue;
    }
    if (overridable && next === row.state) {
      outcomes[index] = { kind: 'stale', row, terminal: true };
      continue;
    }
    const agentAt = new Date(frame.at);
    const terminal = isTerminalCommandState(next);
    planned.push({
      index,
      row,
      next,
      terminal,
      refused: frame.state === 'refused',
      agentAt,
      // acknowledged: when the agent says; later states keep an earlier acknowledgement.
      acknowledgedAt: next === 'acknowledged' ? agentAt : (row.acknowledgedAt ?? agentAt),
      startedAt: next === 'running' ? agentAt : undefined,
      result: terminal ? (frame.result ?? null) : null,
      errorCode: terminal ? (frame.error?.code ?? null) : null,
      errorMessage: terminal ? (frame.error?.message ?? null) : null,
      // A late acknowledged/running after timed_out or cancelled: the agent has it, the old reason no longer holds.
      clearError: overridable && !terminal,
    });
  }
  if (planned.length === 0) return;
  const at = new Date(now);
  const updatedIds = await db.transaction(async (tx) => {
    // One statement for the whole round; each row still only moves from the state we read, so two
    // sessions of one agent (old and new, or on two replicas) cannot interleave updates.
    const values = JSON.stringify(
      planned.map((p) => ({
        id: p.row.id,
        expected: p.row.state,
        state: p.next,
        acknowledged_at: p.acknowledgedAt.toISOString(),
        set_started: p.startedAt !== undefined,
        started_at: p.startedAt?.toISOString() ?? null,
        terminal: p.terminal,
        finished_at: p.terminal ? p.agentAt.toISOString() : null,
        result: p.result,
        error_code: p.errorCode,
        error_message: p.errorMessage,
        clear_error: p.clearError,
      })),
    );
    const res = await tx.execute(sql`update ${commands} c set
        state = v.state,
        state_at = ${at.toISOString()}::timestamptz,
        acknowledged_at = v.acknowledged_at,
        started_at = case when v.set_started then v.started_at else c.started_at end,
        finished_at = case when v.terminal then v.finished_at else c.finished_at end,
        result = case when v.terminal then nullif(v.result, 'null'::jsonb) else c.result end,
        error_code = case when v.terminal then v.error_code when v.clear_error then null else c.error_code end,
        error_message = case when v.terminal then v.error_message when v.clear_error then null else c.error_message end
      from jsonb_to_recordset(${values}::jsonb) as v(id text, expected text, state text, acknowledged_at timestamptz, set_started boolean, started_at timestamptz,
        terminal boolean, finished_at timestamptz, result jsonb, error_code text, error_message text, clear_error boolean)
      where c.id = v.id and c.state = v.expected
      returning c.id`);
    const ids = new Set(resultRows<{ id: string }>(res).map((r) => r.id));
    const audited = planned.filter((p) => p.terminal && ids.has(p.row.id));
    if (audited.length > 0) {
      await auditMany(
        tx,
        at,
        audited.map((p) => {
          const agentId = p.row.hostId;
          return {
            actor: `agent:${agentId}`,
            action: `command.${p.next}`,
            targetType: 'command',
            targetId: p.row.id,
            details: { hostId: agentId, action: p.row.action, target: p.row.target, rolloutId: p.row.rolloutId, refused: p.refused, errorCode: p.errorCode, rebootRequired: p.result?.rebootRequired ?? null },
          };
        }),
      );
    }
    return ids;
  });
  // Committed: settle the winners at once with the row as written, so a failing read-back below cannot lose them.
  for (const p of planned) {
    if (!updatedIds.has(p.row.id)) continue;
    const written: CommandRow = { ...p.row, state: p.next, stateAt: at, acknowledgedAt: p.acknowledgedAt, startedAt: p.startedAt ?? p.row.startedAt };
    if (p.terminal) Object.assign(written, { finishedAt: p.agentAt, result: p.result, errorCode: p.errorCode, errorMessage: p.errorMessage });
    outcomes[p.index] = { kind: 'updated', row: written, terminal: p.terminal };
  }
  // Read back what was written (typed rows) and, for the losers of a race, what is there now.
  const fresh = await db.select().from(commands).where(idIn(commands.id, planned.map((p) => p.row.id)));
  const freshById = new Map(fresh.map((r) => [r.id, r]));
  for (const p of planned) {
    const current = freshById.get(p.row.id);
    if (updatedIds.has(p.row.id)) {
      if (current) outcomes[p.index] = { kind: 'updated', row: current, terminal: p.terminal };
    } else outcomes[p.index] = { kind: 'stale', row: current ?? p.row, terminal: current ? isTerminalCommandState(current.state) : false };
  }
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
    .set({ state: 'timed_out', stateAt: at, errorCode: Errors.COMMAND_UNDELIVERED.code, errorMessage: 'not accepted by the agent before notAfter' })
    .where(and(inArray(commands.state, ['queued', 'sent']), sql`${commands.notAfter} <= ${at.toISOString()}::timestamptz`))
    .returning();
  const silent = await db
    .update(commands)
    .set({ state: 'timed_out', stateAt: at, errorCode: Errors.COMMAND_NO_RESULT.code, errorMessage: `accepted but no result within ${Math.round(runAllowanceMs / 60000)} min after notAfter` })
    .where(and(inArray(commands.state, ['acknowledged', 'running']), sql`${commands.notAfter} <= ${new Date(now - runAllowanceMs).toISOString()}::timestamptz`))
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
    .set({ state: 'cancelled', stateAt: at, errorCode: Errors.COMMAND_CANCELLED.code, errorMessage: `cancelled by ${actor}` })
    .where(and(scope, inArray(commands.state, ['queued', 'sent'])))
    .returning();
  await auditMany(db, at, rows.map((r) => ({ actor, action: 'command.cancel', targetType: 'command', targetId: r.id, details: { hostId: r.hostId, rolloutId: r.rolloutId } })));
  return rows;
}

/** How many commands the database holds in each state, every state present (for `/metrics`). */
export async function countCommandsByState(db: Db): Promise<Record<CommandState, number>> {
  const rows = await db.select({ state: commands.state, n: sql<number>`count(*)::int` }).from(commands).groupBy(commands.state);
  const out = Object.fromEntries(COMMAND_STATES.map((s) => [s, 0])) as Record<CommandState, number>;
  for (const r of rows) out[r.state] = Number(r.n);
  return out;
}
