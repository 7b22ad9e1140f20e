/**
 * A PostgreSQL outage under a running controller, with real processes: a
 * controller on a throwaway cluster of this test's own (never the shared
 * server), an agent. While the cluster is stopped the API answers
 * 503 PF_ERR_DATABASE_UNAVAILABLE with Retry-After, quickly; an agent run in
 * the meantime keeps its report; once the cluster is back on the same port
 * the same controller process (no restart) serves the API again and the
 * report is stored exactly once. The controller's log never holds the admin
 * token's SHA-256 or a query's parameters.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PinnedAgent } from '@patchfleet/shared';
import { api, type Bootstrap } from '../support/api';
import { runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres';

let dir: string;
let pg: ThrowawayPostgres | undefined;
let controller: ControllerProcess | undefined;

/** One API call with its headers and how long it took; fails after 20 s instead of hanging. */
async function timedCall(boot: Bootstrap, path: string): Promise<{ status: number; retryAfter: string | undefined; body: { error?: { code: string; retryable: boolean } }; ms: number }> {
  const agent = new PinnedAgent(boot.caFingerprint);
  const started = Date.now();
  try {
    return await new Promise((resolve, reject) => {
      const req = request(new URL(path, boot.url), { method: 'GET', agent, timeout: 20_000, headers: { authorization: `Bearer ${boot.adminToken}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as never, ms: Date.now() - started });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${path} hung for 20 s`)));
      req.on('error', reject);
      req.end();
    });
  } finally {
    agent.destroy();
  }
}

async function snapshotsOf(url: string, hostId: string): Promise<{ seq: number; n: number }[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    return await sql<{ seq: number; n: number }[]>`select seq::int as seq, count(*)::int as n from inventory_snapshots where host_id = ${hostId} group by seq order by seq`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-outage-'));
  pg = await startThrowawayPostgres();
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  pg?.destroy();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('database outage', () => {
  it('answers 503 with Retry-After during the outage, recovers without a restart, stores the outage report once, logs no hashes or parameters', { timeout: 300_000 }, async () => {
    if (!pg) throw new Error('no cluster');
    controller = await startControllerProcess({ dataDir: join(dir, 'controller'), databaseUrl: pg.url });
    const boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
    const adminHash = createHash('sha256').update(boot.adminToken).digest('hex');
    const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
    const stateDir = join(dir, 'agent');
    const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const agentId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
    const first = await runCli('agent', ['run', '--once', '--state-dir', stateDir, '--timeout', '60s'], { timeoutMs: 90_000 });
    expect(first.code, first.stderr).toBe(0);
    expect((await snapshotsOf(pg.url, agentId)).map((s) => s.seq)).toEqual([1]);

    // The outage: the cluster stops (fast shutdown terminates the controller's sessions).
    pg.stop();
    const agent = startAgentProcess(stateDir, ['--once', '--timeout', '240s']);
    try {
      for (const path of ['/api/v1/hosts', `/api/v1/hosts/${agentId}`, '/api/v1/audit', '/api/v1/enrollment-tokens', '/api/v1/audit/export']) {
        const res = await timedCall(boot, path);
        expect({ path, status: res.status, code: res.body.error?.code, retryable: res.body.error?.retryable }).toEqual({ path, status: 503, code: 'PF_ERR_DATABASE_UNAVAILABLE', retryable: true });
        expect(Number(res.retryAfter)).toBeGreaterThan(0);
        expect(res.ms).toBeLessThan(15_000);
      }
      // The agent keeps trying while the database is away, and has not given up.
      await waitFor(() => /connection failed|session|reconnect|retry/i.test(agent.output()) && agent.child.exitCode === null, 'the agent to try and fail during the outage', 60_000);
      expect(controller.child.exitCode).toBeNull();
      // The agent was told why (not a 1011 internal error).
      await waitFor(() => /PF_ERR_DATABASE_UNAVAILABLE/.test(agent.output()), 'the agent to hear PF_ERR_DATABASE_UNAVAILABLE', 60_000);

      // The database returns on the same port; the same controller process serves again.
      pg.start();
      await waitFor(async () => (await timedCall(boot, '/api/v1/hosts')).status === 200, 'the API to work again without a restart', 60_000);
      const code = await waitFor(() => (agent.child.exitCode !== null ? { code: agent.child.exitCode } : undefined), 'the agent to deliver its report and exit', 180_000);
      expect(code.code, agent.output().slice(-3000)).toBe(0);
    } finally {
      await agent.stop();
    }
    const snaps = await snapshotsOf(pg.url, agentId);
    expect(snaps).toEqual([
      { seq: 1, n: 1 },
      { seq: 2, n: 1 },
    ]);
    expect(controller.child.exitCode).toBeNull();

    const log = controller.output();
    expect(log).toMatch(/PF_ERR_DATABASE_UNAVAILABLE/);
    expect(log).not.toContain(adminHash);
    expect(log).not.toContain(boot.adminToken);
    expect(log).not.toMatch(/params:|"params"|"parameters"/);
  });
});
