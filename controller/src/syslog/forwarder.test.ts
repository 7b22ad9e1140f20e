/**
 * The audit forwarder against real listeners on 127.0.0.1 (TCP, and TLS with
 * a self-signed certificate made here) and a real database (PGlite, or
 * PostgreSQL with DATABASE_URL): exact frames and fields, a cursor that
 * survives a restart without losing or repeating an entry, reconnecting
 * after the receiver went away, and entries of a running transaction held
 * back until it commits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { audit } from '../audit/audit';
import { auditEntriesAfter, AUDIT_LOG_START } from '../audit/follow';
import type { Db } from '../db/index';
import { auditLog, syslogCursor } from '../db/schema/index';
import { createLogger } from '../logger';
import { localCertificate } from '../webhooks/receiver.test-support';
import { FACILITIES } from './format';
import { SyslogForwarder, type ForwarderSettings } from './forwarder';
import { startSyslogListener, type SyslogListener } from './listener.test-support';

let tdb: TestDatabase;
let db: Db;
const listeners: SyslogListener[] = [];
const forwarders: SyslogForwarder[] = [];
const log = createLogger({ level: 'silent' });
const AT = new Date('2026-11-23T12:00:00.250Z');

beforeEach(async () => {
  tdb = await openTestDatabase();
  db = tdb.database.db;
});
afterEach(async () => {
  for (const f of forwarders.splice(0)) await f.stop();
  for (const l of listeners.splice(0)) await l.close();
  await tdb.cleanup();
});

async function listener(opts: Parameters<typeof startSyslogListener>[0] = {}): Promise<SyslogListener> {
  const l = await startSyslogListener(opts);
  listeners.push(l);
  return l;
}

function forwarder(settings: Partial<ForwarderSettings> & Pick<ForwarderSettings, 'target'>, opts: ConstructorParameters<typeof SyslogForwarder>[2] = {}): SyslogForwarder {
  const f = new SyslogForwarder({ db, dbKind: tdb.database.kind, clock: systemClock, log, controllerId: 'ctl_test1' }, { facility: FACILITIES.local4, format: 'json', hostname: 'ctl-host', ...settings }, { pollMs: 20, minBackoffMs: 20, maxBackoffMs: 100, settleMs: 50, ...opts });
  forwarders.push(f);
  return f;
}

async function allIds(): Promise<number[]> {
  return (await db.select({ id: auditLog.id }).from(auditLog).orderBy(auditLog.id)).map((r) => r.id);
}

const auditIdOf = (message: string): number => Number(/auditId="(\d+)"/.exec(message)?.[1]);

/**
 * Polls `check` for up to 30 s. Entries are followed only below the oldest writing transaction of the whole
 * PostgreSQL server (audit/follow.ts): on a server shared with other tests they may wait a moment.
 */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Rounds of `f` until `count` entries went; returns how many each round sent (the rounds that sent any). */
async function forwardAll(f: SyslogForwarder, count: number): Promise<number[]> {
  const rounds: number[] = [];
  await until(async () => {
    const n = await f.forwardOnce();
    if (n > 0) rounds.push(n);
    return rounds.reduce((a, b) => a + b, 0) >= count;
  }, `${count} entries forwarded`);
  return rounds;
}

describe('syslog forwarder', () => {
  it('sends every audit entry over TCP as an octet-counted RFC 5424 message with exact fields', async () => {
    const l = await listener();
    await audit(db, AT, { actor: 'system', action: 'rollout.halted', targetType: 'rollout', targetId: 'ro_1', details: { reason: 'ring Test: 1 of 2 hosts failed' } });
    await audit(db, AT, { actor: 'token:at_9', action: 'block.lift', targetType: 'block', targetId: 'bk_"1"]', details: { reason: 'fixed ünïcode' }, requestId: 'rq_7' });
    const f = forwarder({ target: { transport: 'tcp', host: '127.0.0.1', port: l.port } });
    const ids = await allIds();
    await forwardAll(f, ids.length);
    await until(() => l.messages.length === ids.length, 'the messages');
    expect(l.errors).toEqual([]);
    expect(l.messages.map(auditIdOf)).toEqual(ids);

    const [halted, lifted] = ids.slice(-2).map((id) => l.messages.find((m) => auditIdOf(m) === id));
    // local4 (20) * 8 + warning (4) = 164; local4 * 8 + informational (6) = 166.
    expect(halted).toBe(
      `<164>1 2026-11-23T12:00:00.250Z ctl-host patchfleet ctl_test1 rollout.halted [patchfleet@32473 auditId="${ids.at(-2)}" actor="system" targetType="rollout" targetId="ro_1"] \uFEFF` +
        JSON.stringify({ id: ids.at(-2), at: '2026-11-23T12:00:00.250Z', actor: 'system', action: 'rollout.halted', targetType: 'rollout', targetId: 'ro_1', requestId: null, details: { reason: 'ring Test: 1 of 2 hosts failed' } }),
    );
    expect(lifted).toBe(
      `<166>1 2026-11-23T12:00:00.250Z ctl-host patchfleet ctl_test1 block.lift [patchfleet@32473 auditId="${ids.at(-1)}" actor="token:at_9" targetType="block" targetId="bk_\\"1\\"\\]" requestId="rq_7"] \uFEFF` +
        JSON.stringify({ id: ids.at(-1), at: '2026-11-23T12:00:00.250Z', actor: 'token:at_9', action: 'block.lift', targetType: 'block', targetId: 'bk_"1"]', requestId: 'rq_7', details: { reason: 'fixed ünïcode' } }),
    );
    // Nothing new: nothing sent.
    expect(await f.forwardOnce()).toBe(0);
  });

  it('sends over TLS to a receiver whose certificate the configured CA vouches for, and refuses one it does not', async () => {
    const material = await localCertificate();
    const l = await listener({ tls: material });
    await audit(db, AT, { actor: 'system', action: 'rollout.start', targetType: 'rollout', targetId: 'ro_tls' });
    const untrusting = forwarder({ target: { transport: 'tls', host: '127.0.0.1', port: l.port } });
    let refused: unknown;
    await until(() => untrusting.forwardOnce().then(() => false, (err: unknown) => ((refused = err), true)), 'the TLS refusal');
    expect(String(refused)).toMatch(/self.signed|certificate/i);
    expect(l.messages).toEqual([]);
    // Nothing was sent, so nothing is skipped: the cursor did not move.
    expect(await db.select().from(syslogCursor)).toEqual([]);

    const f = forwarder({ target: { transport: 'tls', host: '127.0.0.1', port: l.port }, ca: material.cert, format: 'kv' });
    const ids = await allIds();
    await forwardAll(f, ids.length);
    await until(() => l.messages.length === ids.length, 'the TLS messages');
    expect(l.errors).toEqual([]);
    const last = l.messages.at(-1);
    expect(last).toBe(
      `<166>1 2026-11-23T12:00:00.250Z ctl-host patchfleet ctl_test1 rollout.start [patchfleet@32473 auditId="${ids.at(-1)}" actor="system" targetType="rollout" targetId="ro_tls"] \uFEFF` +
        `id=${ids.at(-1)} at=2026-11-23T12:00:00.250Z actor=system action=rollout.start targetType=rollout targetId=ro_tls requestId=""`,
    );
  });

  it('resumes after a restart from the saved cursor: nothing lost, nothing sent twice', async () => {
    const l = await listener();
    for (let i = 0; i < 5; i++) await audit(db, AT, { actor: 'system', action: 'test.entry', targetType: 'test', targetId: `t${i}` });
    const target = { transport: 'tcp' as const, host: '127.0.0.1', port: l.port };
    const first = forwarder({ target }, { batch: 3 });
    const sent = (await forwardAll(first, 1)).reduce((a, b) => a + b, 0);
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(3);
    await first.stop();
    await until(() => l.messages.length === sent, 'the first batch');
    for (let i = 5; i < 8; i++) await audit(db, AT, { actor: 'system', action: 'test.entry', targetType: 'test', targetId: `t${i}` });
    // A new process: a new forwarder, the same database.
    const second = forwarder({ target }, { batch: 3 });
    second.start();
    const ids = await allIds();
    await until(() => l.messages.length >= ids.length, 'every entry');
    await new Promise((r) => setTimeout(r, 100));
    expect(l.messages.map(auditIdOf)).toEqual(ids);
    expect(l.errors).toEqual([]);
  });

  it('reconnects with backoff after the receiver went away and sends what was written meanwhile', async () => {
    const l1 = await listener();
    const port = l1.port;
    await audit(db, AT, { actor: 'system', action: 'test.before', targetType: 'test', targetId: 'a' });
    const f = forwarder({ target: { transport: 'tcp', host: '127.0.0.1', port } });
    f.start();
    const before = await allIds();
    await until(() => l1.messages.length === before.length, 'the first entries');
    await l1.close();
    listeners.splice(listeners.indexOf(l1), 1);
    await audit(db, AT, { actor: 'system', action: 'test.during', targetType: 'test', targetId: 'b' });
    // Receiver down for a while: the forwarder fails and backs off.
    await new Promise((r) => setTimeout(r, 200));
    const l2 = await listener({ port });
    await audit(db, AT, { actor: 'system', action: 'test.after', targetType: 'test', targetId: 'c' });
    const ids = await allIds();
    await until(() => l2.messages.length > 0 && auditIdOf(l2.messages.at(-1) ?? '') === ids.at(-1), 'the entries after the outage');
    // Every entry reached one receiver or the other, in order: one written into a connection that had just broken is sent again (may come twice), never lost.
    const got = [...l1.messages, ...l2.messages].map(auditIdOf);
    expect([...new Set(got)]).toEqual(ids);
    expect(l2.connections).toBe(1);
  });

  it('does not move the cursor past a batch whose connection broke right after it was written', async () => {
    const l = await listener({ dropOnData: true });
    await audit(db, AT, { actor: 'system', action: 'test.lost', targetType: 'test', targetId: 'x' });
    const f = forwarder({ target: { transport: 'tcp', host: '127.0.0.1', port: l.port } }, { settleMs: 200 });
    let failure: unknown;
    await until(() => f.forwardOnce().then(() => false, (err: unknown) => ((failure = err), true)), 'the broken send');
    expect(String(failure)).toMatch(/ECONNRESET|closed|broke right after/);
    expect(await db.select().from(syslogCursor)).toEqual([]);
  });
});

describe('following the audit log', () => {
  it('holds back entries of a transaction still running, and takes them once it commits', async () => {
    await audit(db, AT, { actor: 'system', action: 'test.committed', targetType: 'test', targetId: 'a' });
    await until(async () => (await auditEntriesAfter(db, AUDIT_LOG_START, 100)).some((s) => s.entry.action === 'test.committed'), 'the committed entry');
    await db.transaction(async (tx) => {
      await audit(tx, AT, { actor: 'system', action: 'test.running', targetType: 'test', targetId: 'b' });
      // Inside the writing transaction its own entry is visible to a query, but not yet safe to follow.
      expect((await tx.select().from(auditLog)).map((r) => r.action)).toContain('test.running');
      expect((await auditEntriesAfter(tx, AUDIT_LOG_START, 100)).map((s) => s.entry.action)).not.toContain('test.running');
    });
    let after: Awaited<ReturnType<typeof auditEntriesAfter>> = [];
    await until(async () => (after = await auditEntriesAfter(db, AUDIT_LOG_START, 100)).some((s) => s.entry.action === 'test.running'), 'the entry once committed');
    // The cursor moves forward strictly: from the last one, nothing.
    expect(await auditEntriesAfter(db, after.at(-1)!.cursor, 100)).toEqual([]);
  });
});
