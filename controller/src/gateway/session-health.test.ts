/**
 * Health frames through a real controller (TLS, gateway, services) over a
 * real socket, on PGlite or (DATABASE_URL) PostgreSQL: the capability is
 * required, the ack follows the commit, a resend is stored once, a bad
 * sample stores nothing of its frame, healthConfig follows welcome and every
 * change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authChallengePayload, canonicalBytes, Capabilities, healthConfigSigningPayload, makeFrame, nodeEd25519, verifyCanonical, type Message } from '@patchfleet/shared';
import { createTestDatabaseUrl, seedPgliteDataDir } from '@patchfleet/test/support/db';
import { connectRaw, type RawClient } from '@patchfleet/test/support/ws-client';
import { loadConfig } from '../config';
import { agentKeys, healthSamples, hosts, ringAssignments } from '../db/schema/index';
import { MIN, sample } from '../health/test-samples.test-support';
import { createLogger } from '../logger';
import { startController, type RunningController } from '../server';

let dataDir: string;
let drop: () => Promise<void>;
let ctl: RunningController;
const key = nodeEd25519.generateKeyPair();
const AGENT = 'h_health';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pf-health-session-'));
  const pg = await createTestDatabaseUrl();
  drop = pg.drop;
  if (!pg.url) await seedPgliteDataDir(dataDir);
  ctl = await startController(loadConfig({ dataDir, port: 0, host: '127.0.0.1', ...(pg.url ? { databaseUrl: pg.url } : {}) }, {}), { log: createLogger({ level: 'silent' }) });
  const db = ctl.database.db;
  const now = new Date();
  await db.insert(hosts).values({ id: AGENT, hostname: 'web-7', enrolledAt: now, labels: { role: 'web' } });
  await db.insert(agentKeys).values({ publicKey: key.publicKey, hostId: AGENT, createdAt: now });
  await db.insert(ringAssignments).values({ hostId: AGENT, ringId: 'rg_first', reason: 'auto', assignedAt: now });
}, 120_000);

afterAll(async () => {
  await ctl?.close();
  await drop?.();
  rmSync(dataDir, { recursive: true, force: true });
});

async function session(capabilities: string[]): Promise<{ c: RawClient }> {
  const c = await connectRaw(ctl.url, ctl.bootstrap.caFingerprint);
  c.send(makeFrame('hello', { agentId: AGENT, agentVersion: '0.4.0', platform: 'linux', capabilities }, Date.now()));
  const ch = await c.next();
  if (ch.type !== 'challenge') throw new Error(`expected challenge, got ${ch.type}`);
  expect(ch.capabilities).toContain(Capabilities.Health);
  c.send(makeFrame('auth', { agentId: AGENT, sessionId: ch.sessionId, signature: nodeEd25519.sign(canonicalBytes(authChallengePayload(AGENT, ch.sessionId, ch.nonce)), key.secretKey) }, Date.now()));
  const welcome = await c.next();
  if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
  return { c };
}

const stored = async (epoch: string) => (await ctl.database.db.select({ n: sql<number>`count(*)::int` }).from(healthSamples).where(sql`${healthSamples.hostId} = ${AGENT} and ${healthSamples.epoch} = ${epoch}`))[0]?.n;

const api = (method: 'POST' | 'PUT', url: string, payload: Record<string, unknown>) => ctl.app.inject({ method, url, headers: { authorization: `Bearer ${ctl.bootstrap.adminToken}` }, payload });

describe('health frames on the agent socket', () => {
  it('refuses a health frame from an agent that did not list health/1, and sends it no healthConfig', { timeout: 30_000 }, async () => {
    const { c } = await session(['inventory.delta/1']);
    const frame = makeFrame('health', { epoch: 'ep-old', samples: [sample(1, Date.now() - 10 * MIN)] }, Date.now());
    c.send(frame);
    const reply = await c.next();
    expect(reply).toMatchObject({ type: 'error', code: 'PF_ERR_HEALTH_NOT_NEGOTIATED', retryable: false, replyTo: frame.id });
    expect(await stored('ep-old')).toBe(0);
    c.close();
  });

  it('sends healthConfig after welcome, acks a frame only once stored, stores a resend once, refuses a bad frame whole, and pushes every change', { timeout: 60_000 }, async () => {
    const made = await api('POST', '/api/v1/probes', { name: 'web-port', kind: 'tcp', host: '127.0.0.1', port: 8080, scope: { labels: { role: 'web' }, ringId: 'First' } });
    expect(made.statusCode, made.body).toBe(201);
    expect((await api('POST', '/api/v1/probes', { name: 'db-only', kind: 'tcp', host: '127.0.0.1', port: 5432, scope: { labels: { role: 'db' } } })).statusCode).toBe(201);
    expect((await api('POST', '/api/v1/probes', { name: 'web-in-test', kind: 'tcp', host: '127.0.0.1', port: 8081, scope: { labels: { role: 'web' }, ringId: 'Test' } })).statusCode).toBe(201);

    const { c } = await session(['inventory.delta/1', Capabilities.Health]);
    const config = await c.next();
    expect(config).toMatchObject({ type: 'healthConfig', intervalSec: 300, probes: [{ name: 'web-port', kind: 'tcp', host: '127.0.0.1', port: 8080, timeoutMs: 5000 }] });
    const signed = config as Extract<Message, { type: 'healthConfig' }>;
    expect(signed.probes).toHaveLength(1);
    // Signed with the command key for this agent only (command probes run as root on the host).
    expect(verifyCanonical(healthConfigSigningPayload(AGENT, signed), signed.signature, ctl.ctx.commandPublicKey)).toBe(true);
    expect(verifyCanonical(healthConfigSigningPayload('h_other', signed), signed.signature, ctl.ctx.commandPublicKey)).toBe(false);
    expect(verifyCanonical(healthConfigSigningPayload(AGENT, { ...signed, intervalSec: 1 }), signed.signature, ctl.ctx.commandPublicKey)).toBe(false);

    const t0 = Date.now() - 120 * MIN;
    const samples = Array.from({ length: 12 }, (_, i) => sample(i + 1, t0 + i * 5 * MIN, { bootId: 'boot-7' }));
    const frame = makeFrame('health', { epoch: 'ep1', samples }, Date.now());
    c.send(frame);
    const ack = await c.next();
    expect(ack).toMatchObject({ type: 'healthAck', epoch: 'ep1', seq: 12, replyTo: frame.id });
    // The ack came after the commit: every row is there the moment it arrives.
    expect(await stored('ep1')).toBe(12);

    // The agent did not hear the ack and sends the last 4 again with 2 new ones: stored once each.
    const resend = makeFrame('health', { epoch: 'ep1', samples: [...samples.slice(8), sample(13, t0 + 60 * MIN), sample(14, t0 + 65 * MIN, { bootId: 'boot-8' })] }, Date.now());
    c.send(resend);
    expect(await c.next()).toMatchObject({ type: 'healthAck', epoch: 'ep1', seq: 14, replyTo: resend.id });
    expect(await stored('ep1')).toBe(14);
    const seqs = (await ctl.database.db.select({ seq: healthSamples.seq }).from(healthSamples).where(eq(healthSamples.epoch, 'ep1'))).map((r) => r.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));

    // The newest sample's boot id reaches the host before the ack, with the end of its first sample.
    const [host] = await ctl.database.db.select({ bootId: hosts.bootId, bootSeenAt: hosts.bootSeenAt }).from(hosts).where(eq(hosts.id, AGENT));
    expect(host?.bootId).toBe('boot-8');
    expect(host?.bootSeenAt?.getTime()).toBe(t0 + 70 * MIN);

    // One bad sample in a frame: an error naming it, nothing of the frame stored, the session goes on.
    const bad = makeFrame('health', { epoch: 'ep2', samples: [sample(1, t0), sample(2, t0 + 5 * MIN, { lengthMs: -MIN }), sample(3, t0 + 10 * MIN)] }, Date.now());
    c.send(bad);
    const refused = await c.next();
    expect(refused).toMatchObject({ type: 'error', code: 'PF_ERR_BAD_HEALTH_SAMPLE', retryable: false, replyTo: bad.id });
    expect((refused as Extract<Message, { type: 'error' }>).message).toMatch(/samples\[1\] \(seq 2\)/);
    const future = makeFrame('health', { epoch: 'ep2', samples: [sample(1, Date.now() + 2 * 24 * 60 * MIN)] }, Date.now());
    c.send(future);
    expect(await c.next()).toMatchObject({ type: 'error', code: 'PF_ERR_BAD_HEALTH_SAMPLE', replyTo: future.id });
    expect(await stored('ep2')).toBe(0);

    // A late sample of an earlier boot (another epoch: an outbox started afresh) does not take the host back to it.
    const late = makeFrame('health', { epoch: 'ep3', samples: [sample(1, t0 - 30 * MIN, { bootId: 'boot-6' })] }, Date.now());
    c.send(late);
    expect(await c.next()).toMatchObject({ type: 'healthAck', epoch: 'ep3', seq: 1 });
    expect((await ctl.database.db.select({ bootId: hosts.bootId }).from(hosts).where(eq(hosts.id, AGENT)))[0]?.bootId).toBe('boot-8');

    // A heartbeat's boot id counts too.
    c.send(makeFrame('heartbeat', { uptimeSec: 3, bootId: 'boot-9' }, Date.now()));
    // Changes reach the connected agent at once.
    expect((await api('PUT', '/api/v1/settings/health', { intervalSec: 60 })).statusCode).toBe(200);
    expect(await c.next()).toMatchObject({ type: 'healthConfig', intervalSec: 60 });
    // The heartbeat went before the change; one more health frame behind it proves it was handled.
    const after = makeFrame('health', { epoch: 'ep1', samples: [sample(14, t0 + 65 * MIN, { bootId: 'boot-8' })] }, Date.now());
    c.send(after);
    expect(await c.next()).toMatchObject({ type: 'healthAck', seq: 14, replyTo: after.id });
    expect((await ctl.database.db.select({ bootId: hosts.bootId }).from(hosts).where(eq(hosts.id, AGENT)))[0]?.bootId).toBe('boot-9');
    c.close();
  });
});
