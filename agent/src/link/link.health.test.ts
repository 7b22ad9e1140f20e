/**
 * The link's health side against a scripted controller over real WSS on
 * 127.0.0.1 (certificate made with openssl, pinned as enrollment would):
 * health/1 announced, samples only after welcome and only when the
 * controller takes them, one frame in flight, acks drop samples, a
 * reconnect resends what was not acknowledged, healthConfig stored.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { Capabilities, certFingerprint, makeFrame, nodeEd25519, signHealthConfig, systemClock, type HealthSample, type Message } from '@patchfleet/shared';
import { Errors, PfError } from '@patchfleet/shared/errors';
import type { Identity } from '../identity/state-dir';
import { createAgentHealth } from '../health/index';
import { AgentLink } from './link';
import { Outbox } from './outbox';

interface Seen {
  at: number;
  msg: Message;
}

/** One scripted controller session's view. */
interface Session {
  ws: WebSocket;
  frames: Seen[];
  welcomeAt: number | undefined;
  next(type: string, timeoutMs?: number): Promise<Message>;
  send(type: string, body: Record<string, unknown>): void;
}

let tlsDir = '';
let cert = '';
let key = '';
let fingerprint = '';
let server: Server;
let wss: WebSocketServer;
let port = 0;
let script: { controllerCaps: string[]; holdWelcomeMs: number } = { controllerCaps: [], holdWelcomeMs: 0 };
let sessions: Session[] = [];
let sessionWaiters: ((s: Session) => void)[] = [];

beforeAll(async () => {
  tlsDir = mkdtempSync(join(tmpdir(), 'pf-link-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(tlsDir, 'key.pem'), '-out', join(tlsDir, 'cert.pem'), '-days', '2', '-subj', '/CN=pf-link-test'], { stdio: 'ignore' });
  cert = readFileSync(join(tlsDir, 'cert.pem'), 'utf8');
  key = readFileSync(join(tlsDir, 'key.pem'), 'utf8');
  fingerprint = certFingerprint(new X509Certificate(cert).raw);
  server = createServer({ cert, key });
  wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    const queue: Seen[] = [];
    const waiting: { type: string; resolve: (m: Message) => void }[] = [];
    const session: Session = {
      ws,
      frames: [],
      welcomeAt: undefined,
      next: (type, timeoutMs = 5000) =>
        new Promise((resolve, reject) => {
          const i = queue.findIndex((s) => s.msg.type === type);
          if (i >= 0) return resolve((queue.splice(i, 1)[0] as Seen).msg);
          const t = setTimeout(() => reject(new Error(`no ${type} frame in time`)), timeoutMs);
          waiting.push({ type, resolve: (m) => (clearTimeout(t), resolve(m)) });
        }),
      send: (type, body) => ws.send(JSON.stringify(makeFrame(type as 'welcome', body as never, Date.now()))),
    };
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as Message;
      const seen = { at: Date.now(), msg };
      session.frames.push(seen);
      if (msg.type === 'hello') session.send('challenge', { sessionId: 'sess-1', nonce: 'bm9uY2U=', capabilities: script.controllerCaps });
      if (msg.type === 'auth') {
        setTimeout(() => {
          session.welcomeAt = Date.now();
          session.send('welcome', { agentId: msg.agentId, sessionId: 'sess-1', heartbeatSec: 60, lastAckedSeq: 0, maxFrameBytes: 4096, capabilities: script.controllerCaps });
        }, script.holdWelcomeMs);
      }
      const w = waiting.findIndex((x) => x.type === msg.type);
      if (w >= 0) (waiting.splice(w, 1)[0] as { resolve: (m: Message) => void }).resolve(msg);
      else queue.push(seen);
    });
    sessions.push(session);
    sessionWaiters.shift()?.(session);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  wss.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(tlsDir, { recursive: true, force: true });
});

let stateDir = '';
let link: AgentLink | undefined;
let loop: Promise<void> | undefined;
afterEach(async () => {
  link?.stop();
  await loop;
  link = undefined;
  sessions = [];
  sessionWaiters = [];
  rmSync(stateDir, { recursive: true, force: true });
});

const nextSession = () => new Promise<Session>((resolve) => sessionWaiters.push(resolve));
const silent = pino({ level: 'silent' });

/** The controller's command key: signs the healthConfig frames of these tests. */
const commandKeys = nodeEd25519.generateKeyPair();
const AGENT_ID = 'agent-health-1';

function identity(): Identity {
  const keys = nodeEd25519.generateKeyPair();
  return { agentId: AGENT_ID, wsUrl: `wss://127.0.0.1:${port}/api/v1/agent/ws`, serverUrl: `https://127.0.0.1:${port}`, caFingerprint: fingerprint, commandKey: commandKeys.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey, enrolledAt: new Date().toISOString(), labels: {} };
}

const sample = (i: number): Omit<HealthSample, 'seq'> => ({
  periodStart: 1_764_986_400_000 + i * 300_000,
  periodEnd: 1_764_986_400_000 + (i + 1) * 300_000,
  bootId: 'boot-a',
  uptimeSec: 100 + i * 300,
  counters: { appCrashes: 0, kernelCrashes: 0, serviceFailures: i, unexpectedShutdowns: 0, probeRuns: 0, probeFailures: 0 },
  unavailable: [],
  events: [],
});

function startAgent(withHealth = true) {
  stateDir = mkdtempSync(join(tmpdir(), 'pf-link-health-'));
  const health = withHealth ? createAgentHealth({ stateDir, clock: systemClock, log: silent, platform: 'linux', defaultIntervalSec: 300, trust: { agentId: AGENT_ID, commandKey: commandKeys.publicKey }, boot: () => Promise.resolve({ bootId: 'boot-a', uptimeSec: 1 }) }) : undefined;
  link = new AgentLink({
    identity: identity(),
    outbox: new Outbox(stateDir),
    clock: systemClock,
    log: silent,
    collect: () => Promise.reject(new PfError(Errors.COLLECT_FAILED, 'no inventory in this test')),
    inventoryIntervalMs: 3_600_000,
    ...(health ? { health: health.delivery } : {}),
  });
  loop = link.runLoop(false);
  return health;
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('AgentLink health (capability health/1)', () => {
  it('announces health/1, sends nothing of health before welcome, then every queued sample in frames under the size limit, one in flight', async () => {
    script = { controllerCaps: [Capabilities.Health], holdWelcomeMs: 400 };
    const session = nextSession();
    const health = startAgent();
    for (let i = 0; i < 30; i++) health?.outbox.enqueue(sample(i));
    const s = await session;
    const hello = await s.next('hello');
    expect(hello.type === 'hello' && hello.capabilities).toContain(Capabilities.Health);
    // A sample queued while welcome is held back must not leave either.
    await new Promise((r) => setTimeout(r, 100));
    health?.outbox.enqueue(sample(30));
    health?.delivery.flush();

    const first = await s.next('health');
    if (first.type !== 'health') throw new Error('expected a health frame');
    expect(s.welcomeAt).toBeDefined();
    const healthFrames = () => s.frames.filter((f) => f.msg.type === 'health');
    expect(healthFrames().every((f) => f.at >= (s.welcomeAt ?? Infinity))).toBe(true);
    expect(first.epoch).toBe(health?.outbox.epoch());
    expect(first.samples[0]?.seq).toBe(1);
    expect(JSON.stringify(first).length).toBeLessThanOrEqual(4096);
    expect(first.samples.length).toBeLessThan(31); // 4 KiB frames: several are needed
    await new Promise((r) => setTimeout(r, 200));
    expect(healthFrames()).toHaveLength(1); // nothing more until the ack

    let last = first;
    const seqs = [...first.samples.map((x) => x.seq)];
    for (let guard = 0; guard < 50; guard++) {
      const top = last.samples.at(-1)?.seq ?? 0;
      s.send('healthAck', { epoch: last.epoch, seq: top, replyTo: last.id });
      if (top === 31) break;
      const next = await s.next('health');
      if (next.type !== 'health') throw new Error('expected a health frame');
      seqs.push(...next.samples.map((x) => x.seq));
      last = next;
    }
    expect(seqs).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    await until(() => health?.outbox.size() === 0, 'the outbox to empty');
  });

  it('a reconnect resends what was not acknowledged; healthConfig is stored and applied', async () => {
    script = { controllerCaps: [Capabilities.Health], holdWelcomeMs: 0 };
    const firstSession = nextSession();
    const health = startAgent();
    for (let i = 0; i < 3; i++) health?.outbox.enqueue(sample(i));
    const s1 = await firstSession;
    const sent = await s1.next('health');
    if (sent.type !== 'health') throw new Error('expected a health frame');
    const probes = [{ id: 'web', name: 'web answers', kind: 'http' as const, timeoutMs: 2000, url: 'http://127.0.0.1:9/' }];
    s1.send('healthConfig', signHealthConfig(AGENT_ID, { intervalSec: 60, probes, issuedAt: Date.now() }, commandKeys.secretKey));
    await until(() => health?.sampler.intervalSec() === 60, 'the config to apply');
    expect(existsSync(join(stateDir, 'health-config.json'))).toBe(true);
    expect(health?.sampler.probes().map((p) => p.id)).toEqual(['web']);

    const secondSession = nextSession();
    s1.ws.close(); // dropped before any healthAck
    const s2 = await secondSession;
    const again = await s2.next('health', 8000);
    if (again.type !== 'health') throw new Error('expected a health frame');
    expect(again.samples.map((x) => x.seq)).toEqual(sent.samples.map((x) => x.seq));
    expect(again.epoch).toBe(sent.epoch);
    s2.send('healthAck', { epoch: again.epoch, seq: 3, replyTo: again.id });
    await until(() => health?.outbox.size() === 0, 'the outbox to empty');
  });

  it('sends no health frames to a controller without health/1, and an agent without health does not announce it', async () => {
    script = { controllerCaps: [], holdWelcomeMs: 0 };
    let session = nextSession();
    const health = startAgent();
    health?.outbox.enqueue(sample(0));
    let s = await session;
    await s.next('hello');
    await until(() => s.welcomeAt !== undefined, 'welcome');
    await new Promise((r) => setTimeout(r, 300));
    expect(s.frames.filter((f) => f.msg.type === 'health')).toHaveLength(0);
    expect(health?.outbox.size()).toBe(1);
    link?.stop();
    await loop;
    rmSync(stateDir, { recursive: true, force: true });

    script = { controllerCaps: [Capabilities.Health], holdWelcomeMs: 0 };
    session = nextSession();
    startAgent(false);
    s = await session;
    const hello = await s.next('hello');
    expect(hello.type === 'hello' && hello.capabilities).not.toContain(Capabilities.Health);
  });
});
