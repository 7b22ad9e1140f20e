import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { hashToken, naclEd25519, nodeEd25519 } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import type { Db } from '../db/index';
import { agentKeys, auditLog, enrollmentTokens, hosts } from '../db/schema/index';
import { agentIdFromKey, enrollAgent, type EnrollRequest } from './enroll';
import { createEnrollmentToken, listEnrollmentTokens, revokeEnrollmentToken } from './tokens';

const T0 = new Date('2026-11-23T12:00:00Z');
const later = (sec: number): Date => new Date(T0.getTime() + sec * 1000);

function request(token: string, overrides: Partial<EnrollRequest> = {}): EnrollRequest {
  return { token, publicKey: nodeEd25519.generateKeyPair().publicKey, hostname: 'host-a', platform: 'linux', agentVersion: '0.1.0', ...overrides };
}

async function newToken(db: Db, opts: { maxUses?: number; ttlSec?: number; labels?: Record<string, string> } = {}) {
  return createEnrollmentToken(db, { maxUses: opts.maxUses ?? 1, ttlSec: opts.ttlSec ?? 3600, labels: opts.labels ?? {}, description: 'test', createdBy: 'token:at_test', now: T0 });
}

async function usesOf(db: Db, id: string): Promise<number> {
  const [row] = await db.select({ uses: enrollmentTokens.uses }).from(enrollmentTokens).where(eq(enrollmentTokens.id, id));
  return row?.uses ?? -1;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return 'resolved';
}

describe('enrollment tokens', () => {
  let tdb: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    tdb = await openTestDatabase();
    db = tdb.database.db;
  });
  afterAll(async () => {
    await tdb?.cleanup();
  });

  it('returns the secret once and stores only its SHA-256', async () => {
    const { token, view } = await newToken(db, { maxUses: 5, labels: { ring: 'test' } });
    expect(token).toMatch(/^pfe_[A-Za-z0-9_-]{43}$/);
    expect(view).toMatchObject({ maxUses: 5, uses: 0, state: 'active', labels: { ring: 'test' }, expiresAt: later(3600).toISOString(), revokedAt: null, createdBy: 'token:at_test' });
    const [row] = await db.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, view.id));
    expect(row?.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it('lists tokens without their secrets or hashes', async () => {
    const { token, view } = await newToken(db);
    const listed = await listEnrollmentTokens(db, T0);
    const mine = listed.find((t) => t.id === view.id);
    expect(mine).toEqual(view);
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(JSON.stringify(listed)).not.toContain(hashToken(token));
  });

  it('enrolls an agent: host with the token labels, its key on file, one use taken, an audit entry', async () => {
    const { token, view } = await newToken(db, { maxUses: 2, labels: { ring: 'first', site: 'par' } });
    const req = request(token, { hostname: 'web-7' });
    const result = await enrollAgent(db, req, later(10), 'req-1');
    expect(result.labels).toEqual({ ring: 'first', site: 'par' });
    const [host] = await db.select().from(hosts).where(eq(hosts.id, result.agentId));
    expect(host).toMatchObject({ hostname: 'web-7', osPlatform: 'linux', labels: { ring: 'first', site: 'par' }, enrollmentTokenId: view.id, lastSeq: 0 });
    const [key] = await db.select().from(agentKeys).where(eq(agentKeys.hostId, result.agentId));
    expect(key?.publicKey).toBe(req.publicKey);
    expect(await usesOf(db, view.id)).toBe(1);
    const [entry] = await db.select().from(auditLog).where(eq(auditLog.targetId, result.agentId));
    expect(entry).toMatchObject({ actor: `enroll-token:${view.id}`, action: 'agent.enroll', targetType: 'host', requestId: 'req-1', details: { hostname: 'web-7', platform: 'linux', agentVersion: '0.1.0' } });
    expect(JSON.stringify(entry)).not.toContain(token);
  });

  it('accepts keys made by either Ed25519 implementation', async () => {
    const { token } = await newToken(db, { maxUses: 2 });
    await expect(enrollAgent(db, request(token, { publicKey: naclEd25519.generateKeyPair().publicKey }), T0)).resolves.toHaveProperty('agentId');
    await expect(enrollAgent(db, request(token, { publicKey: nodeEd25519.generateKeyPair().publicKey }), T0)).resolves.toHaveProperty('agentId');
  });

  it('enforces the uses limit, then reports the token exhausted', async () => {
    const { token, view } = await newToken(db, { maxUses: 2 });
    await enrollAgent(db, request(token), T0);
    await enrollAgent(db, request(token), T0);
    expect(await codeOf(enrollAgent(db, request(token), T0))).toBe('PF_ERR_ENROLL_TOKEN_EXHAUSTED');
    expect(await usesOf(db, view.id)).toBe(2);
    expect((await listEnrollmentTokens(db, T0)).find((t) => t.id === view.id)?.state).toBe('exhausted');
  });

  it('never exceeds maxUses under concurrent enrollments', async () => {
    const { token, view } = await newToken(db, { maxUses: 3 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => enrollAgent(db, request(token, { hostname: `race-${i}` }), T0)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(3);
    expect(refused.map((r) => (r.reason as { code?: string }).code)).toEqual(Array(7).fill('PF_ERR_ENROLL_TOKEN_EXHAUSTED'));
    expect(await usesOf(db, view.id)).toBe(3);
    expect(await db.select({ id: hosts.id }).from(hosts).where(eq(hosts.enrollmentTokenId, view.id))).toHaveLength(3);
  });

  it('refuses an expired token with its own code, at the exact expiry instant too', async () => {
    const { token, view } = await newToken(db, { maxUses: 5, ttlSec: 60 });
    expect(await codeOf(enrollAgent(db, request(token), later(60)))).toBe('PF_ERR_ENROLL_TOKEN_EXPIRED');
    expect(await codeOf(enrollAgent(db, request(token), later(3600)))).toBe('PF_ERR_ENROLL_TOKEN_EXPIRED');
    expect(await usesOf(db, view.id)).toBe(0);
    await expect(enrollAgent(db, request(token), later(59))).resolves.toHaveProperty('agentId');
    expect((await listEnrollmentTokens(db, later(61))).find((t) => t.id === view.id)?.state).toBe('expired');
  });

  it('refuses a revoked token with its own code', async () => {
    const { token, view } = await newToken(db, { maxUses: 5 });
    const revoked = await revokeEnrollmentToken(db, view.id, later(5));
    expect(revoked).toMatchObject({ id: view.id, state: 'revoked', revokedAt: later(5).toISOString() });
    expect(await codeOf(enrollAgent(db, request(token), later(6)))).toBe('PF_ERR_ENROLL_TOKEN_REVOKED');
    expect(await usesOf(db, view.id)).toBe(0);
  });

  it('keeps the first revocation time when revoked again', async () => {
    const { view } = await newToken(db);
    await revokeEnrollmentToken(db, view.id, later(5));
    expect((await revokeEnrollmentToken(db, view.id, later(500))).revokedAt).toBe(later(5).toISOString());
  });

  it('reports revocation before expiry and exhaustion', async () => {
    const { token, view } = await newToken(db, { maxUses: 1, ttlSec: 60 });
    await enrollAgent(db, request(token), T0);
    await revokeEnrollmentToken(db, view.id, later(1));
    expect(await codeOf(enrollAgent(db, request(token), later(120)))).toBe('PF_ERR_ENROLL_TOKEN_REVOKED');
  });

  it('refuses an unknown token', async () => {
    expect(await codeOf(enrollAgent(db, request('pfe_never-issued-token'), T0))).toBe('PF_ERR_ENROLL_TOKEN_INVALID');
  });

  it('fails to revoke an unknown token with PF_ERR_NOT_FOUND', async () => {
    expect(await codeOf(revokeEnrollmentToken(db, 'et_nope', T0))).toBe('PF_ERR_NOT_FOUND');
  });

  it('gives the use back when the enrollment fails after taking it (key already enrolled)', async () => {
    const { token, view } = await newToken(db, { maxUses: 3 });
    const req = request(token);
    await enrollAgent(db, req, T0);
    expect(await codeOf(enrollAgent(db, { ...req, hostname: 'clone' }, T0))).toBe('PF_ERR_AGENT_KEY_IN_USE');
    expect(await usesOf(db, view.id)).toBe(1);
    expect(await db.select().from(hosts).where(eq(hosts.hostname, 'clone'))).toHaveLength(0);
  });

  it('in simulation mode derives the agent id from the key: the same key, the same UUID; another key, another', async () => {
    const { token } = await newToken(db, { maxUses: 2 });
    const keys = [nodeEd25519.generateKeyPair().publicKey, nodeEd25519.generateKeyPair().publicKey];
    const ids = [];
    for (const publicKey of keys) ids.push((await enrollAgent(db, request(token, { publicKey }), T0, undefined, { idFromKey: true })).agentId);
    expect(ids).toEqual(keys.map(agentIdFromKey));
    expect(ids[0]).not.toBe(ids[1]);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(agentIdFromKey(keys[0]!)).toBe(ids[0]);
    // Without the option an id is drawn at random.
    const { token: other } = await newToken(db);
    const publicKey = nodeEd25519.generateKeyPair().publicKey;
    expect((await enrollAgent(db, request(other, { publicKey }), T0)).agentId).not.toBe(agentIdFromKey(publicKey));
  });

  it('refuses a malformed public key before touching the token', async () => {
    const { token, view } = await newToken(db);
    expect(await codeOf(enrollAgent(db, request(token, { publicKey: Buffer.alloc(31).toString('base64') }), T0))).toBe('PF_ERR_VALIDATION');
    expect(await codeOf(enrollAgent(db, request(token, { publicKey: 'not*base64' }), T0))).toBe('PF_ERR_VALIDATION');
    expect(await usesOf(db, view.id)).toBe(0);
  });
});
