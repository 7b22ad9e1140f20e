import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type ProbeConfig } from '@patchfleet/shared';
import { PROBE_BODY_BYTES, runProbes } from './probes';

let http: Server;
let base = '';
let tcp: TcpServer;
let tcpPort = 0;
let closedPort = 0;

beforeAll(async () => {
  http = createServer((req, res) => {
    if (req.url === '/ok') return res.end('status: healthy\n');
    if (req.url === '/down') {
      res.statusCode = 503;
      return res.end('maintenance');
    }
    if (req.url === '/slow') return void setTimeout(() => res.end('status: healthy'), 300);
    if (req.url === '/hang') return; // never answers
    if (req.url === '/big') {
      // 1 MiB, the match only in the part after 64 KiB: must not be seen.
      res.write('x'.repeat(PROBE_BODY_BYTES));
      return res.end(`${'y'.repeat(1024 * 1024)}status: healthy`);
    }
    res.statusCode = 404;
    res.end();
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  tcp = createTcpServer((s) => s.end());
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  tcpPort = (tcp.address() as AddressInfo).port;
  const gone = createTcpServer();
  gone.listen(0, '127.0.0.1');
  await once(gone, 'listening');
  closedPort = (gone.address() as AddressInfo).port;
  await new Promise((r) => gone.close(r));
});

afterAll(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await new Promise((r) => tcp.close(r));
});

const probe = (p: Partial<ProbeConfig> & Pick<ProbeConfig, 'kind'>): ProbeConfig => ({ id: `p-${p.name ?? p.kind}`, name: p.name ?? p.kind, timeoutMs: 2000, ...p });

describe('probes against real local servers and commands', () => {
  it('no probes: 0 runs, 0 failures', async () => {
    expect(await runProbes([], systemClock)).toEqual({ probeRuns: 0, probeFailures: 0, events: [] });
  });

  it('http: status, body match, latency and timeout', async () => {
    const res = await runProbes(
      [
        probe({ kind: 'http', name: 'ok', url: `${base}/ok`, bodyMatch: 'status: (healthy|ok)' }),
        probe({ kind: 'http', name: 'down', url: `${base}/down` }),
        probe({ kind: 'http', name: 'down-expected', url: `${base}/down`, expectStatus: 503 }),
        probe({ kind: 'http', name: 'no-match', url: `${base}/ok`, bodyMatch: 'degraded' }),
        probe({ kind: 'http', name: 'slow', url: `${base}/slow`, maxLatencyMs: 100 }),
        probe({ kind: 'http', name: 'hang', url: `${base}/hang`, timeoutMs: 200 }),
        probe({ kind: 'http', name: 'big', url: `${base}/big`, bodyMatch: 'status: healthy' }),
      ],
      systemClock,
    );
    expect(res.probeRuns).toBe(7);
    expect(res.events.map((e) => e.subject)).toEqual(['down', 'no-match', 'slow', 'hang', 'big']);
    expect(res.probeFailures).toBe(5);
    const why = Object.fromEntries(res.events.map((e) => [e.subject, e.message]));
    expect(why.down).toMatch(/status 503, expected 200/);
    expect(why['no-match']).toMatch(/body does not match/);
    expect(why.slow).toMatch(/took \d+ ms, limit 100 ms/);
    expect(why.hang).toMatch(/no answer within 200 ms/);
    expect(res.events.every((e) => e.kind === 'probe-failure')).toBe(true);
  });

  it('tcp: a listening port passes, a closed one fails', async () => {
    const res = await runProbes([probe({ kind: 'tcp', name: 'open', host: '127.0.0.1', port: tcpPort }), probe({ kind: 'tcp', name: 'closed', host: '127.0.0.1', port: closedPort })], systemClock);
    expect(res.probeFailures).toBe(1);
    expect(res.events[0]).toMatchObject({ subject: 'closed', message: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('command: exit code against expectExit, no shell, killed at the timeout', async () => {
    const node = process.execPath;
    const res = await runProbes(
      [
        probe({ kind: 'command', name: 'zero', argv: [node, '-e', 'process.exit(0)'] }),
        probe({ kind: 'command', name: 'three', argv: [node, '-e', 'console.error("db unreachable"); process.exit(3)'] }),
        probe({ kind: 'command', name: 'three-expected', argv: [node, '-e', 'process.exit(3)'], expectExit: 3 }),
        probe({ kind: 'command', name: 'no-shell', argv: ['/bin/echo', '$(exit 1); false'] }),
        probe({ kind: 'command', name: 'sleeps', argv: [node, '-e', 'setTimeout(() => {}, 60000)'], timeoutMs: 300 }),
        probe({ kind: 'command', name: 'missing', argv: ['/nonexistent/probe-binary'] }),
      ],
      systemClock,
    );
    expect(res.events.map((e) => e.subject)).toEqual(['three', 'sleeps', 'missing']);
    const why = Object.fromEntries(res.events.map((e) => [e.subject, e.message]));
    expect(why.three).toMatch(/exit 3, expected 0: db unreachable/);
    expect(why.sleeps).toMatch(/timed out after 300 ms/);
    expect(why.missing).toMatch(/ENOENT/);
  });
});
