/** A pinned HTTPS client for tests, speaking to a real controller process. */
import { request } from 'node:https';
import { PinnedAgent } from '@patchfleet/shared';

export interface Bootstrap {
  url: string;
  adminToken: string;
  caFingerprint: string;
  commandKey: string;
}

export async function api<T = unknown>(boot: Bootstrap, method: string, path: string, body?: unknown, token = boot.adminToken): Promise<{ status: number; body: T }> {
  const agent = new PinnedAgent(boot.caFingerprint);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  try {
    return await new Promise((resolve, reject) => {
      const req = request(new URL(path, boot.url), { method, agent, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  } finally {
    agent.destroy();
  }
}
