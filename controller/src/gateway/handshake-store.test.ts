/** The handshake's batched statements on PGlite or (DATABASE_URL) PostgreSQL. */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { agentKeys, hostSessions, hosts } from '../db/schema/index';
import { HandshakeStore } from './handshake-store';

describe('HandshakeStore', () => {
  let t: TestDatabase;
  let store: HandshakeStore;
  const at = new Date('2026-01-01T00:00:00Z');

  beforeEach(async () => {
    t = await openTestDatabase();
    const db = t.database.db;
    await db.insert(hosts).values([
      { id: 'h_ok', hostname: 'ok', enrolledAt: at, lastSeq: 41, reportEpoch: 'ep1' },
      { id: 'h_revoked', hostname: 'revoked', enrolledAt: at, status: 'revoked' },
      { id: 'h_oldkey', hostname: 'old key', enrolledAt: at },
      { id: 'h_later', hostname: 'later', enrolledAt: at },
    ]);
    await db.insert(agentKeys).values([
      { publicKey: 'key-ok', hostId: 'h_ok', createdAt: at },
      { publicKey: 'key-revoked-host', hostId: 'h_revoked', createdAt: at },
      { publicKey: 'key-old', hostId: 'h_oldkey', createdAt: at, revokedAt: at },
      { publicKey: 'key-later', hostId: 'h_later', createdAt: at },
    ]);
    // Window 0: a batch is what one event-loop turn gathers.
    store = new HandshakeStore(db, systemClock, systemClock, 0);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('looks up the agents of concurrent handshakes in one SELECT, each answered with its own row', async () => {
    const [ok, revoked, oldKey, unknown, again] = await Promise.all(['h_ok', 'h_revoked', 'h_oldkey', 'h_nobody', 'h_ok'].map((id) => store.lookUp(id)));
    expect(store.stats.lookups).toMatchObject({ batches: 1, items: 5 });
    expect(ok).toEqual({ publicKey: 'key-ok', status: 'active', lastSeq: 41, reportEpoch: 'ep1' });
    expect(again).toEqual(ok);
    // A revoked host is found, with its status: the handshake refuses it as revoked.
    expect(revoked).toMatchObject({ publicKey: 'key-revoked-host', status: 'revoked' });
    // A revoked key and an unknown agent have no row.
    expect(oldKey).toBeUndefined();
    expect(unknown).toBeUndefined();
  });

  it('reads the status afresh for every handshake: a host revoked after its last handshake is refused at the next', async () => {
    expect((await store.lookUp('h_later'))?.status).toBe('active');
    await t.database.db.update(hosts).set({ status: 'revoked' }).where(eq(hosts.id, 'h_later'));
    expect((await store.lookUp('h_later'))?.status).toBe('revoked');
    expect(store.stats.lookups.batches).toBe(2);
  });

  it('writes the session rows of concurrent handshakes in one INSERT; a row the database refuses fails alone', async () => {
    const start = (sessionId: string, hostId: string) => store.startSession({ sessionId, hostId, controllerId: 'ctl_1', remoteAddress: '10.0.0.7', agentVersion: '0.9.0', at });
    const outcomes = await Promise.allSettled([start('s1', 'h_ok'), start('s2', 'h_later'), start('s3', 'h_deleted_meanwhile')]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(store.stats.starts).toMatchObject({ batches: 1, items: 3, fallbacks: 1 });
    const rows = await t.database.db.select().from(hostSessions).orderBy(hostSessions.id);
    expect(rows.map((r) => [r.id, r.hostId, r.controllerId, r.remoteAddress, r.agentVersion, r.connectedAt.getTime(), r.lastSeenAt.getTime(), r.disconnectedAt])).toEqual([
      ['s1', 'h_ok', 'ctl_1', '10.0.0.7', '0.9.0', at.getTime(), at.getTime(), null],
      ['s2', 'h_later', 'ctl_1', '10.0.0.7', '0.9.0', at.getTime(), at.getTime(), null],
    ]);
  });

  it('records the ends of sessions in one UPDATE', async () => {
    await Promise.all([
      store.startSession({ sessionId: 's1', hostId: 'h_ok', controllerId: 'c', remoteAddress: '', agentVersion: '', at }),
      store.startSession({ sessionId: 's2', hostId: 'h_later', controllerId: 'c', remoteAddress: '', agentVersion: '', at }),
    ]);
    const end = new Date(at.getTime() + 60_000);
    await Promise.all([store.endSession({ sessionId: 's1', at: end, reason: '1000 bye' }), store.endSession({ sessionId: 's2', at: end, reason: '4409 replaced' })]);
    expect(store.stats.ends).toMatchObject({ batches: 1, items: 2 });
    const rows = await t.database.db.select().from(hostSessions).orderBy(hostSessions.id);
    expect(rows.map((r) => [r.id, r.disconnectedAt?.getTime(), r.closeReason])).toEqual([
      ['s1', end.getTime(), '1000 bye'],
      ['s2', end.getTime(), '4409 replaced'],
    ]);
  });

  it('a failed look-up reaches every handshake waiting on it', async () => {
    await t.database.close();
    const outcomes = await Promise.allSettled(['h_ok', 'h_later'].map((id) => store.lookUp(id)));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    // cleanup closes again: reopen a throwaway so afterEach stays simple.
    t = await openTestDatabase();
  });
});
