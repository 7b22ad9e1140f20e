/**
 * PinnedAgent (shared/src/tls/pinned-agent.ts) against real TLS servers on
 * 127.0.0.1. It lives here because the certificates come from `selfsigned`,
 * a controller dependency, the same way the controller makes its own.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpsServer, request, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import selfsigned from 'selfsigned';
import { certFingerprint, isPfError, PinnedAgent } from '@patchfleet/shared';

interface Cert {
  cert: string;
  key: string;
  fingerprint: string;
}

async function makeCert(cn: string): Promise<Cert> {
  const made = await selfsigned.generate([{ name: 'commonName', value: cn }], { keyType: 'ec', curve: 'P-256' });
  return { cert: made.cert, key: made.private, fingerprint: certFingerprint(new X509Certificate(made.cert).raw) };
}

const SECRET = 'pfa_this-must-never-reach-a-wrong-server';

function get(port: number, agent: PinnedAgent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/hosts', method: 'GET', agent, headers: { authorization: `Bearer ${SECRET}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('the request succeeded');
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('PinnedAgent', () => {
  let serverCert: Cert;
  let otherCert: Cert;

  // An HTTPS server that counts TCP connections and requests.
  let https: HttpsServer;
  let httpsPort: number;
  const counts = { tcp: 0, requests: 0 };

  // A raw TLS server that records every decrypted byte a client sends.
  let raw: TlsServer;
  let rawPort: number;
  const received: Buffer[] = [];
  const rawSockets: TLSSocket[] = [];
  let rawConnections = 0;

  beforeAll(async () => {
    [serverCert, otherCert] = await Promise.all([makeCert('patchfleet-test'), makeCert('impostor')]);

    https = createHttpsServer({ cert: serverCert.cert, key: serverCert.key }, (_req, res) => {
      res.end('ok');
    });
    https.on('connection', () => counts.tcp++);
    https.on('request', () => counts.requests++);
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    httpsPort = (https.address() as AddressInfo).port;

    raw = createTlsServer({ cert: serverCert.cert, key: serverCert.key }, (socket) => {
      rawSockets.push(socket);
      let seen = '';
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        seen += chunk.toString('latin1');
        if (seen.includes('\r\n\r\n')) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nraw');
      });
      socket.on('error', () => {}); // the client hanging up mid-handshake is what these tests provoke
    });
    raw.on('connection', () => rawConnections++);
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    rawPort = (raw.address() as AddressInfo).port;
  });

  afterAll(async () => {
    https.closeAllConnections();
    for (const s of rawSockets) s.destroy();
    await Promise.all([new Promise((r) => https.close(r)), new Promise((r) => raw.close(r))]);
  });

  it('computes the same fingerprint as X509Certificate', () => {
    const x509 = new X509Certificate(serverCert.cert);
    expect(serverCert.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(serverCert.fingerprint).toBe(x509.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(serverCert.fingerprint).not.toBe(otherCert.fingerprint);
  });

  it('connects when the certificate matches the pin, though it is self-signed', async () => {
    const before = { ...counts };
    const agent = new PinnedAgent(serverCert.fingerprint);
    try {
      const res = await get(httpsPort, agent);
      expect(res).toEqual({ status: 200, body: 'ok' });
      expect(counts.requests).toBe(before.requests + 1);
    } finally {
      agent.destroy();
    }
  });

  it('accepts the pin in colon-separated upper-case form', async () => {
    const colons = serverCert.fingerprint.toUpperCase().match(/../g)?.join(':') ?? '';
    const agent = new PinnedAgent(colons);
    try {
      expect(agent.fingerprint).toBe(serverCert.fingerprint);
      expect((await get(httpsPort, agent)).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('refuses a server whose certificate differs, and the server never sees the request', async () => {
    const before = { ...counts };
    const agent = new PinnedAgent(otherCert.fingerprint);
    try {
      const err = await failure(get(httpsPort, agent));
      expect(isPfError(err)).toBe(true);
      expect((err as Error & { code: string }).code).toBe('PF_ERR_TLS_PIN_MISMATCH');
      expect((err as Error & { details: unknown }).details).toEqual({ expected: otherCert.fingerprint, actual: serverCert.fingerprint });
      await settle();
      expect(counts.tcp).toBe(before.tcp + 1); // the server was reached...
      expect(counts.requests).toBe(before.requests); // ...but no request followed it
    } finally {
      agent.destroy();
    }
  });

  it('sends not one byte, let alone the Authorization header, to a server with another certificate', async () => {
    // Control: with the right pin the raw server does receive the header, so the recorder works.
    const good = new PinnedAgent(serverCert.fingerprint);
    try {
      expect(await get(rawPort, good)).toEqual({ status: 200, body: 'raw' });
    } finally {
      good.destroy();
    }
    expect(Buffer.concat(received).toString('latin1')).toContain(`Bearer ${SECRET}`);

    received.length = 0;
    const connectionsBefore = rawConnections;
    const bad = new PinnedAgent('ab'.repeat(32));
    try {
      const err = await failure(get(rawPort, bad));
      expect((err as Error & { code: string }).code).toBe('PF_ERR_TLS_PIN_MISMATCH');
      await settle();
      expect(rawConnections).toBe(connectionsBefore + 1); // reached over TCP, yet:
      expect(Buffer.concat(received)).toHaveLength(0);
    } finally {
      bad.destroy();
    }
  });

  it('passes connection errors through unchanged', async () => {
    const closed = createTlsServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const agent = new PinnedAgent(serverCert.fingerprint);
    try {
      const err = await failure(get(port, agent));
      expect(isPfError(err)).toBe(false);
      expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    } finally {
      agent.destroy();
    }
  });
});
