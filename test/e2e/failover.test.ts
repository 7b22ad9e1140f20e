/**
 * Failover between two controller replicas on one PostgreSQL database, as
 * real processes: an agent enrolled with replica 1 and given replica 2 as
 * its failover (`--failover`) is connected to replica 1; replica 1 is killed
 * (SIGKILL: no goodbye); the agent is back, on replica 2, within seconds
 * (the failover wait is at most 2 s of jitter, not the back-off), and a
 * command issued through replica 2 reaches it.
 * Always PostgreSQL (never PGlite): see test/support/postgres.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Bootstrap } from '../support/api';
import { createRealPostgresDatabase, type RealPostgresDatabase } from '../support/postgres';
import { runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

interface HostView {
  online: boolean;
  lastSeq: number;
  sessions: { controllerId: string; disconnectedAt: string | null }[];
}

let dir = '';
let pg: RealPostgresDatabase | undefined;
let c1: ControllerProcess | undefined;
let c2: ControllerProcess | undefined;
let boot1: Bootstrap;
let boot2: Bootstrap;
let agent: ReturnType<typeof startAgentProcess> | undefined;

const readBootstrap = (d: string) => JSON.parse(readFileSync(join(d, 'bootstrap.json'), 'utf8')) as Bootstrap;
const wss = (boot: Bootstrap) => boot.url.replace('https:', 'wss:');
const controllerId = async (boot: Bootstrap) => (await api<{ controllerId: string }>(boot, 'GET', '/healthz')).body.controllerId;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-failover-'));
  pg = await createRealPostgresDatabase();
  const d1 = join(dir, 'controller-1');
  const d2 = join(dir, 'controller-2');
  c1 = await startControllerProcess({ dataDir: d1, databaseUrl: pg.url });
  boot1 = readBootstrap(d1);
  // Replica 2 shares what agents pin: the certificate and the command key.
  mkdirSync(d2, { recursive: true, mode: 0o700 });
  cpSync(join(d1, 'tls'), join(d2, 'tls'), { recursive: true });
  cpSync(join(d1, 'keys'), join(d2, 'keys'), { recursive: true });
  c2 = await startControllerProcess({ dataDir: d2, databaseUrl: pg.url });
  boot2 = readBootstrap(d2);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await c1?.stop('SIGKILL');
  await c2?.stop();
  await pg?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('failover between two controllers', () => {
  it('moves an agent to the surviving replica within seconds when its controller is killed, and commands reach it there', { timeout: 180_000 }, async () => {
    const [ctl1, ctl2] = [await controllerId(boot1), await controllerId(boot2)];
    expect(ctl1).not.toBe(ctl2);
    const token = (await api<{ token: string }>(boot1, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
    const stateDir = join(dir, 'agent');
    // A typo in --failover is refused before the token is spent.
    const typo = await runCli('agent', ['enroll', '--server', wss(boot1), '--failover', 'ws://plain:1', '--token', token, '--ca-fingerprint', boot1.caFingerprint, '--state-dir', stateDir]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('error PF_ERR_USAGE: --failover: must be wss:// or https://');
    const enrolled = await runCli('agent', ['enroll', '--server', wss(boot1), '--failover', wss(boot2), '--token', token, '--ca-fingerprint', boot1.caFingerprint, '--state-dir', stateDir]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const identity = JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string; failoverUrls: string[] };
    expect(identity.failoverUrls).toEqual([`${wss(boot2)}/api/v1/agent/ws`]);
    const hostPath = `/api/v1/hosts/${identity.agentId}`;
    const openOn = async (boot: Bootstrap, ctl: string) => {
      const h = await api<HostView>(boot, 'GET', hostPath);
      return h.status === 200 && h.body.online && h.body.sessions.some((s) => s.controllerId === ctl && s.disconnectedAt === null);
    };

    agent = startAgentProcess(stateDir, ['--no-health']);
    await waitFor(async () => (await openOn(boot2, ctl1)) && (await api<HostView>(boot2, 'GET', hostPath)).body.lastSeq >= 1, 'the agent on replica 1 with its first report', 60_000);

    const killedAt = Date.now();
    await c1?.stop('SIGKILL');
    c1 = undefined;
    await waitFor(() => openOn(boot2, ctl2), 'the agent on replica 2', 30_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nagent output:\n${agent?.output().slice(-3000)}`);
    });
    const backAfterMs = Date.now() - killedAt;
    // Failover, not back-off: the close is seen at once and the next replica is tried within 2 s of jitter.
    expect(backAfterMs).toBeLessThan(15_000);
    expect(agent.output()).toMatch(new RegExp(`"next":"${wss(boot2).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/api/v1/agent/ws"`));

    // A command issued through replica 2 reaches the agent there (a reboot, refused without --allow-reboot).
    const cmd = await api<{ items: { id: string }[] }>(boot2, 'POST', '/api/v1/commands', { hostIds: [identity.agentId], action: 'reboot', target: 'failover-test', params: { reason: 'test', delaySec: 60 }, ttlSec: 600 });
    expect(cmd.status, JSON.stringify(cmd.body)).toBe(201);
    const id = cmd.body.items[0]?.id as string;
    const done = await waitFor(async () => {
      const c = await api<{ state: string; errorCode: string | null; finishedAt: string | null }>(boot2, 'GET', `/api/v1/commands/${id}`);
      return c.body.finishedAt ? c.body : undefined;
    }, 'the command to finish on the agent', 30_000);
    expect(done).toMatchObject({ state: 'failed', errorCode: 'PF_ERR_REBOOT_DISABLED' });
    process.stdout.write(`failover: agent back on replica 2 ${backAfterMs} ms after replica 1 was killed\n`);
  });
});
