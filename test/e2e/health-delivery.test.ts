/**
 * A real agent process samples health every 2 s (the interval pushed by the
 * controller in healthConfig); the controller is killed for a while and
 * comes back on the same port and data directory. Every sample the agent
 * made is then stored exactly once: stored + still queued = the agent's last
 * seq, the stored intervals follow each other without a gap, and the
 * outage's intervals are among them. PGlite, or PostgreSQL under
 * DATABASE_URL.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl } from '../support/db';
import { freePort, runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

let dir: string;
let dbUrl: string | undefined;
let dropDb: () => Promise<void>;
let port: number;
let controller: ControllerProcess | undefined;

const start = () => startControllerProcess({ dataDir: join(dir, 'controller'), databaseUrl: dbUrl, extraArgs: ['--port', String(port)] });

interface Series {
  series: { start: string; end: string; bootIds: string[] }[];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-health-delivery-'));
  const db = await createTestDatabaseUrl();
  dbUrl = db.url;
  dropDb = db.drop;
  port = await freePort();
});

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('health delivery across a controller outage', () => {
  it('stores every sample of a real agent exactly once after the controller comes back', { timeout: 240_000 }, async () => {
    controller = await start();
    const boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
    expect((await api(boot, 'PUT', '/api/v1/settings/health', { intervalSec: 2 })).status).toBe(200);
    const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
    const stateDir = join(dir, 'agent');
    const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const agentId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const stored = async () => (await api<Series>(boot, 'GET', `/api/v1/hosts/${agentId}/health?from=${from}&to=${new Date(Date.now() + 3_600_000).toISOString()}`)).body.series;

    // The agent's own default is 5 minutes: samples every 2 s show that the controller's healthConfig took over.
    const agent = startAgentProcess(stateDir, ['--health-interval', '5m']);
    let down = 0;
    let up = 0;
    try {
      await waitFor(async () => (controller ? (await stored()).length >= 3 : false), 'three samples stored', 60_000);

      await controller.stop('SIGKILL');
      controller = undefined;
      down = Date.now();
      await new Promise((r) => setTimeout(r, 12_000));
      up = Date.now();
      controller = await start();

      // The queue drains: the agent's status (read from its state directory) shows nothing queued.
      await waitFor(async () => {
        const s = await runCli('agent', ['status', '--state-dir', stateDir, '--json']);
        return s.code === 0 && (JSON.parse(s.stdout) as { health: { queued: number } }).health.queued === 0;
      }, 'the health outbox to drain after the restart', 90_000);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    const status = JSON.parse((await runCli('agent', ['status', '--state-dir', stateDir, '--json'])).stdout) as { health: { queued: number; lastSeq: number } };
    const series = await stored();
    // Each (epoch, seq) is one row (the primary key): stored + queued = every sample made, so none is lost or stored twice.
    expect(series.length + status.health.queued).toBe(status.health.lastSeq);
    expect(series.length).toBeGreaterThan(8);
    // The intervals follow each other: nothing is missing in the middle.
    for (let i = 1; i < series.length; i++) expect(series[i]?.start, `sample ${i}`).toBe(series[i - 1]?.end);
    // And the outage is covered by samples the agent kept on disk while no controller listened.
    const during = series.filter((p) => Date.parse(p.start) >= down && Date.parse(p.end) <= up);
    expect(during.length).toBeGreaterThanOrEqual(3);
  });
});
