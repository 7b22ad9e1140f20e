/** A pinned HTTPS client for tests, speaking to a real controller process. */
import { request } from 'node:https';
import { PinnedAgent } from '@patchfleet/shared';

export interface Bootstrap {
  url: string;
  adminToken: string;
  caFingerprint: string;
  commandKey: string;
  /** The first user and their initial password (until changed). */
  adminUser?: string;
  adminPassword?: string;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** One request with the bootstrap admin token (or `token`; '' for none), and any extra headers. */
export async function api<T = unknown>(boot: Bootstrap, method: string, path: string, body?: unknown, token = boot.adminToken, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
  const agent = new PinnedAgent(boot.caFingerprint);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  try {
    return await new Promise((resolve, reject) => {
      const req = request(new URL(path, boot.url), { method, agent, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  } finally {
    agent.destroy();
  }
}

/** A GET whose answer is text (e.g. /metrics), with `token` ('' or undefined for none). */
export function getText(boot: Bootstrap, path: string, token: string | undefined): Promise<{ status: number; type: string; body: string }> {
  const agent = new PinnedAgent(boot.caFingerprint);
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request(new URL(path, boot.url), { agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  }).finally(() => agent.destroy());
}

/** A signed-in user as a browser would be: the session cookie, and the CSRF header on writes. */
export interface UserSession {
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
}

/** Signs `name` in over the real API and returns a client that uses the session cookie (never a token). */
export async function signIn(boot: Bootstrap, name: string, password: string): Promise<UserSession> {
  const res = await api<{ csrfToken: string }>(boot, 'POST', '/api/v1/auth/sign-in', { name, password }, '');
  if (res.status !== 200) throw new Error(`sign-in of ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
  const setCookie = res.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie : [setCookie ?? '']).map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith('pf_session='));
  if (!cookie) throw new Error('sign-in set no pf_session cookie');
  const csrf = res.body.csrfToken;
  return {
    call: (method, path, body) => api(boot, method, path, body, '', { cookie, ...(method === 'GET' ? {} : { 'x-csrf-token': csrf }) }),
  };
}
