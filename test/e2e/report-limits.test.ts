/**
 * Limits on unfinished chunked reports (issue point 7) and values the
 * database cannot store in any agent frame (issue point 5), against a real
 * controller process over a real socket, on PGlite or (DATABASE_URL)
 * PostgreSQL. A raw protocol client plays the agent, since a real agent never
 * stalls half-way through a report or sends a NUL in a heartbeat.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authChallengePayload, canonicalBytes, makeFrame, nodeEd25519, type Body, type Message } from '@patchfleet/shared';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { sampleHost, samplePackages } from '../support/inventory';
import { runCli, startControllerProcess, type ControllerProcess } from '../support/processes';
import { connectRaw, type RawClient } from '../support/ws-client';

const MAX_REPORT_BYTES = 256 * 1024;
const TIMEOUT_SEC = 2;

let dir: string;
let dropDb: () => Promise<void>;
let controller: ControllerProcess;
let boot: Bootstrap;
let identity: { agentId: string; secretKey: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-limits-'));
  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  // A migrated PGlite from the template: the controller skips initdb and the migrations (seconds).
  if (db.url === undefined) await seedPgliteDataDir(join(dir, 'controller'));
  controller = await startControllerProcess({
    dataDir: join(dir, 'controller'),
    databaseUrl: db.url,
    env: { PATCHFLEET_MAX_REPORT_BYTES: String(MAX_REPORT_BYTES), PATCHFLEET_REPORT_TIMEOUT_SEC: String(TIMEOUT_SEC) },
  });
  boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
  const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
  const stateDir = join(dir, 'agent');
  const r = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
  expect(r.code, r.stderr).toBe(0);
  identity = JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string; secretKey: string };
}, 90_000);

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

/** An authenticated raw session of the enrolled agent. */
async function session(): Promise<RawClient> {
  const c = await connectRaw(boot.url, boot.caFingerprint);
  c.send(makeFrame('hello', { agentId: identity.agentId, agentVersion: '0.1.0', platform: 'linux', capabilities: ['inventory.delta/1', 'inventory.chunked/1'] }, Date.now()));
  const ch = await c.next();
  if (ch.type !== 'challenge') throw new Error(`expected challenge, got ${ch.type}`);
  const signature = nodeEd25519.sign(canonicalBytes(authChallengePayload(identity.agentId, ch.sessionId, ch.nonce)), identity.secretKey);
  c.send(makeFrame('auth', { agentId: identity.agentId, sessionId: ch.sessionId, signature }, Date.now()));
  const welcome = await c.next();
  if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
  // An agent without the epoch capability (protocol 2) gets no epoch field it would refuse.
  expect(welcome).not.toHaveProperty('epoch');
  return c;
}

let nextSeq = 1;
/** The frames of a full report of `parts` parts, `perPart` packages each. */
function report(parts: number, perPart: number, seq = nextSeq++): ReturnType<typeof makeFrame<'inventory'>>[] {
  const pkgs = samplePackages(parts * perPart);
  return Array.from({ length: parts }, (_, part) => {
    const body: Body<'inventory'> = { seq, kind: 'full', part, parts, packageCount: pkgs.length, collectedAt: Date.now(), ...(part === 0 ? { host: sampleHost() } : {}), packages: pkgs.slice(part * perPart, (part + 1) * perPart) };
    return makeFrame('inventory', body, Date.now());
  });
}

/** Sends a small complete report and expects its ack: the session is still good. */
async function stillServes(c: RawClient): Promise<void> {
  const frames = report(1, 3);
  for (const f of frames) c.send(f);
  expect(await c.next()).toMatchObject({ type: 'ack', seq: frames[0]?.seq });
}

describe('unfinished chunked reports (issue point 7)', () => {
  it('a report growing past maxReportBytes is refused with PF_ERR_REPORT_TOO_LARGE, its partial data dropped, the rest of it ignored', { timeout: 60_000 }, async () => {
    const c = await session();
    const frames = report(3, 1000); // ~150 KB a part: parts 0 and 1 exceed 256 KiB
    expect(Buffer.byteLength(JSON.stringify(frames[0])) + Buffer.byteLength(JSON.stringify(frames[1]))).toBeGreaterThan(MAX_REPORT_BYTES);
    for (const f of frames) c.send(f);
    const err = await c.next();
    expect(err).toMatchObject({ type: 'error', code: 'PF_ERR_REPORT_TOO_LARGE', retryable: false, replyTo: frames[1]?.id });
    expect((err as Extract<Message, { type: 'error' }>).message).toMatch(/exceeds 262144 bytes/);
    // Part 2 draws no second refusal (no PF_ERR_INCOMPLETE_REPORT that would make an agent resend): the next frame is the ack below.
    await stillServes(c);
    c.close();
  });

  it('a report left unfinished is dropped after reportTimeoutSec with PF_ERR_REPORT_TIMEOUT; sent again, it is stored', { timeout: 60_000 }, async () => {
    const c = await session();
    const frames = report(3, 5);
    const started = Date.now();
    c.send(frames[0]);
    c.send(frames[1]);
    const err = await c.next(TIMEOUT_SEC * 1000 + 5000);
    const waited = Date.now() - started;
    expect(err).toMatchObject({ type: 'error', code: 'PF_ERR_REPORT_TIMEOUT', retryable: true, replyTo: frames[0]?.id });
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_SEC * 1000 - 100);
    // The late last part is dropped quietly; the agent sends the report again from part 0 and it is stored.
    c.send(frames[2]);
    for (const f of frames) c.send(f);
    expect(await c.next()).toMatchObject({ type: 'ack', seq: frames[0]?.seq });
    c.close();
  });
});

describe('values the database cannot store, in any agent frame (issue point 5)', () => {
  it('are refused with an error frame naming the field, never a 1011 close, and the session goes on', { timeout: 60_000 }, async () => {
    const c = await session();
    const cases: { frame: unknown; code: string; field?: RegExp }[] = [
      { frame: makeFrame('heartbeat', { uptimeSec: 5, bootId: 'b\u0000oot' }, Date.now()), code: 'PF_ERR_UNSTORABLE_VALUE', field: /\/bootId holds a NUL/ },
      { frame: makeFrame('commandStatus', { commandId: 'cmd_nul', state: 'failed', at: Date.now(), error: { code: 'PF_ERR_INTERNAL', message: 'apt said \u0000' } }, Date.now()), code: 'PF_ERR_UNSTORABLE_VALUE', field: /\/error\/message holds a NUL/ },
      { frame: makeFrame('error', { code: 'PF_ERR_INTERNAL', message: 'x\ud800', retryable: false }, Date.now()), code: 'PF_ERR_UNSTORABLE_VALUE', field: /\/message holds an unpaired UTF-16 surrogate/ },
      { frame: report(1, 2)[0], code: '' }, // placeholder replaced below
    ];
    const lone = report(1, 2)[0]!;
    cases[3] = { frame: { ...lone, host: { ...sampleHost(), hostname: 'web\ud800' } }, code: 'PF_ERR_UNSTORABLE_VALUE', field: /\/host\/hostname holds an unpaired/ };
    const outOfRange = report(1, 2)[0]!;
    cases.push({ frame: { ...outOfRange, collectedAt: 1e16 }, code: 'PF_ERR_BAD_FRAME', field: /\/collectedAt/ });
    cases.push({ frame: { ...report(1, 2)[0]!, seq: 2 ** 63 }, code: 'PF_ERR_BAD_FRAME', field: /\/seq/ });
    cases.push({ frame: { ...report(1, 2)[0]!, host: { ...sampleHost(), tpm: { ['ve\u0000ndor']: 'x' } } }, code: 'PF_ERR_UNSTORABLE_VALUE', field: /\(a key\) holds a NUL/ });
    for (const { frame, code, field } of cases) {
      c.send(frame);
      const answer = await c.next();
      expect(answer, JSON.stringify(frame).slice(0, 200)).toMatchObject({ type: 'error', code });
      if (field) expect((answer as Extract<Message, { type: 'error' }>).message).toMatch(field);
    }
    await stillServes(c);
    c.close();
    expect((await c.closed).code).not.toBe(1011);
    expect(controller.output()).not.toMatch(/agent session failed/);
  });

  it('a NUL before authentication gets an error frame and close 4400, not 1011', { timeout: 30_000 }, async () => {
    const c = await connectRaw(boot.url, boot.caFingerprint);
    c.send(makeFrame('hello', { agentId: identity.agentId, agentVersion: '0.1\u0000', platform: 'linux', capabilities: [] }, Date.now()));
    expect(await c.next()).toMatchObject({ type: 'error', code: 'PF_ERR_UNSTORABLE_VALUE' });
    expect((await c.closed).code).toBe(4400);
  });
});
