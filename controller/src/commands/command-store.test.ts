/** Command rows: signed creation, delivery bookkeeping, the agent-driven lifecycle, expiry and cancellation, each audited. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { commandSigningPayload, makeFrame, nodeEd25519, verifyCanonical, type CommandResult } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../db/index';
import { auditLog, commands, hosts } from '../db/schema/index';
import { applyAgentStatus, applyAgentStatuses, cancelCommands, createCommands, deliverableCommands, expireCommands, markSent, prepareCommands, storeCommands, unmarkSent, type CommandRow, type CommandSpec } from './command-store';
import { signedCommandOf } from './signing';

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;
const ALLOWANCE = 2 * HOUR;
const keys = nodeEd25519.generateKeyPair();

let tdb: TestDatabase;
let db: Db;
beforeEach(async () => {
  tdb = await openTestDatabase();
  db = tdb.database.db;
  await db.insert(hosts).values(['h1', 'h2'].map((id) => ({ id, hostname: id, enrolledAt: new Date(T0) })));
});
afterEach(async () => {
  await tdb.cleanup();
});

const spec = (over: Partial<CommandSpec> = {}): CommandSpec => ({ hostId: 'h1', action: 'install', target: 'openssl', params: { packages: [{ name: 'openssl', version: '1.1-1' }] }, ttlMs: 10 * MIN, ...over });

async function create(specs: CommandSpec[], now = T0): Promise<CommandRow[]> {
  return db.transaction((tx) => createCommands(tx, specs, { now, secretKey: keys.secretKey, actor: 'token:tk_ops', requestId: 'req-1' }));
}

function report(hostId: string, commandId: string, state: 'acknowledged' | 'running' | 'succeeded' | 'failed' | 'refused', at: number, extra: { result?: CommandResult; error?: { code: string; message: string } } = {}) {
  return applyAgentStatus(db, hostId, makeFrame('commandStatus', { commandId, state, at, ...extra }, at), at);
}

async function row(id: string): Promise<CommandRow> {
  const [r] = await db.select().from(commands).where(eq(commands.id, id));
  if (!r) throw new Error(`no command ${id}`);
  return r;
}

async function auditsOf(id: string): Promise<string[]> {
  return (await db.select().from(auditLog).where(eq(auditLog.targetId, id)).orderBy(auditLog.id)).map((a) => a.action);
}

describe('createCommands', () => {
  it('stores queued commands with a signature agents verify, and audits each', async () => {
    const rows = await create([spec(), spec({ hostId: 'h2', action: 'reboot', params: { reason: 'patch', delaySec: 60 }, ttlMs: HOUR, rolloutId: 'ro_1', ringId: 'rg_test' })]);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.state).toBe('queued');
      expect(r.issuedAt.getTime()).toBe(T0);
      expect(verifyCanonical(commandSigningPayload(signedCommandOf(r)), r.signature, keys.publicKey)).toBe(true);
      // Any change to a signed field breaks it.
      expect(verifyCanonical(commandSigningPayload(signedCommandOf({ ...r, target: `${r.target}x` })), r.signature, keys.publicKey)).toBe(false);
      expect(verifyCanonical(commandSigningPayload(signedCommandOf({ ...r, hostId: r.hostId === 'h1' ? 'h2' : 'h1' })), r.signature, keys.publicKey)).toBe(false);
    }
    expect(rows[0]?.notAfter.getTime()).toBe(T0 + 10 * MIN);
    expect(rows[1]).toMatchObject({ rolloutId: 'ro_1', ringId: 'rg_test', createdBy: 'token:tk_ops' });
    // The stored row (as read back) still verifies.
    const stored = await row(rows[1]?.id ?? '');
    expect(verifyCanonical(commandSigningPayload(signedCommandOf(stored)), stored.signature, keys.publicKey)).toBe(true);
    const issued = await db.select().from(auditLog).where(eq(auditLog.action, 'command.issue'));
    expect(issued.map((a) => a.targetId).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(issued.every((a) => a.actor === 'token:tk_ops' && a.requestId === 'req-1' && a.at.getTime() === T0)).toBe(true);
    // The audit row's details, written in the same transaction as the command.
    const second = issued.find((a) => a.targetId === rows[1]?.id);
    expect(second?.details).toEqual({ hostId: 'h2', action: 'reboot', target: 'openssl', rolloutId: 'ro_1', notAfter: new Date(T0 + HOUR).toISOString() });
    expect(issued.find((a) => a.targetId === rows[0]?.id)?.details).toEqual({ hostId: 'h1', action: 'install', target: 'openssl', rolloutId: null, notAfter: new Date(T0 + 10 * MIN).toISOString() });
  });

  it('stores a prepared batch with its audit rows in one transaction: a refused batch leaves neither', async () => {
    // h3 does not exist: the foreign key refuses the batch.
    const refused = prepareCommands([spec(), spec({ hostId: 'h3' })], { now: T0, secretKey: keys.secretKey, actor: 'token:tk_ops' });
    await expect(db.transaction((tx) => storeCommands(tx, refused))).rejects.toThrow();
    expect(await db.select().from(commands)).toEqual([]);
    expect(await db.select().from(auditLog).where(eq(auditLog.action, 'command.issue'))).toEqual([]);
    const ok = prepareCommands([spec(), spec({ hostId: 'h2' })], { now: T0, secretKey: keys.secretKey, actor: 'token:tk_ops' });
    const rows = await db.transaction((tx) => storeCommands(tx, ok));
    expect((await db.select().from(commands)).map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect((await db.select().from(auditLog).where(eq(auditLog.action, 'command.issue'))).map((a) => a.requestId)).toEqual([null, null]);
    for (const r of rows) expect(verifyCanonical(commandSigningPayload(signedCommandOf(await row(r.id))), r.signature, keys.publicKey)).toBe(true);
  });
});

describe('delivery', () => {
  it('stores commands for hosts the caller writes to at once as sent; unmarkSent takes back those it could not write', async () => {
    const rows = await db.transaction((tx) => createCommands(tx, [spec(), spec({ hostId: 'h2' })], { now: T0, secretKey: keys.secretKey, actor: 'token:tk_ops', sendingTo: new Set(['h1']) }));
    const [a, b] = rows;
    if (!a || !b) throw new Error('rows');
    expect(a).toMatchObject({ state: 'sent', sentAt: new Date(T0), deliveries: 1 });
    expect(await row(a.id)).toMatchObject({ state: 'sent', sentAt: new Date(T0), deliveries: 1, stateAt: new Date(T0) });
    expect(await row(b.id)).toMatchObject({ state: 'queued', sentAt: null, deliveries: 0 });
    expect(new Set(rows.map((r) => r.id)).size).toBe(2);
    expect(rows.every((r) => /^cmd_[0-9a-f]{20}$/.test(r.id))).toBe(true);
    await unmarkSent(db, [a.id, b.id]);
    expect(await row(a.id)).toMatchObject({ state: 'queued', sentAt: null, deliveries: 0 });
    expect(await row(b.id)).toMatchObject({ state: 'queued', deliveries: 0 });
    // An accepted command stays accepted.
    await markSent(db, [a.id], T0 + MIN);
    await report('h1', a.id, 'acknowledged', T0 + MIN);
    await unmarkSent(db, [a.id]);
    expect(await row(a.id)).toMatchObject({ state: 'acknowledged', deliveries: 1 });
  });

  it('lists queued and sent unexpired commands of the given hosts; markSent moves queued to sent and counts deliveries', async () => {
    const [a, b, other] = await create([spec(), spec({ ttlMs: 2 * MIN }), spec({ hostId: 'h2' })]);
    const [late] = await create([spec()], T0 + MIN);
    if (!a || !b || !other || !late) throw new Error('rows');
    await report('h1', late.id, 'acknowledged', T0 + MIN);
    expect((await deliverableCommands(db, ['h1'], T0 + MIN)).map((r) => r.id)).toEqual([a.id, b.id].sort((x, y) => (x < y ? -1 : 1)));

    await markSent(db, [a.id], T0 + MIN);
    await markSent(db, [a.id], T0 + 2 * MIN);
    expect(await row(a.id)).toMatchObject({ state: 'sent', deliveries: 2, sentAt: new Date(T0 + MIN), stateAt: new Date(T0 + MIN) });
    // b expires at T0+2min: no longer deliverable then; sent ones still are.
    expect((await deliverableCommands(db, ['h1', 'h2'], T0 + 2 * MIN)).map((r) => r.id).sort()).toEqual([a.id, other.id].sort());
    expect(await deliverableCommands(db, [], T0)).toEqual([]);
    // markSent does not move an accepted command back.
    await markSent(db, [late.id], T0 + 3 * MIN);
    expect(await row(late.id)).toMatchObject({ state: 'acknowledged', deliveries: 1 });
  });
});

describe('applyAgentStatus', () => {
  it('moves only forward: a stale acknowledged after running is ignored; a repeated terminal report is stale and terminal', async () => {
    const [c] = await create([spec()]);
    if (!c) throw new Error('row');
    expect(await report('h1', c.id, 'acknowledged', T0 + 1000)).toMatchObject({ kind: 'updated', terminal: false });
    expect(await report('h1', c.id, 'running', T0 + 2000)).toMatchObject({ kind: 'updated', terminal: false, row: { state: 'running', startedAt: new Date(T0 + 2000), acknowledgedAt: new Date(T0 + 1000) } });
    const stale = await report('h1', c.id, 'acknowledged', T0 + 3000);
    expect(stale).toMatchObject({ kind: 'stale', terminal: false });
    expect((await row(c.id)).state).toBe('running');

    const result = { rebootRequired: true, exitCode: 0, replaced: [{ name: 'openssl', from: '1.0-1', to: '1.1-1' }] };
    expect(await report('h1', c.id, 'succeeded', T0 + 4000, { result })).toMatchObject({ kind: 'updated', terminal: true, row: { state: 'succeeded', result, finishedAt: new Date(T0 + 4000) } });
    expect(await report('h1', c.id, 'succeeded', T0 + 5000, { result })).toMatchObject({ kind: 'stale', terminal: true });
    expect(await report('h1', c.id, 'failed', T0 + 6000, { error: { code: 'PF_ERR_X', message: 'x' } })).toMatchObject({ kind: 'stale', terminal: true });
    expect(await row(c.id)).toMatchObject({ state: 'succeeded', errorCode: null, finishedAt: new Date(T0 + 4000) });
    expect(await auditsOf(c.id)).toEqual(['command.issue', 'command.succeeded']);
  });

  it('records refused as failed with the error, audited', async () => {
    const [c] = await create([spec()]);
    if (!c) throw new Error('row');
    expect(await report('h1', c.id, 'refused', T0 + 1000, { error: { code: 'PF_ERR_COMMAND_EXPIRED', message: 'too late' } })).toMatchObject({ kind: 'updated', terminal: true });
    expect(await row(c.id)).toMatchObject({ state: 'failed', errorCode: 'PF_ERR_COMMAND_EXPIRED', errorMessage: 'too late', acknowledgedAt: new Date(T0 + 1000) });
    const [a] = await db.select().from(auditLog).where(eq(auditLog.action, 'command.failed'));
    expect(a).toMatchObject({ actor: 'agent:h1', targetId: c.id, details: { refused: true, errorCode: 'PF_ERR_COMMAND_EXPIRED' } });
  });

  it('lets a late agent result win over timed_out and cancelled', async () => {
    const [t, x] = await create([spec(), spec({ ttlMs: HOUR })]);
    if (!t || !x) throw new Error('rows');
    await expireCommands(db, T0 + 10 * MIN, ALLOWANCE);
    await db.transaction((tx) => cancelCommands(tx, { ids: [x.id] }, T0 + 10 * MIN, 'token:tk_ops'));
    expect((await row(t.id)).state).toBe('timed_out');
    expect(await report('h1', t.id, 'succeeded', T0 + 11 * MIN, { result: { exitCode: 0 } })).toMatchObject({ kind: 'updated', terminal: true });
    expect(await row(t.id)).toMatchObject({ state: 'succeeded', errorCode: null, errorMessage: null });
    expect(await auditsOf(t.id)).toEqual(['command.issue', 'command.timed_out', 'command.succeeded']);
    expect((await row(x.id)).state).toBe('cancelled');
    expect(await report('h1', x.id, 'acknowledged', T0 + 11 * MIN)).toMatchObject({ kind: 'updated', terminal: false });
    // The agent has it after all: the cancellation's reason no longer describes the command.
    expect(await row(x.id)).toMatchObject({ state: 'acknowledged', errorCode: null, errorMessage: null });
    expect(await report('h1', x.id, 'failed', T0 + 11 * MIN, { error: { code: 'PF_ERR_APT_FAILED', message: 'dpkg' } })).toMatchObject({ kind: 'updated', terminal: true });
    expect((await row(x.id)).state).toBe('failed');
  });

  it('applies a batch in order: acknowledgements in one statement, another agent’s acknowledgement unknown, a second report on one command after the first', async () => {
    const [a, b, c, d] = await create([spec(), spec(), spec({ hostId: 'h2' }), spec()]);
    if (!a || !b || !c || !d) throw new Error('rows');
    await markSent(db, [a.id], T0 + 500);
    await report('h1', d.id, 'running', T0 + 600);
    const frame = (commandId: string, state: 'acknowledged' | 'running', at: number) => makeFrame('commandStatus', { commandId, state, at }, at);
    const outcomes = await applyAgentStatuses(
      db,
      [
        { agentId: 'h1', frame: frame(a.id, 'acknowledged', T0 + 1000) },
        { agentId: 'h1', frame: frame(c.id, 'acknowledged', T0 + 1000) }, // h2's command
        { agentId: 'h1', frame: frame(b.id, 'acknowledged', T0 + 1100) },
        { agentId: 'h1', frame: frame(b.id, 'running', T0 + 1200) },
        { agentId: 'h1', frame: frame(d.id, 'acknowledged', T0 + 1300) }, // already running: stale
      ],
      T0 + 2000,
    );
    expect(outcomes.map((o) => o.kind)).toEqual(['updated', 'unknown', 'updated', 'updated', 'stale']);
    expect(outcomes[0]).toMatchObject({ terminal: false, row: { id: a.id, state: 'acknowledged', acknowledgedAt: new Date(T0 + 1000), stateAt: new Date(T0 + 2000), startedAt: null, errorCode: null } });
    // The acknowledgement path builds its outcome without reading the row back: it must be the stored row's columns.
    const stored = await row(a.id);
    const { id, hostId, state, stateAt, acknowledgedAt, startedAt, finishedAt, result, errorCode, errorMessage, rolloutId } = stored;
    expect(outcomes[0]).toEqual({ kind: 'updated', terminal: false, row: { id, hostId, state, stateAt, acknowledgedAt, startedAt, finishedAt, result, errorCode, errorMessage, rolloutId } });
    expect(stored).toMatchObject({ sentAt: new Date(T0 + 500), deliveries: 1, hostId: 'h1' });
    expect(stored).toMatchObject({ state: 'acknowledged', acknowledgedAt: new Date(T0 + 1000) });
    expect(await row(b.id)).toMatchObject({ state: 'running', acknowledgedAt: new Date(T0 + 1100), startedAt: new Date(T0 + 1200) });
    expect((await row(c.id)).state).toBe('queued');
    expect((await row(d.id)).state).toBe('running');
  });

  it('answers unknown for another agent’s command and for no command at all', async () => {
    const [c] = await create([spec()]);
    if (!c) throw new Error('row');
    expect(await report('h2', c.id, 'succeeded', T0 + 1000)).toEqual({ kind: 'unknown' });
    expect(await report('h1', 'cmd_nope', 'succeeded', T0 + 1000)).toEqual({ kind: 'unknown' });
    expect((await row(c.id)).state).toBe('queued');
  });
});

describe('expireCommands', () => {
  it('times out undelivered commands at notAfter and accepted-but-silent ones only after the run allowance', async () => {
    const [queued, sent, acked, running, done] = await create([spec(), spec(), spec(), spec(), spec()]);
    if (!queued || !sent || !acked || !running || !done) throw new Error('rows');
    await markSent(db, [sent.id, acked.id, running.id, done.id], T0 + MIN);
    await report('h1', acked.id, 'acknowledged', T0 + 2 * MIN);
    await report('h1', running.id, 'running', T0 + 2 * MIN);
    await report('h1', done.id, 'succeeded', T0 + 2 * MIN);

    expect(await expireCommands(db, T0 + 10 * MIN - 1, ALLOWANCE)).toEqual([]);
    const first = await expireCommands(db, T0 + 10 * MIN, ALLOWANCE);
    expect(first.map((r) => r.id).sort()).toEqual([queued.id, sent.id].sort());
    expect(await row(sent.id)).toMatchObject({ state: 'timed_out', errorCode: 'PF_ERR_COMMAND_UNDELIVERED', stateAt: new Date(T0 + 10 * MIN) });
    expect((await row(acked.id)).state).toBe('acknowledged');

    expect(await expireCommands(db, T0 + 10 * MIN + ALLOWANCE - 1, ALLOWANCE)).toEqual([]);
    const second = await expireCommands(db, T0 + 10 * MIN + ALLOWANCE, ALLOWANCE);
    expect(second.map((r) => r.id).sort()).toEqual([acked.id, running.id].sort());
    expect(await row(running.id)).toMatchObject({ state: 'timed_out', errorCode: 'PF_ERR_COMMAND_NO_RESULT' });
    expect((await row(done.id)).state).toBe('succeeded');
    for (const c of [queued, sent, acked, running]) expect(await auditsOf(c.id)).toContain('command.timed_out');
    expect(await auditsOf(done.id)).not.toContain('command.timed_out');
  });
});

describe('cancelCommands', () => {
  it('cancels only queued and sent commands of the rollout (or ids), audited', async () => {
    const [q, s, a, other] = await create([spec({ rolloutId: 'ro_1' }), spec({ rolloutId: 'ro_1' }), spec({ rolloutId: 'ro_1' }), spec({ rolloutId: 'ro_2' })]);
    if (!q || !s || !a || !other) throw new Error('rows');
    await markSent(db, [s.id, a.id], T0 + MIN);
    await report('h1', a.id, 'acknowledged', T0 + MIN);
    const cancelled = await db.transaction((tx) => cancelCommands(tx, { rolloutId: 'ro_1' }, T0 + 2 * MIN, 'token:tk_ops'));
    expect(cancelled.map((r) => r.id).sort()).toEqual([q.id, s.id].sort());
    expect(await row(q.id)).toMatchObject({ state: 'cancelled', errorCode: 'PF_ERR_COMMAND_CANCELLED', errorMessage: 'cancelled by token:tk_ops' });
    expect((await row(a.id)).state).toBe('acknowledged');
    expect((await row(other.id)).state).toBe('queued');
    const [c] = await db.select().from(auditLog).where(eq(auditLog.action, 'command.cancel'));
    expect(c?.actor).toBe('token:tk_ops');
    expect((await db.select().from(auditLog).where(eq(auditLog.action, 'command.cancel'))).map((r) => r.targetId).sort()).toEqual([q.id, s.id].sort());

    const byId = await db.transaction((tx) => cancelCommands(tx, { ids: [other.id, a.id] }, T0 + 3 * MIN, 'system'));
    expect(byId.map((r) => r.id)).toEqual([other.id]);
    // Nothing left to cancel.
    expect(await db.transaction((tx) => cancelCommands(tx, { rolloutId: 'ro_1' }, T0 + 4 * MIN, 'system'))).toEqual([]);
  });
});
