/**
 * GET /metrics of a real controller process (TLS, PGlite or DATABASE_URL's
 * PostgreSQL) with a real agent process connected: the scrape parses as
 * Prometheus text, counts the agent's handshake and frames, shows it
 * connected and then gone, counts a refused handshake with its code, and is
 * refused without a token.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authChallengePayload, canonicalBytes, makeFrame, nodeEd25519 } from '@patchfleet/shared';
import { api, getText, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl } from '../support/db';
import { parsePrometheus, sampleValue, type Sample } from '../support/prometheus';
import { runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';
import { connectRaw } from '../support/ws-client';

let dir: string;
let controller: ControllerProcess;
let boot: Bootstrap;
let dropDb: () => Promise<void>;
let dbUrl: string | undefined;
let helpdesk: string;

/** GET over the pinned TLS connection; the body as text. */
const get = (path: string, token: string | undefined) => getText(boot, path, token);

async function scrape(): Promise<Sample[]> {
  const res = await get('/metrics', helpdesk);
  expect(res.status, res.body).toBe(200);
  return parsePrometheus(res.body);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-metrics-'));
  const db = await createTestDatabaseUrl();
  dbUrl = db.url;
  dropDb = db.drop;
  controller = await startControllerProcess({ dataDir: join(dir, 'controller'), databaseUrl: db.url });
  boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
  const made = await api<{ token: string }>(boot, 'POST', '/api/v1/api-tokens', { name: 'prometheus', role: 'helpdesk' });
  expect(made.status).toBe(201);
  helpdesk = made.body.token;
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /metrics', () => {
  it('refuses a scrape without a valid API token, in the error envelope', async () => {
    const none = await get('/metrics', undefined);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ error: { code: 'PF_ERR_UNAUTHORIZED' } });
    const wrong = await get('/metrics', 'pfa_not-a-token');
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toMatchObject({ error: { code: 'PF_ERR_UNAUTHORIZED' } });
  });

  it('answers a helpdesk token with Prometheus text: no agent yet, commands and rollouts by state, the pool, event-loop lag', async () => {
    const res = await get('/metrics', helpdesk);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = parsePrometheus(res.body);
    expect(sampleValue(s, 'patchfleet_agents_connected')).toBe(0);
    expect(sampleValue(s, 'patchfleet_commands', { state: 'queued' })).toBe(0);
    expect(sampleValue(s, 'patchfleet_rollouts', { state: 'active' })).toBe(0);
    expect(sampleValue(s, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    if (dbUrl) {
      expect(sampleValue(s, 'patchfleet_db_pool_max_connections', { driver: 'postgres' })).toBe(10);
      // The scrape's own query is one active connection of this pool.
      expect(sampleValue(s, 'patchfleet_db_pool_connections', { driver: 'postgres', state: 'active' })).toBeGreaterThanOrEqual(1);
      expect(s.filter((x) => x.name === 'patchfleet_db_pool_waiting')).toEqual([]);
    } else {
      expect(sampleValue(s, 'patchfleet_db_pool_max_connections', { driver: 'pglite' })).toBe(1);
      expect(sampleValue(s, 'patchfleet_db_pool_waiting', { driver: 'pglite' })).toBeGreaterThanOrEqual(0);
    }
    expect(s.filter((x) => x.name === 'patchfleet_metrics_collect_errors_total')).toEqual([]);
  });

  it('shows a real agent connected, its handshake accepted and its frames, and then gone when it stops', { timeout: 90_000 }, async () => {
    const token = await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', { uses: 1 });
    const stateDir = join(dir, 'agent');
    const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace(/^https:/, 'wss:'), '--token', token.body.token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const agent = startAgentProcess(stateDir);
    try {
      const s = await waitFor(async () => {
        const now = await scrape();
        // Connected, and its first report stored and acknowledged.
        return sampleValue(now, 'patchfleet_agents_connected') === 1 && (sampleValue(now, 'patchfleet_agent_frames_sent_total', { type: 'ack' }) ?? 0) >= 1 ? now : undefined;
      }, 'the agent connected and its report acknowledged in /metrics', 60_000);
      expect(sampleValue(s, 'patchfleet_agent_handshakes_total', { outcome: 'accepted' })).toBe(1);
      expect(sampleValue(s, 'patchfleet_agent_frames_received_total', { type: 'hello' })).toBe(1);
      expect(sampleValue(s, 'patchfleet_agent_frames_received_total', { type: 'auth' })).toBe(1);
      expect(sampleValue(s, 'patchfleet_agent_frames_received_total', { type: 'inventory' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(s, 'patchfleet_agent_frames_sent_total', { type: 'challenge' })).toBe(1);
      expect(sampleValue(s, 'patchfleet_agent_frames_sent_total', { type: 'welcome' })).toBe(1);
    } finally {
      await agent.stop();
    }
    const after = await waitFor(async () => {
      const now = await scrape();
      return sampleValue(now, 'patchfleet_agents_connected') === 0 ? now : undefined;
    }, 'the stopped agent gone from /metrics');
    expect(sampleValue(after, 'patchfleet_agent_handshakes_total', { outcome: 'accepted' })).toBe(1);
  });

  it('counts a refused handshake under its code', async () => {
    const c = await connectRaw(boot.url, boot.caFingerprint);
    const key = nodeEd25519.generateKeyPair();
    c.send(makeFrame('hello', { agentId: 'h_never_enrolled', agentVersion: '0.4.0', platform: 'linux', capabilities: [] }, Date.now()));
    const ch = await c.next();
    if (ch.type !== 'challenge') throw new Error(`expected challenge, got ${ch.type}`);
    c.send(makeFrame('auth', { agentId: 'h_never_enrolled', sessionId: ch.sessionId, signature: nodeEd25519.sign(canonicalBytes(authChallengePayload('h_never_enrolled', ch.sessionId, ch.nonce)), key.secretKey) }, Date.now()));
    expect(await c.next()).toMatchObject({ type: 'error', code: 'PF_ERR_UNKNOWN_AGENT' });
    await c.closed;
    const s = await scrape();
    expect(sampleValue(s, 'patchfleet_agent_handshakes_total', { outcome: 'refused', code: 'PF_ERR_UNKNOWN_AGENT' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_agents_connected')).toBe(0);
  });
});
