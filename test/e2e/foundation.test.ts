/**
 * The foundation end to end: a real controller process over TLS, real agent
 * processes, the real dpkg database of this machine. Runs on PGlite, or on
 * a fresh PostgreSQL database when DATABASE_URL is set.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authChallengePayload, canonicalBytes, makeFrame, nodeEd25519 } from '@patchfleet/shared';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl } from '../support/db';
import { dpkgInstalledNames, TEST_PACKAGE_PREFIX } from '../support/dpkg';
import { runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';
import { connectRaw } from '../support/ws-client';

let dir: string;
let controller: ControllerProcess;
let boot: Bootstrap;
let dropDb: () => Promise<void>;
let dbUrl: string | undefined;

function dpkgInstalledCount(): number {
  return dpkgInstalledNames().length;
}

/** The host's package count as the API reports it, without packages other tests install and remove meanwhile. */
async function apiPackageCount(agentId: string): Promise<number> {
  const all = await api<{ total: number }>(boot, 'GET', `/api/v1/hosts/${agentId}/packages?limit=1`);
  const test = await api<{ total: number }>(boot, 'GET', `/api/v1/hosts/${agentId}/packages?limit=1&q=${TEST_PACKAGE_PREFIX}`);
  return all.body.total - test.body.total;
}

async function newToken(body: Record<string, unknown> = {}): Promise<string> {
  const res = await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', body);
  expect(res.status).toBe(201);
  return res.body.token;
}

function agentWss(): string {
  return boot.url.replace(/^https:/, 'wss:');
}

async function enrollAgent(stateDir: string, token: string, fingerprint = boot.caFingerprint) {
  return runCli('agent', ['enroll', '--server', agentWss(), '--token', token, '--ca-fingerprint', fingerprint, '--state-dir', stateDir]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-e2e-'));
  const db = await createTestDatabaseUrl();
  dbUrl = db.url;
  dropDb = db.drop;
  // Refused attempts are audited per address and window; a 1 s window lets the tests read them soon.
  controller = await startControllerProcess({ dataDir: join(dir, 'controller'), databaseUrl: db.url, env: { PATCHFLEET_REFUSAL_AUDIT_SEC: '1' } });
  boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
});

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('first start', () => {
  it('writes bootstrap.json (0600) with the URL, admin token, certificate fingerprint and command key', async () => {
    const path = join(dir, 'controller', 'bootstrap.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(boot.url).toBe(controller.url);
    expect(boot.adminToken).toMatch(/^pfa_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(boot.commandKey, 'base64')).toHaveLength(32);
    // The fingerprint is the SHA-256 of the DER certificate the server really presents.
    const served = await new Promise<string>((resolve, reject) => {
      const u = new URL(boot.url);
      const s = connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
        resolve(createHash('sha256').update(s.getPeerX509Certificate()!.raw).digest('hex'));
        s.end();
      });
      s.on('error', reject);
    });
    expect(boot.caFingerprint).toBe(served);
  });

  it('stores the admin token only hashed', async () => {
    const hash = createHash('sha256').update(boot.adminToken).digest('hex');
    if (dbUrl) {
      const sql = postgres(dbUrl, { max: 1 });
      const rows = await sql`select token_hash from api_tokens`;
      await sql.end();
      expect(rows.map((r) => r.token_hash)).toContain(hash);
    } else {
      // PGlite keeps heap pages as files: the plain token must appear in none of them.
      const files: string[] = [];
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(d, e.name));
          else files.push(join(d, e.name));
        }
      };
      walk(join(dir, 'controller', 'pgdata'));
      const needle = Buffer.from(boot.adminToken);
      expect(files.length).toBeGreaterThan(10);
      expect(files.filter((f) => readFileSync(f).includes(needle))).toEqual([]);
    }
  });
});

describe('enrollment and reporting', () => {
  let agentDir: string;
  let agentId: string;

  it('enrolls an agent with a token made with the admin token', async () => {
    agentDir = join(dir, 'agent-1');
    const res = await enrollAgent(agentDir, await newToken({ uses: 1, labels: { role: 'web' } }));
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const identity = JSON.parse(readFileSync(join(agentDir, 'identity.json'), 'utf8')) as { agentId: string; commandKey: string; caFingerprint: string };
    expect(statSync(join(agentDir, 'identity.json')).mode & 0o777).toBe(0o600);
    expect(identity.commandKey).toBe(boot.commandKey);
    expect(identity.caFingerprint).toBe(boot.caFingerprint);
    agentId = identity.agentId;
  });

  it('run --once sends a full report, gets it acknowledged and exits 0; the API package count equals dpkg\'s', async () => {
    const res = await runCli('agent', ['run', '--state-dir', agentDir, '--once']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/report \d+ acknowledged/);
    const host = await api<{ packageCount: number; hostname: string; labels: Record<string, string>; os: { platform: string } }>(boot, 'GET', `/api/v1/hosts/${agentId}`);
    expect(host.status).toBe(200);
    expect(await apiPackageCount(agentId)).toBe(dpkgInstalledCount());
    expect(host.body.packageCount).toBeGreaterThanOrEqual(dpkgInstalledCount());
    expect(host.body.os.platform).toBe('linux');
    expect(host.body.labels).toEqual({ role: 'web' });
    // Nothing is left queued on the agent.
    expect(readdirSync(join(agentDir, 'outbox'))).toEqual([]);
  });

  it('a second run --once is applied as a new report and changes nothing', async () => {
    const res = await runCli('agent', ['run', '--state-dir', agentDir, '--once']);
    expect(res.code, res.stderr).toBe(0);
    const host = await api<{ packageCount: number; lastSeq: number }>(boot, 'GET', `/api/v1/hosts/${agentId}`);
    expect(host.body.lastSeq).toBe(2);
    expect(await apiPackageCount(agentId)).toBe(dpkgInstalledCount());
  });
});

describe('refusals', () => {
  it('enrolling with a wrong certificate fingerprint fails clearly and writes no identity', async () => {
    const stateDir = join(dir, 'agent-badpin');
    const wrong = 'ab'.repeat(32);
    const res = await enrollAgent(stateDir, await newToken(), wrong);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('PF_ERR_TLS_PIN_MISMATCH');
    expect(res.stderr).toContain(wrong);
    expect(existsSync(join(stateDir, 'identity.json'))).toBe(false);
  });

  it('a token used past its limit is refused; expired and revoked tokens too', async () => {
    const token = await newToken({ uses: 1 });
    expect((await enrollAgent(join(dir, 'agent-u1'), token)).code).toBe(0);
    const second = await enrollAgent(join(dir, 'agent-u2'), token);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('PF_ERR_ENROLL_TOKEN_EXHAUSTED');

    const created = await api<{ id: string; token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', { uses: 5 });
    expect((await api(boot, 'POST', `/api/v1/enrollment-tokens/${created.body.id}/revoke`)).status).toBe(200);
    const revoked = await enrollAgent(join(dir, 'agent-r'), created.body.token);
    expect(revoked.stderr).toContain('PF_ERR_ENROLL_TOKEN_REVOKED');

    const unknown = await enrollAgent(join(dir, 'agent-x'), 'pfe_not-a-real-token-at-all');
    expect(unknown.stderr).toContain('PF_ERR_ENROLL_TOKEN_INVALID');

    // One row per address and window, counting the codes; written when the window closes.
    const wanted = ['PF_ERR_ENROLL_TOKEN_EXHAUSTED', 'PF_ERR_ENROLL_TOKEN_REVOKED', 'PF_ERR_ENROLL_TOKEN_INVALID'];
    const codesSeen = async () => {
      const res = await api<{ items: { action: string; details: { codes?: Record<string, number> } }[] }>(boot, 'GET', '/api/v1/audit?action=agent.enroll.refused');
      return new Set(res.body.items.flatMap((i) => Object.keys(i.details.codes ?? {})));
    };
    await waitFor(async () => {
      const seen = await codesSeen();
      return wanted.every((c) => seen.has(c));
    }, 'the refused enrollments in the audit log');
    const audit = await api<{ items: { action: string; details: Record<string, unknown> }[] }>(boot, 'GET', '/api/v1/audit?action=agent.enroll.refused');
    expect(JSON.stringify(audit.body)).not.toContain(token);
  });

  it('an unauthenticated WebSocket gets an error frame and is closed', async () => {
    const c = await connectRaw(boot.url, boot.caFingerprint);
    c.send(makeFrame('heartbeat', { uptimeSec: 1 }, Date.now()));
    const err = await c.next();
    expect(err).toMatchObject({ type: 'error', code: 'PF_ERR_NOT_AUTHENTICATED' });
    expect((await c.closed).code).toBe(4401);

    const g = await connectRaw(boot.url, boot.caFingerprint);
    g.send('this is not json');
    expect(await g.next()).toMatchObject({ type: 'error', code: 'PF_ERR_BAD_FRAME' });
    expect((await g.closed).code).toBe(4400);

    const big = await connectRaw(boot.url, boot.caFingerprint);
    big.send(JSON.stringify({ v: 1, type: 'hello', id: 'x', ts: 1, pad: 'x'.repeat(1024 * 1024 + 10) }));
    expect(await big.next()).toMatchObject({ type: 'error', code: 'PF_ERR_FRAME_TOO_LARGE' });
    await big.closed;
  });

  it('a replayed or altered challenge signature is refused', async () => {
    const stateDir = join(dir, 'agent-replay');
    expect((await enrollAgent(stateDir, await newToken())).code).toBe(0);
    const id = JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string; secretKey: string };
    const hello = () => makeFrame('hello', { agentId: id.agentId, agentVersion: 'test', platform: 'linux', capabilities: [] }, Date.now());

    // A genuine session, whose auth frame an eavesdropper captures.
    const a = await connectRaw(boot.url, boot.caFingerprint);
    a.send(hello());
    const ch = await a.next();
    if (ch.type !== 'challenge') throw new Error(`expected challenge, got ${ch.type}`);
    const auth = makeFrame('auth', { agentId: id.agentId, sessionId: ch.sessionId, signature: nodeEd25519.sign(canonicalBytes(authChallengePayload(id.agentId, ch.sessionId, ch.nonce)), id.secretKey) }, Date.now());
    a.send(auth);
    expect(await a.next()).toMatchObject({ type: 'welcome', agentId: id.agentId });
    a.close();

    // Replayed on a new session: refused.
    const b = await connectRaw(boot.url, boot.caFingerprint);
    b.send(hello());
    const ch2 = await b.next();
    expect(ch2.type).toBe('challenge');
    b.send(auth);
    expect(await b.next()).toMatchObject({ type: 'error', code: 'PF_ERR_AUTH_FAILED' });
    expect((await b.closed).code).toBe(4401);

    // The right session id with a signature over another nonce: refused.
    const c = await connectRaw(boot.url, boot.caFingerprint);
    c.send(hello());
    const ch3 = await c.next();
    if (ch3.type !== 'challenge') throw new Error('expected challenge');
    const forged = nodeEd25519.sign(canonicalBytes(authChallengePayload(id.agentId, ch3.sessionId, ch.nonce)), id.secretKey);
    c.send(makeFrame('auth', { agentId: id.agentId, sessionId: ch3.sessionId, signature: forged }, Date.now()));
    expect(await c.next()).toMatchObject({ type: 'error', code: 'PF_ERR_AUTH_FAILED' });
    await c.closed;
  });

  it('keeps serving other agents throughout', { timeout: 120_000 }, async () => {
    // A long-running agent stays connected while a burst of bad clients comes and goes.
    const stateDir = join(dir, 'agent-steady');
    expect((await enrollAgent(stateDir, await newToken())).code).toBe(0);
    const agentId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
    const steady = startAgentProcess(stateDir);
    try {
      await waitFor(async () => (await api<{ online: boolean; lastSeq: number }>(boot, 'GET', `/api/v1/hosts/${agentId}`)).body.lastSeq >= 1, 'the steady agent to report');
      const bad = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const c = await connectRaw(boot.url, boot.caFingerprint);
          c.send(i % 2 ? '{"v":1,"type":"auth"}' : makeFrame('inventory', { seq: 1, kind: 'full', part: 0, parts: 1, packageCount: 0, collectedAt: 0, packages: [] }, Date.now()));
          return (await c.closed).code;
        }),
      );
      expect(bad.every((code) => code === 4400 || code === 4401)).toBe(true);
      const host = await waitFor(async () => {
        const h = await api<{ online: boolean }>(boot, 'GET', `/api/v1/hosts/${agentId}`);
        return h.body.online ? h : undefined;
      }, 'the steady agent to show online');
      expect(host.body.online).toBe(true);
      expect(steady.child.exitCode).toBeNull();
      // And a new agent can still enroll and report.
      const fresh = join(dir, 'agent-after');
      expect((await enrollAgent(fresh, await newToken())).code).toBe(0);
      expect((await runCli('agent', ['run', '--state-dir', fresh, '--once'])).code).toBe(0);
      expect(await steady.stop()).toBe(0);
    } finally {
      await steady.stop();
    }
  });
});
