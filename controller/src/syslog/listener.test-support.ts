/**
 * A syslog receiver for tests: a real TCP or TLS listener on 127.0.0.1 that
 * splits the stream into RFC 6587 octet-counted frames and fails the test on
 * a frame that does not parse.
 */
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export interface SyslogListener {
  port: number;
  /** Every SYSLOG-MSG received, in order, across connections. */
  messages: string[];
  /** Frames that did not parse (must stay empty). */
  errors: string[];
  connections: number;
  close(): Promise<void>;
}

/** Splits `buffer` into complete `LEN SP MSG` frames; returns them and what is left over. */
export function splitFrames(buffer: Buffer): { frames: string[]; rest: Buffer; error?: string } {
  const frames: string[] = [];
  let at = 0;
  for (;;) {
    const space = buffer.indexOf(0x20, at);
    if (space < 0) break;
    const lenText = buffer.subarray(at, space).toString('ascii');
    if (!/^[1-9][0-9]*$/.test(lenText)) return { frames, rest: Buffer.alloc(0), error: `bad MSG-LEN ${JSON.stringify(lenText.slice(0, 20))}` };
    const len = Number(lenText);
    if (buffer.length < space + 1 + len) break;
    frames.push(buffer.subarray(space + 1, space + 1 + len).toString('utf8'));
    at = space + 1 + len;
  }
  return { frames, rest: buffer.subarray(at) };
}

/** Starts a listener (TLS with `tls`: certificate and key PEM) on `port` (0: any); `dropOnData`: resets each connection when bytes arrive. */
export async function startSyslogListener(opts: { tls?: { cert: string; key: string }; port?: number; dropOnData?: boolean } = {}): Promise<SyslogListener> {
  const sockets = new Set<Socket>();
  const state: SyslogListener = { port: 0, messages: [], errors: [], connections: 0, close: async () => undefined };
  const onSocket = (socket: Socket) => {
    state.connections += 1;
    sockets.add(socket);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      // A receiver that dies as bytes arrive: the kernel took them, nobody read them.
      if (opts.dropOnData) return void socket.resetAndDestroy();
      const out = splitFrames(Buffer.concat([pending, chunk]));
      state.messages.push(...out.frames);
      if (out.error) state.errors.push(out.error);
      pending = out.rest;
    });
    socket.on('error', (err) => state.errors.push(`socket: ${err.message}`));
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, onSocket) : createTcpServer(onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
