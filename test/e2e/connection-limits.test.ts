/**
 * The controller's network edge against idle and unauthenticated
 * connections, on real controller processes and real sockets (all on
 * 127.0.0.0/8; the flooding "clients" bind other loopback addresses than the
 * agent and the API client):
 *
 * - a connection that sends nothing (raw TCP, finished TLS, half a request)
 *   is closed after connectIdleSec;
 * - past maxConnectionsPerAddress unauthenticated connections an address is
 *   refused, while an authenticated agent and the API keep working;
 * - under a low open-file limit (prlimit on the controller process only) a
 *   flood of idle sockets from many addresses leaves the API and agent
 *   connections reachable.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PinnedAgent } from '@patchfleet/shared';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { REPO_ROOT, runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

interface Held {
  socket: Socket;
  /** ms after opening at which the controller closed it, once it has. */
  closedAfter: number | undefined;
  closed: Promise<number>;
}

function hold(socket: Socket): Held {
  const t0 = Date.now();
  const held: Held = { socket, closedAfter: undefined, closed: Promise.resolve(0) };
  socket.on('error', () => undefined); // a reset is one way of being closed
  held.closed = new Promise((resolve) =>
    socket.once('close', () => {
      held.closedAfter = Date.now() - t0;
      resolve(held.closedAfter);
    }),
  );
  return held;
}

function openRaw(url: string, localAddress: string): Held {
  const u = new URL(url);
  return hold(tcpConnect({ host: u.hostname, port: Number(u.port), localAddress }));
}

/** Opens `count` raw sockets and waits until each is connected or closed. */
async function openMany(url: string, localAddress: string, count: number): Promise<Held[]> {
  const list = Array.from({ length: count }, () => openRaw(url, localAddress));
  await Promise.all(list.map((h) => new Promise<void>((resolve) => {
    if (h.socket.readyState === 'open') return resolve();
    h.socket.once('connect', () => resolve());
    h.socket.once('close', () => resolve());
  })));
  return list;
}

/** One API call on a new connection from `localAddress`, with a deadline. */
function apiFrom(boot: Bootstrap, path: string, localAddress = '127.0.0.1', timeoutMs = 10_000): Promise<{ status: number; body: unknown }> {
  const agent = new PinnedAgent(boot.caFingerprint);
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = request(new URL(path, boot.url), { agent, localAddress, headers: { authorization: `Bearer ${boot.adminToken}` }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} from ${localAddress} in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  }).finally(() => agent.destroy());
}

interface AuditRow {
  action: string;
  targetId: string;
  details: { count: number; codes: Record<string, number> };
}

async function refusedConnections(boot: Bootstrap, address: string): Promise<Record<string, number>> {
  const res = await apiFrom(boot, '/api/v1/audit?action=connection.refused&limit=200');
  const totals: Record<string, number> = {};
  for (const row of (res.body as { items: AuditRow[] }).items) {
    if (row.targetId !== address) continue;
    for (const [code, n] of Object.entries(row.details.codes)) totals[code] = (totals[code] ?? 0) + n;
  }
  return totals;
}

async function startOne(dir: string, dbUrl: string | undefined, env: NodeJS.ProcessEnv, wrapper?: string[]): Promise<{ controller: ControllerProcess; boot: Bootstrap }> {
  if (!dbUrl) await seedPgliteDataDir(dir);
  const controller = await startControllerProcess({ dataDir: dir, databaseUrl: dbUrl, env: { PATCHFLEET_REFUSAL_AUDIT_SEC: '1', ...env }, ...(wrapper ? { wrapper } : {}) });
  return { controller, boot: JSON.parse(readFileSync(join(dir, 'bootstrap.json'), 'utf8')) as Bootstrap };
}

let dir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-edge-'));
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('idle connections', () => {
  let boot: Bootstrap;

  beforeAll(async () => {
    const db = await createTestDatabaseUrl();
    cleanups.push(db.drop);
    const started = await startOne(join(dir, 'idle'), db.url, { PATCHFLEET_CONNECT_IDLE_SEC: '2' });
    cleanups.push(() => started.controller.stop());
    boot = started.boot;
  }, 120_000);

  it('closes a raw TCP socket, a finished TLS handshake and half a request that send nothing within connectIdleSec', { timeout: 30_000 }, async () => {
    const u = new URL(boot.url);
    const raw = openRaw(boot.url, '127.0.0.4');
    // (TLS over a TCP socket of our own: that is how a client picks its source address.)
    const from4 = () => tcpConnect({ host: u.hostname, port: Number(u.port), localAddress: '127.0.0.4' });
    const tlsUp = hold(tlsConnect({ socket: from4(), rejectUnauthorized: false }));
    const half = hold(tlsConnect({ socket: from4(), rejectUnauthorized: false }, () => {
      // Headers that never end (slowloris).
      half.socket.write('GET /api/v1/hosts HTTP/1.1\r\nHost: x\r\n');
    }));
    // A client that speaks at once is served on a connection opened at the same time.
    expect((await apiFrom(boot, '/api/v1/hosts?limit=1')).status).toBe(200);
    const closedAfter = await Promise.race([
      Promise.all([raw.closed, tlsUp.closed, half.closed]),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still open after 15 s: ${[raw, tlsUp, half].map((h) => h.closedAfter).join(', ')}`)), 15_000)),
    ]);
    for (const ms of closedAfter) {
      expect(ms).toBeGreaterThanOrEqual(1_900);
      expect(ms).toBeLessThan(10_000);
    }
    await waitFor(async () => (await refusedConnections(boot, '127.0.0.4'))['idle-timeout'] === 3, 'three idle-timeout refusals in the audit log');
  });
});

describe('unauthenticated connections under a low open-file limit (prlimit --nofile=512 on the controller)', () => {
  let boot: Bootstrap;
  let agentId: string;
  const perAddress = 6;

  beforeAll(async () => {
    const db = await createTestDatabaseUrl();
    cleanups.push(db.drop);
    const started = await startOne(
      join(dir, 'limits'),
      db.url,
      // Long idle timeout: here the limits, not the timeout, must keep the controller reachable.
      { PATCHFLEET_CONNECT_IDLE_SEC: '60', PATCHFLEET_MAX_CONNECTIONS_PER_ADDRESS: String(perAddress) },
      ['prlimit', '--nofile=512:512'],
    );
    cleanups.push(() => started.controller.stop());
    boot = started.boot;
    await waitFor(() => /"openFileLimit":512/.test(started.controller.output()), 'the controller to log its 512-descriptor limit', 10_000);

    const created = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', { uses: 5 })).body.token;
    const stateDir = join(dir, 'agent');
    const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', created, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    agentId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
    const agent = startAgentProcess(stateDir);
    cleanups.push(() => agent.stop());
    await waitFor(async () => ((await apiFrom(boot, `/api/v1/hosts/${agentId}`)).body as { online?: boolean }).online === true, 'the agent to be online', 60_000);
  }, 180_000);

  it('refuses an address past its unauthenticated connections while the authenticated agent and the API keep working', { timeout: 60_000 }, async () => {
    const held = await openMany(boot.url, '127.0.0.2', perAddress);
    const extra = await openMany(boot.url, '127.0.0.2', 2);
    // The extra two are refused at once (the held ones stay: the idle timeout is 60 s).
    await Promise.race([Promise.all(extra.map((h) => h.closed)), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('connections past the per-address limit were not refused')), 5_000))]);
    expect(held.map((h) => h.closedAfter)).toEqual(Array(perAddress).fill(undefined));
    // Another address, the agent's session and the API are not affected.
    expect((await apiFrom(boot, '/api/v1/hosts?limit=1')).status).toBe(200);
    expect((await apiFrom(boot, '/api/v1/hosts?limit=1', '127.0.0.3')).status).toBe(200);
    expect(((await apiFrom(boot, `/api/v1/hosts/${agentId}`)).body as { online: boolean }).online).toBe(true);
    await waitFor(async () => (await refusedConnections(boot, '127.0.0.2'))['per-address-limit'] === 2, 'the two refusals in the audit log');
    // A held connection gives its slot back when it closes.
    held[0]!.socket.destroy();
    await held[0]!.closed;
    // (The controller sees the close a moment after this side does: try a few times, bounded.)
    const again = await waitFor(async () => {
      const [one] = await openMany(boot.url, '127.0.0.2', 1);
      await new Promise((r) => setTimeout(r, 300));
      if (one!.closedAfter === undefined) return one;
      return undefined;
    }, 'a new connection from 127.0.0.2 to be admitted again', 10_000);
    for (const h of [...held, again]) h.socket.destroy();
  });

  it('stays reachable for the API and for agents when flooded with more idle sockets than it has file descriptors', { timeout: 120_000 }, async () => {
    // 100 addresses x 6 = 600 idle sockets, more than the 512 descriptors the controller may open.
    const flood: Held[] = [];
    for (let i = 0; i < 100; i++) flood.push(...(await openMany(boot.url, `127.0.1.${i + 1}`, perAddress)));
    try {
      for (let i = 0; i < 5; i++) expect((await apiFrom(boot, '/api/v1/hosts?limit=1', '127.0.0.1', 10_000)).status).toBe(200);
      expect(((await apiFrom(boot, `/api/v1/hosts/${agentId}`)).body as { online: boolean }).online).toBe(true);
      // A new agent session authenticates during the flood (a second process of the same agent; its session replaces the first).
      const second = startAgentProcess(join(dir, 'agent'));
      try {
        await waitFor(() => /session authenticated/.test(second.output()), 'a second agent session to authenticate during the flood', 30_000);
      } finally {
        await second.stop();
      }
      // The controller kept far fewer flood sockets than it was sent (the rest were refused or evicted).
      const stillOpen = flood.filter((h) => h.closedAfter === undefined).length;
      expect(stillOpen).toBeLessThan(flood.length);
    } finally {
      for (const h of flood) h.socket.destroy();
    }
  });
});

describe('systemd units', () => {
  it('raise the open-file limit of the controller (sockets) and the agent', () => {
    const unit = (name: string) => readFileSync(join(REPO_ROOT, 'deploy', 'systemd', name), 'utf8');
    expect(unit('patchfleet-controller.service')).toMatch(/^LimitNOFILE=65536$/m);
    expect(unit('patchfleet-agent.service')).toMatch(/^LimitNOFILE=\d{4,}$/m);
  });
});
