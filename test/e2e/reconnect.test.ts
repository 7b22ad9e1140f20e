/**
 * Nothing is lost when the controller goes away: an agent started while the
 * controller is down keeps its report in the on-disk outbox, reconnects with
 * backoff when the controller is back (same data directory, same port), and
 * the report arrives.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { freePort, runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

let dir: string;
let dbUrl: string | undefined;
let dropDb: () => Promise<void>;
let port: number;
let controller: ControllerProcess | undefined;

const start = () => startControllerProcess({ dataDir: join(dir, 'controller'), databaseUrl: dbUrl, extraArgs: ['--port', String(port)] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-reconnect-'));
  const db = await createTestDatabaseUrl();
  dbUrl = db.url;
  dropDb = db.drop;
  port = await freePort();
  // A migrated PGlite from the template: the controller skips initdb and the migrations (seconds).
  if (dbUrl === undefined) await seedPgliteDataDir(join(dir, 'controller'));
});

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('controller restart', () => {
  it('an agent queues while the controller is down and delivers when it is back', { timeout: 120_000 }, async () => {
    controller = await start();
    const boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
    const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
    const stateDir = join(dir, 'agent');
    const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const agentId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;

    // The controller goes down (SIGKILL: no goodbye to anyone).
    await controller.stop('SIGKILL');
    controller = undefined;

    const agent = startAgentProcess(stateDir);
    try {
      // The report waits on disk while the controller is unreachable.
      await waitFor(() => existsSync(join(stateDir, 'outbox')) && readdirSync(join(stateDir, 'outbox')).length === 1, 'the report to be queued on disk');
      await waitFor(() => /connection failed/.test(agent.output()), 'a failed connection attempt');
      expect(readdirSync(join(stateDir, 'outbox'))).toHaveLength(1);
      // It keeps trying (it does not give up and exit) through several reconnect delays.
      await new Promise((r) => setTimeout(r, 4000));
      expect(agent.child.exitCode).toBeNull();
      expect(agent.output().match(/connection failed/g)?.length ?? 0).toBeGreaterThan(1);

      controller = await start();
      const host = await waitFor(async () => {
        const h = await api<{ lastSeq: number; packageCount: number; online: boolean }>(boot, 'GET', `/api/v1/hosts/${agentId}`);
        return h.body.lastSeq >= 1 && h.body.online ? h.body : undefined;
      }, 'the queued report to arrive after the restart', 60_000);
      expect(host.packageCount).toBeGreaterThan(0);
      await waitFor(() => readdirSync(join(stateDir, 'outbox')).length === 0, 'the outbox to empty after the ack');
      expect(agent.child.exitCode).toBeNull();
      // A clean stop: SIGTERM ends the session and the process with 0.
      expect(await agent.stop()).toBe(0);
    } finally {
      await agent.stop();
    }
  });
});
