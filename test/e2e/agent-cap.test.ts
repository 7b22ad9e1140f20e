/**
 * The open-files wall, with a small cap: a controller process that may hold
 * two agents refuses the third with a frame (PF_ERR_CONTROLLER_FULL and the
 * wait it asks for, then close 1013) instead of a reset, logs one warning and
 * counts it in /metrics; the API keeps answering; the refused agent (a real
 * agent process) waits at least the asked time and gets in once a place is
 * free.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, getText, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { parsePrometheus, sampleValue } from '../support/prometheus';
import { runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

let dir: string;
let dbUrl: string | undefined;
let dropDb: () => Promise<void>;
let controller: ControllerProcess | undefined;
let boot: Bootstrap;

const RETRY_AFTER_SEC = 3;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-agent-cap-'));
  const db = await createTestDatabaseUrl();
  dbUrl = db.url;
  dropDb = db.drop;
  if (dbUrl === undefined) await seedPgliteDataDir(join(dir, 'controller'));
  controller = await startControllerProcess({
    dataDir: join(dir, 'controller'),
    databaseUrl: dbUrl,
    env: { PATCHFLEET_MAX_AGENTS: '2', PATCHFLEET_AGENT_FULL_RETRY_SEC: String(RETRY_AFTER_SEC) },
  });
  boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
}, 90_000);

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

async function enroll(name: string): Promise<{ stateDir: string; agentId: string }> {
  const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
  const stateDir = join(dir, name);
  const out = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
  expect(out.code, out.stderr).toBe(0);
  return { stateDir, agentId: (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId };
}

async function metrics() {
  const res = await getText(boot, '/metrics', boot.adminToken);
  expect(res.status, res.body).toBe(200);
  return parsePrometheus(res.body);
}

const online = async (agentId: string) => (await api<{ online: boolean }>(boot, 'GET', `/api/v1/hosts/${agentId}`)).body.online;

describe('agent cap (PATCHFLEET_MAX_AGENTS=2)', () => {
  it('refuses the third agent with PF_ERR_CONTROLLER_FULL, keeps the API up, and lets it in after its wait once a place is free', { timeout: 150_000 }, async () => {
    const [a, b, c] = [await enroll('a'), await enroll('b'), await enroll('c')];
    const first = startAgentProcess(a.stateDir);
    const second = startAgentProcess(b.stateDir);
    const third = { proc: undefined as ReturnType<typeof startAgentProcess> | undefined };
    try {
      await waitFor(async () => (await online(a.agentId)) && (await online(b.agentId)), 'two agents online', 60_000);
      expect(sampleValue(await metrics(), 'patchfleet_agents_max')).toBe(2);

      third.proc = startAgentProcess(c.stateDir);
      const agent3 = third.proc;
      await waitFor(() => /reconnecting after delay/.test(agent3.output()) && /PF_ERR_CONTROLLER_FULL/.test(agent3.output()), 'the third agent to be refused and wait', 60_000);
      // The wait is at least what the controller asked for (plus jitter), not the 0-1 s of a first back-off.
      const delays = [...agent3.output().matchAll(/"delayMs":(\d+)[^\n]*"code":"PF_ERR_CONTROLLER_FULL"|"code":"PF_ERR_CONTROLLER_FULL"[^\n]*"delayMs":(\d+)/g)].map((m) => Number(m[1] ?? m[2]));
      expect(delays.length).toBeGreaterThan(0);
      for (const d of delays) {
        expect(d).toBeGreaterThanOrEqual(RETRY_AFTER_SEC * 1000);
        expect(d).toBeLessThan(RETRY_AFTER_SEC * 1500);
      }
      expect(await online(c.agentId)).toBe(false);
      // Told, not dropped: the controller warned once with the figures, and counted the refusal.
      await waitFor(() => /agents refused: this controller holds as many agents as it may/.test(controller?.output() ?? ''), 'the warning in the controller log');
      const warning = (controller?.output() ?? '').split('\n').find((l) => l.includes('agents refused'));
      expect(JSON.parse(warning ?? '{}')).toMatchObject({ level: 40, code: 'PF_ERR_CONTROLLER_FULL', held: 2, maxAgents: 2 });
      const m = await metrics();
      expect(sampleValue(m, 'patchfleet_agent_handshakes_total', { outcome: 'refused', code: 'PF_ERR_CONTROLLER_FULL' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(m, 'patchfleet_agents_connected')).toBe(2);
      // The API answers while agents are refused.
      expect((await api(boot, 'GET', '/api/v1/hosts')).status).toBe(200);

      // A place frees up: the refused agent comes in on its next try.
      expect(await first.stop()).toBe(0);
      await waitFor(() => online(c.agentId), 'the third agent to get in once a place is free', 60_000);
      expect(agent3.child.exitCode).toBeNull();
      expect(await online(b.agentId)).toBe(true);
    } finally {
      await Promise.all([first.stop(), second.stop(), third.proc?.stop()]);
    }
  });
});
