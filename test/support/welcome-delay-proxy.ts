/**
 * A TLS WebSocket proxy between real agents and a real controller that holds
 * back the controller's `welcome` frame (and everything after it, in order)
 * for a while: the window between the socket opening and authentication that
 * a slow database (a PostgreSQL outage) opens in production. It presents the
 * controller's own certificate, so the agent's pin still matches.
 */
import { createServer, type Server } from 'node:https';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

export interface ProxiedFrame {
  at: number;
  type: string;
  seq?: number;
}

export interface WelcomeDelayProxy {
  /** wss:// URL of the proxy's agent endpoint */
  wsUrl: string;
  /** agent -> controller frames, in order */
  fromAgent: ProxiedFrame[];
  /** when each `welcome` was passed on to the agent */
  welcomesReleased: number[];
  /** Drops every proxied connection (the agent reconnects, and its next welcome is held again). */
  disconnect(): void;
  close(): Promise<void>;
}

const typeOf = (data: RawData): ProxiedFrame & { raw: string } => {
  const raw = data.toString();
  try {
    const f = JSON.parse(raw) as { type?: unknown; seq?: unknown };
    return { at: Date.now(), type: String(f.type), ...(typeof f.seq === 'number' ? { seq: f.seq } : {}), raw };
  } catch {
    return { at: Date.now(), type: '(not json)', raw };
  }
};

export async function startWelcomeDelayProxy(opts: { controllerWsUrl: string; cert: string; key: string; delayMs: number }): Promise<WelcomeDelayProxy> {
  const server: Server = createServer({ cert: opts.cert, key: opts.key });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const fromAgent: ProxiedFrame[] = [];
  const welcomesReleased: number[] = [];
  const sockets = new Set<WebSocket>();
  wss.on('connection', (agentWs, req) => {
    const upstream = new WebSocket(new URL(req.url ?? '/', opts.controllerWsUrl).toString(), { rejectUnauthorized: false, perMessageDeflate: false });
    sockets.add(agentWs);
    sockets.add(upstream);
    const early: string[] = [];
    let down: Promise<void> = Promise.resolve();
    agentWs.on('message', (data) => {
      const f = typeOf(data);
      fromAgent.push({ at: f.at, type: f.type, ...(f.seq !== undefined ? { seq: f.seq } : {}) });
      if (upstream.readyState === WebSocket.OPEN) upstream.send(f.raw);
      else early.push(f.raw);
    });
    upstream.on('open', () => {
      for (const raw of early.splice(0)) upstream.send(raw);
    });
    upstream.on('message', (data) => {
      const f = typeOf(data);
      // Order is kept: frames after a held welcome wait behind it.
      down = down.then(async () => {
        if (f.type === 'welcome') {
          await new Promise((r) => setTimeout(r, opts.delayMs));
          welcomesReleased.push(Date.now());
        }
        if (agentWs.readyState === WebSocket.OPEN) agentWs.send(f.raw);
      });
    });
    const closeBoth = () => {
      if (agentWs.readyState === WebSocket.OPEN) agentWs.close(1001);
      if (upstream.readyState === WebSocket.OPEN) upstream.close(1001);
    };
    agentWs.on('close', closeBoth);
    upstream.on('close', closeBoth);
    agentWs.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const path = new URL(opts.controllerWsUrl).pathname;
  return {
    wsUrl: `wss://127.0.0.1:${port}${path}`,
    fromAgent,
    welcomesReleased,
    disconnect: () => {
      for (const s of sockets) s.terminate();
      sockets.clear();
    },
    close: async () => {
      for (const s of sockets) s.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
