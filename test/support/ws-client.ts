/** A raw protocol client for tests that need to misbehave on purpose. */
import { WebSocket } from 'ws';
import { AGENT_WS_PATH, PinnedAgent, type Message } from '@patchfleet/shared';

export interface RawClient {
  ws: WebSocket;
  send(frame: unknown): void;
  /** Next frame from the controller (parsed JSON). */
  next(timeoutMs?: number): Promise<Message>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function wsUrl(httpsUrl: string): string {
  return `${httpsUrl.replace(/^https:/, 'wss:')}${AGENT_WS_PATH}`;
}

export function connectRaw(httpsUrl: string, fingerprint: string): Promise<RawClient> {
  const agent = new PinnedAgent(fingerprint);
  const ws = new WebSocket(wsUrl(httpsUrl), { agent });
  const queue: Message[] = [];
  const waiters: ((m: Message) => void)[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as Message;
    const w = waiters.shift();
    if (w) w(msg);
    else queue.push(msg);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
        next: (timeoutMs = 10_000) =>
          new Promise<Message>((res, rej) => {
            const queued = queue.shift();
            if (queued) return res(queued);
            const t = setTimeout(() => rej(new Error('no frame from the controller in time')), timeoutMs);
            waiters.push((m) => {
              clearTimeout(t);
              res(m);
            });
          }),
        closed,
        close: () => ws.close(),
      }),
    );
  });
}
