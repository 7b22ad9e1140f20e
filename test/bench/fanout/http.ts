/**
 * A pinned HTTPS JSON client for the admin API and enrollment. Unlike the
 * test helper (one TLS session per call), it keeps connections alive:
 * thousands of enrollments should not each pay a TLS handshake.
 */
import { request } from 'node:https';
import { PinnedAgent } from '@patchfleet/shared';

export class PinnedClient {
  private readonly agent: PinnedAgent;

  constructor(
    private readonly baseUrl: string,
    fingerprint: string,
    private readonly token: string | undefined,
    maxSockets = 64,
  ) {
    this.agent = new PinnedAgent(fingerprint, { keepAlive: true, maxSockets });
  }

  /** Sends one request and parses the JSON answer; rejects on a transport error or a non-2xx answer (with the error envelope in the message). */
  async call<T>(method: string, path: string, body?: unknown, opts: { timeoutMs?: number; auth?: boolean } = {}): Promise<T> {
    const text = await this.text(method, path, body, opts);
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch (err) {
      throw new Error(`${method} ${path} answered invalid JSON: ${(err as Error).message}`);
    }
  }

  /** Sends one request and returns the answer's body as text (e.g. GET /metrics); rejects as {@link call} does. */
  text(method: string, path: string, body?: unknown, opts: { timeoutMs?: number; auth?: boolean } = {}): Promise<string> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = {};
    if (this.token && opts.auth !== false) headers.authorization = `Bearer ${this.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    return new Promise<string>((resolve, reject) => {
      const req = request(new URL(path, this.baseUrl), { method, agent: this.agent, headers, timeout: opts.timeoutMs ?? 120_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(new Error(`${method} ${path} answered HTTP ${status}: ${text.slice(0, 500)}`));
          resolve(text);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} got no answer in time`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
