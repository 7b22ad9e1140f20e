/**
 * `patchfleet probes`, `patchfleet health config` and `patchfleet hosts
 * health` against a real controller process (PGlite, or PostgreSQL under
 * DATABASE_URL). A raw protocol client plays an enrolled agent with
 * capability health/1 and delivers samples over the real socket.
 *
 * One controller serves the whole file. Each CLI run is a tsx start (about
 * two CPU seconds), so runs that do not depend on each other start together.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authChallengePayload, canonicalBytes, Capabilities, makeFrame, nodeEd25519, type HealthSample } from '@patchfleet/shared';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { runCli, startControllerProcess, type ControllerProcess } from '../support/processes';
import { connectRaw, type RawClient } from '../support/ws-client';

const MIN = 60_000;
let dir: string;
let dataDir: string;
let dropDb: () => Promise<void>;
let controller: ControllerProcess;
let boot: Bootstrap;
let agentId: string;
const key = nodeEd25519.generateKeyPair();

/** Runs the CLI against the test controller; arguments after `--` (a command probe's argv) stay last. */
const cli = (args: string[]) => {
  const dash = args.indexOf('--');
  return runCli('controller', dash < 0 ? [...args, '--data-dir', dataDir] : [...args.slice(0, dash), '--data-dir', dataDir, ...args.slice(dash)]);
};

async function agentSession(): Promise<RawClient> {
  const c = await connectRaw(boot.url, boot.caFingerprint);
  c.send(makeFrame('hello', { agentId, agentVersion: '0.4.0', platform: 'linux', capabilities: [Capabilities.Health] }, Date.now()));
  const ch = await c.next();
  if (ch.type !== 'challenge') throw new Error(`expected challenge, got ${ch.type}`);
  c.send(makeFrame('auth', { agentId, sessionId: ch.sessionId, signature: nodeEd25519.sign(canonicalBytes(authChallengePayload(agentId, ch.sessionId, ch.nonce)), key.secretKey) }, Date.now()));
  expect((await c.next()).type).toBe('welcome');
  return c;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-health-cli-'));
  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  dataDir = join(dir, 'controller');
  // A migrated PGlite from the template: the controller skips initdb and the migrations (seconds).
  if (db.url === undefined) await seedPgliteDataDir(dataDir);
  controller = await startControllerProcess({ dataDir, databaseUrl: db.url });
  boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
  const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', { labels: { role: 'web' } })).body.token;
  const enrolled = await api<{ agentId: string }>(boot, 'POST', '/api/v1/agents/enroll', { token, publicKey: key.publicKey, hostname: 'web-1', platform: 'linux', agentVersion: '0.4.0' }, '');
  expect(enrolled.status).toBe(200);
  agentId = enrolled.body.agentId;
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('patchfleet probes and health', () => {
  it('adds, lists and removes probes of each kind; refuses a bad one with its code', { timeout: 120_000 }, async () => {
    const [http, cmd, tcp, bad] = await Promise.all([
      cli(['probes', 'add', 'web-ok', '--kind', 'http', '--url', 'http://127.0.0.1:8080/healthz', '--body-match', 'ok', '--max-latency', '800ms', '--labels', 'role=web']),
      cli(['probes', 'add', 'dns', '--kind', 'command', '--timeout', '3s', '--ring', 'Test', '--', 'getent', 'hosts', 'example.org']),
      cli(['probes', 'add', 'pg', '--kind', 'tcp', '--host', 'db.local', '--port', '5432']),
      cli(['probes', 'add', 'nothing', '--kind', 'tcp', '--host', 'x']),
    ]);
    expect(http.code, http.stderr).toBe(0);
    expect(http.stdout).toMatch(/^added probe web-ok \(pr_[0-9a-f]+\): GET http:\/\/127.0.0.1:8080\/healthz, <= 800 ms, body \/ok\/; role=web\n$/);
    expect(cmd.code, cmd.stderr).toBe(0);
    expect(tcp.code, tcp.stderr).toBe(0);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error PF_ERR_VALIDATION: a tcp probe needs host and port/);
    const list = await cli(['probes', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+KIND\s+CHECKS\s+TIMEOUT\s+SCOPE\s+ENABLED$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(1, 3))).toEqual([
      ['dns', 'command'],
      ['pg', 'tcp'],
      ['web-ok', 'http'],
    ]);
    expect(list.stdout).toMatch(/getent hosts example.org\s+3000 ms\s+ring rg_test\s+yes/);
    const removed = await cli(['probes', 'remove', 'pg']);
    expect(removed.stdout).toMatch(/^removed probe pg \(pr_/);
    expect((JSON.parse((await cli(['probes', 'list', '--json'])).stdout) as unknown[]).length).toBe(2);
  });

  it('shows and changes the health settings; a connected agent gets the new interval', { timeout: 120_000 }, async () => {
    const c = await agentSession();
    expect(await c.next()).toMatchObject({ type: 'healthConfig', intervalSec: 300, probes: [{ name: 'web-ok' }] });
    // A refused change changes nothing, so it runs beside the first look.
    const [shown, bad] = await Promise.all([cli(['health', 'config']), cli(['health', 'config', '--interval', '3d'])]);
    expect(shown.stdout).toBe('interval:       5m\nretention days: 30\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error PF_ERR_VALIDATION: /);
    const changed = await cli(['health', 'config', '--interval', '2m', '--retention-days', '14']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toBe('interval:       2m\nretention days: 14\n');
    expect(await c.next()).toMatchObject({ type: 'healthConfig', intervalSec: 120 });
    c.close();
  });

  it("prints a host's health: samples, events, boot ids, unavailable sources", { timeout: 120_000 }, async () => {
    const c = await agentSession();
    await c.next(); // healthConfig
    const t0 = Math.floor((Date.now() - 3 * 60 * MIN) / (5 * MIN)) * 5 * MIN;
    const samples: HealthSample[] = Array.from({ length: 6 }, (_, i) => ({
      seq: i + 1,
      periodStart: t0 + i * 5 * MIN,
      periodEnd: t0 + (i + 1) * 5 * MIN,
      bootId: i < 4 ? '0f3c1a2b-aaaa' : '7d9e4c10-bbbb',
      uptimeSec: 3600 + i * 300,
      counters: i === 2 ? { appCrashes: 1, kernelCrashes: 0, serviceFailures: 1, probeFailures: 1, probeRuns: 1 } : { appCrashes: 0, kernelCrashes: 0, serviceFailures: 0, unexpectedShutdowns: 0, probeFailures: 0, probeRuns: 1 },
      unavailable: i === 2 ? ['var-crash'] : [],
      events: i === 2 ? [{ kind: 'app-crash', at: t0 + 12 * MIN, subject: 'nginx', message: 'signal 11' }] : [],
    }));
    const frame = makeFrame('health', { epoch: 'ep-cli', samples }, Date.now());
    c.send(frame);
    expect(await c.next()).toMatchObject({ type: 'healthAck', seq: 6 });
    c.close();

    const [out, jsonOut, missing] = await Promise.all([cli(['hosts', 'health', agentId, '--since', '6h']), cli(['hosts', 'health', agentId, '--json']), cli(['hosts', 'health', 'h_nope'])]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^host: {8}web-1 \(/);
    expect(out.stdout).toMatch(/totals: {6}6 samples over 30m; crashes 1 app, 0 kernel; 1 service failures; 0 unexpected shutdowns; probes 1 failed of 6 run/);
    expect(out.stdout).toMatch(/boot ids: {4}0f3c1a2b-aaaa, 7d9e4c10-bbbb/);
    expect(out.stdout).toMatch(/unavailable: var-crash/);
    expect(out.stdout).toMatch(/INTERVAL\s+LENGTH\s+APP CRASH\s+KERNEL\s+SERVICES\s+SHUTDOWNS\s+PROBES FAILED\/RUN\s+BOOT ID\s+UNAVAILABLE/);
    expect(out.stdout).toMatch(/\s5m\s+1\s+0\s+1\s+-\s+1\/1\s+0f3c1a2b\s+var-crash/);
    expect(out.stdout).toMatch(/app-crash\s+nginx\s+signal 11/);
    process.stdout.write(`\n--- patchfleet hosts health (example) ---\n${out.stdout}\n`);
    expect(jsonOut.code, jsonOut.stderr).toBe(0);
    const json = JSON.parse(jsonOut.stdout) as { series: unknown[] };
    expect(json.series).toHaveLength(6);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error PF_ERR_NOT_FOUND: no host matches "h_nope"/);
  });
});
