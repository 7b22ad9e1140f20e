/**
 * Enrollment: make the host key pair, pin the controller's certificate by
 * fingerprint, present the enrollment token over that pinned channel, and
 * store the identity with the command key the controller returned.
 */
import { request } from 'node:https';
import { hostname } from 'node:os';
import { nodeEd25519, normalizeFingerprint, PinnedAgent, isPfError } from '@patchfleet/shared';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { AGENT_VERSION } from '../version';
import { existsSync } from 'node:fs';
import { identityPath, writeIdentity, type Identity } from './state-dir';

export interface EnrollOptions {
  /** wss://host:port (or https://host:port) */
  server: string;
  token: string;
  caFingerprint: string;
  stateDir: string;
  /** Re-enroll even if an identity exists. */
  force?: boolean;
  timeoutMs?: number;
  /** Other replicas' URLs, comma-separated (see Identity.failoverUrls). */
  failover?: string;
}

/** The agent endpoints of `--failover`'s comma-separated replica URLs (wss:// or https://), without duplicates of `primary`. */
export function failoverUrls(list: string | undefined, primary: string): string[] {
  if (list === undefined || list.trim() === '') return [];
  const out: string[] = [];
  for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    let wss: string;
    try {
      wss = controllerUrls(item).wss;
    } catch (err) {
      throw new PfError(Errors.USAGE, `--failover: ${(err as Error).message.replace(/^--server /, '')}`);
    }
    if (wss !== primary && !out.includes(wss)) out.push(wss);
  }
  if (out.length > 16) throw new PfError(Errors.USAGE, '--failover takes at most 16 controller URLs');
  return out;
}

/** Turns the --server value into the https base URL and the wss endpoint URL. */
export function controllerUrls(server: string, wsPath = '/api/v1/agent/ws'): { https: string; wss: string } {
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    throw new PfError(Errors.USAGE, `--server "${server}" is not a URL (expected wss://HOST:PORT)`);
  }
  if (u.protocol !== 'wss:' && u.protocol !== 'https:') {
    throw new PfError(Errors.USAGE, `--server must be wss:// or https:// (plain ws/http would expose the token), got ${u.protocol}//`);
  }
  // URL#host already brackets an IPv6 address and omits the default port.
  const origin = u.host;
  return { https: `https://${origin}`, wss: `wss://${origin}${wsPath}` };
}

function postJson(url: string, body: unknown, agent: PinnedAgent, timeoutMs: number): Promise<{ status: number; json: unknown }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, json: { error: { code: 'PF_ERR_HTTP', message: text.slice(0, 200) } } });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('controller did not answer in time')));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function enroll(opts: EnrollOptions): Promise<Identity> {
  if (!opts.force && existsSync(identityPath(opts.stateDir))) {
    throw new PfError(Errors.USAGE, `${opts.stateDir} already holds an enrolled identity; pass --force to enroll again`);
  }
  const fingerprint = normalizeFingerprint(opts.caFingerprint);
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new PfError(Errors.USAGE, '--ca-fingerprint must be the 64 hex digits of a SHA-256');
  const urls = controllerUrls(opts.server);
  // Checked before anything is sent: a typo must not cost the token.
  const failover = failoverUrls(opts.failover, urls.wss);
  const keys = nodeEd25519.generateKeyPair();
  const agent = new PinnedAgent(fingerprint);
  let res: { status: number; json: unknown };
  try {
    res = await postJson(
      `${urls.https}/api/v1/agents/enroll`,
      { token: opts.token, publicKey: keys.publicKey, hostname: hostname(), platform: process.platform === 'win32' ? 'windows' : process.platform, agentVersion: AGENT_VERSION },
      agent,
      opts.timeoutMs ?? 30_000,
    );
  } catch (err) {
    if (isPfError(err)) throw err; // the pin check names itself (PF_ERR_TLS_PIN_MISMATCH)
    throw new PfError(Errors.CONNECT_FAILED, `cannot reach ${urls.https}: ${(err as Error).message}`);
  } finally {
    agent.destroy();
  }
  const body = res.json as { agentId?: string; commandKey?: string; labels?: Record<string, string>; wsPath?: string; error?: { code?: string; message?: string } };
  if (res.status !== 200 || !body.agentId || !body.commandKey) {
    const code = body.error?.code ?? Errors.HTTP.code;
    throw new PfError(Errors.ENROLL_REFUSED, `enrollment refused (${code}): ${body.error?.message ?? `HTTP ${res.status}`}`, { code });
  }
  const identity: Identity = {
    agentId: body.agentId,
    wsUrl: controllerUrls(opts.server, body.wsPath).wss,
    ...(failover.length > 0 ? { failoverUrls: failover } : {}),
    serverUrl: urls.https,
    caFingerprint: fingerprint,
    commandKey: body.commandKey,
    publicKey: keys.publicKey,
    secretKey: keys.secretKey,
    enrolledAt: new Date().toISOString(),
    labels: body.labels ?? {},
  };
  writeIdentity(opts.stateDir, identity);
  return identity;
}
