/**
 * A real webhook receiver for tests: an HTTP or HTTPS server on 127.0.0.1
 * (a self-signed certificate made here for HTTPS) that records every request
 * and answers with the next status of a script (then 200).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import selfsigned from 'selfsigned';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Receiver {
  url: string;
  /** PEM of the HTTPS receiver's certificate (its own CA); undefined for HTTP. */
  ca: string | undefined;
  received: Received[];
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 and localhost, valid an hour around now. */
export async function localCertificate(): Promise<{ cert: string; key: string }> {
  const now = Date.now();
  const made = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 3_600_000),
    notAfterDate: new Date(now + 3_600_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { cert: made.cert, key: made.private };
}

/** Starts a receiver; `statuses` are answered in order, then 200. */
export async function startReceiver(opts: { tls?: boolean; statuses?: number[]; path?: string } = {}): Promise<Receiver> {
  const statuses = [...(opts.statuses ?? [])];
  const received: Received[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  };
  const material = opts.tls ? await localCertificate() : undefined;
  const server: Server = material ? createHttpsServer({ cert: material.cert, key: material.key }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${material ? 'https' : 'http'}://127.0.0.1:${port}${opts.path ?? '/hook'}`,
    ca: material?.cert,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
