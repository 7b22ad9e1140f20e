/**
 * Fuzzing the agent WebSocket of a real controller: for every frame type, a
 * valid frame with one part replaced by a hostile value (a string with a NUL,
 * a number past every column, another shape), sent by an authenticated agent
 * and by a socket that never authenticated, plus raw text that is not JSON.
 *
 * After each frame a probe (an `ack`, which agents never send) is answered
 * with PF_ERR_UNEXPECTED_FRAME only once the controller has handled the
 * frame before it, so each check sees the frame's whole effect. Asserted: the
 * controller answers with catalogue codes, never closes with 1011 (internal
 * error) or crashes, and a frame it refused stored nothing.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authChallengePayload, Capabilities, nodeEd25519, PROTOCOL_VERSION, signCanonical, type KeyPair, type Message } from '@patchfleet/shared';
import { Errors } from '@patchfleet/shared/errors';
import { sampleHost, samplePackages } from '@patchfleet/test/support/inventory';
import { connectRaw, type RawClient } from '@patchfleet/test/support/ws-client';
import { changedTables, dataDigest, describeFailure, FUZZ_SEED, fuzzRuns, hostileString, hostileValue, startFuzzController, type FuzzController } from './fuzz-kit';

const catalogueCodes = new Set<string>(Object.values(Errors).map((e) => e.code));
const INTERNAL_ERROR_CLOSE = 1011;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path into a JSON value (objects and arrays), the root excluded. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...pathsOf(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...pathsOf(v, [...prefix, k]));
  return out;
}

function withValueAt(value: Json, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  path.slice(0, -1).forEach((p) => {
    node = node[p] as Record<string | number, unknown>;
  });
  const last = path[path.length - 1] as string | number;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}

interface AgentKeys {
  agentId: string;
  keys: KeyPair;
}

describe('agent frame fuzz (fast-check, fixed seed)', () => {
  let f: FuzzController;
  let agent: AgentKeys;
  let seq = 0;

  beforeAll(async () => {
    f = await startFuzzController();
    const token = await f.ctl.app.inject({ method: 'POST', url: '/api/v1/enrollment-tokens', headers: { authorization: `Bearer ${f.adminToken}` }, payload: { uses: 5 } });
    expect(token.statusCode).toBe(201);
    const keys = nodeEd25519.generateKeyPair();
    const enrolled = await f.ctl.app.inject({
      method: 'POST',
      url: '/api/v1/agents/enroll',
      payload: { token: (token.json() as { token: string }).token, publicKey: keys.publicKey, hostname: 'fuzz-host', platform: 'linux', agentVersion: '0.1.0' },
    });
    expect(enrolled.statusCode).toBe(200);
    agent = { agentId: (enrolled.json() as { agentId: string }).agentId, keys };
  }, 120_000);

  afterAll(async () => {
    await f?.close();
  });

  const frame = (type: string, body: Record<string, unknown>): Record<string, Json> => ({ v: PROTOCOL_VERSION, type, id: randomUUID(), ts: Date.now(), ...(body as Record<string, Json>) });

  /** Valid frames of every type, as a well-behaved agent (or, for the controller's own types, a confused one) would send them. */
  function templates(): Record<string, Record<string, Json>> {
    seq += 1;
    const packages = samplePackages(3) as unknown as Json;
    return {
      hello: frame('hello', { agentId: agent.agentId, agentVersion: '0.1.0', platform: 'linux', capabilities: [Capabilities.InventoryDelta, Capabilities.InventoryChunked, Capabilities.Commands] }),
      auth: frame('auth', { agentId: agent.agentId, sessionId: randomUUID(), signature: 'A'.repeat(86) + '==' }),
      inventory: frame('inventory', { seq, kind: 'full', part: 0, parts: 1, packageCount: 3, collectedAt: Date.now(), host: sampleHost() as unknown as Json, packages }),
      heartbeat: frame('heartbeat', { uptimeSec: 12, bootId: randomUUID() }),
      commandStatus: frame('commandStatus', { commandId: randomUUID(), state: 'acknowledged', at: Date.now() }),
      error: frame('error', { code: 'PF_ERR_BAD_FRAME', message: 'x', retryable: false }),
      ack: frame('ack', { seq: 1, replyTo: randomUUID() }),
      challenge: frame('challenge', { sessionId: randomUUID(), nonce: 'A'.repeat(43) + '=' }),
      welcome: frame('welcome', { sessionId: randomUUID(), heartbeatSec: 30 }),
      commandReceipt: frame('commandReceipt', { commandId: randomUUID() }),
    };
  }

  async function authenticated(): Promise<RawClient> {
    const client = await connectRaw(f.ctl.url, f.ctl.bootstrap.caFingerprint);
    client.send(frame('hello', { agentId: agent.agentId, agentVersion: '0.1.0', platform: 'linux', capabilities: [Capabilities.InventoryDelta, Capabilities.InventoryChunked, Capabilities.Commands] }));
    const challenge = await client.next();
    if (challenge.type !== 'challenge') throw new Error(`expected a challenge, got ${JSON.stringify(challenge)}`);
    client.send(frame('auth', { agentId: agent.agentId, sessionId: challenge.sessionId, signature: signCanonical(authChallengePayload(agent.agentId, challenge.sessionId, challenge.nonce), agent.keys.secretKey, nodeEd25519) }));
    for (let i = 0; i < 5; i += 1) {
      const m = await client.next();
      if (m.type === 'welcome') return client;
    }
    throw new Error('no welcome');
  }

  /** Sends `payload`, then a probe; returns what came back for the payload and whether the socket closed (and how). */
  async function exchange(client: RawClient, payload: string): Promise<{ replies: Message[]; closed?: { code: number; reason: string } }> {
    const probe = frame('ack', { seq: 1, replyTo: randomUUID() });
    client.send(payload);
    client.send(probe);
    const replies: Message[] = [];
    const closed = client.closed.then((c) => ({ closedWith: c }));
    for (let i = 0; i < 50; i += 1) {
      const next = await Promise.race([client.next(20_000).then((m) => ({ m })), closed]);
      if ('closedWith' in next) return { replies, closed: next.closedWith };
      if (next.m.type === 'error' && next.m.replyTo === probe.id) return { replies };
      replies.push(next.m);
    }
    throw new Error('the probe was never answered');
  }

  function checkReplies(where: string, replies: Message[], closed: { code: number; reason: string } | undefined): boolean {
    for (const r of replies) if (r.type === 'error') expect(catalogueCodes.has(r.code), `${where}: unknown code ${r.code}`).toBe(true);
    if (closed) expect(closed.code, `${where}: closed with ${closed.code} ${closed.reason}`).not.toBe(INTERNAL_ERROR_CLOSE);
    return closed !== undefined || replies.some((r) => r.type === 'error');
  }

  it('refuses hostile frames of every type from an authenticated agent without 1011, and stores nothing it refused', async () => {
    const db = f.ctl.database.db;
    let client = await authenticated();
    let baseline = await dataDigest(db);
    const failures: string[] = [];
    let refused = 0;
    for (const type of Object.keys(templates())) {
      const mutation = fc.record({
        pathPick: fc.nat(),
        value: fc.oneof(hostileValue, hostileString, fc.constant(undefined)),
        raw: fc.option(hostileString, { freq: 8 }),
      });
      const outcome = await fc.check(
        fc.asyncProperty(mutation, async (m) => {
          const template = templates()[type] as Record<string, Json>;
          const paths = pathsOf(template);
          const path = paths[m.pathPick % paths.length] as (string | number)[];
          const payload = m.raw ?? JSON.stringify(withValueAt(template, path, m.value));
          const where = `${type} at ${path.join('.')}`;
          const { replies, closed } = await exchange(client, payload);
          const wasRefused = checkReplies(where, replies, closed);
          const digest = await dataDigest(db);
          if (wasRefused) {
            refused += 1;
            expect(changedTables(baseline, digest), `${where}: a refused frame changed stored data`).toEqual([]);
          }
          baseline = digest;
          if (closed) client = await authenticated();
        }),
        { seed: FUZZ_SEED, numRuns: fuzzRuns(type === 'inventory' ? 60 : 20), endOnFailure: true },
      );
      if (outcome.failed) {
        failures.push(describeFailure(type, outcome));
        client.close();
        client = await authenticated();
        baseline = await dataDigest(db);
      }
    }
    client.close();
    expect(failures).toEqual([]);
    expect(refused).toBeGreaterThan(50);
    // The controller is still whole: the API answers and a clean session still authenticates.
    const health = await f.ctl.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    (await authenticated()).close();
  }, 600_000);

  it('refuses hostile frames before authentication without 1011 and stores nothing', async () => {
    const db = f.ctl.database.db;
    const baseline = await dataDigest(db);
    const outcome = await fc.check(
      fc.asyncProperty(fc.constantFrom(...Object.keys(templates())), fc.nat(), fc.oneof(hostileValue, hostileString), async (type, pick, value) => {
        const client = await connectRaw(f.ctl.url, f.ctl.bootstrap.caFingerprint);
        try {
          const template = templates()[type] as Record<string, Json>;
          const paths = pathsOf(template);
          const path = paths[pick % paths.length] as (string | number)[];
          const { replies, closed } = await exchange(client, JSON.stringify(withValueAt(template, path, value)));
          checkReplies(`${type} at ${path.join('.')} before auth`, replies, closed);
        } finally {
          client.close();
        }
        expect(changedTables(baseline, await dataDigest(db))).toEqual([]);
      }),
      { seed: FUZZ_SEED, numRuns: fuzzRuns(40), endOnFailure: true },
    );
    expect(outcome.failed ? describeFailure('before auth', outcome) : '').toBe('');
  }, 300_000);
});
