/**
 * A small REST client for the CLI. When the controller's certificate
 * fingerprint is known it is pinned (no request byte, and so no token, goes
 * to any other server); otherwise normal CA verification applies.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PinnedAgent } from '@patchfleet/shared';
import { TypedApi } from '@patchfleet/shared/api';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { bootstrapPath, type Bootstrap } from '../keys/bootstrap';
import { defaultControllerDataDir } from '../local-home';

export interface ClientOptions {
  server: string;
  token: string;
  caFingerprint?: string | undefined;
  timeoutMs?: number;
}

/**
 * What a CLI command needs to reach a controller: flags, then environment,
 * then bootstrap.json in the controller's data directory: --data-dir, or
 * PATCHFLEET_DATA_DIR, or `pnpm start`'s `<PATCHFLEET_HOME or <repo>/.patchfleet>/controller`
 * (local-home.ts), wherever the CLI runs from.
 */
export function resolveClientOptions(flags: { server?: string; apiToken?: string; caFingerprint?: string; dataDir?: string }, env: NodeJS.ProcessEnv = process.env): ClientOptions {
  let boot: Partial<Bootstrap> = {};
  const dataDir = flags.dataDir ?? defaultControllerDataDir(env);
  const path = bootstrapPath(dataDir);
  if (existsSync(path)) {
    try {
      boot = JSON.parse(readFileSync(path, 'utf8')) as Partial<Bootstrap>;
    } catch (err) {
      throw new PfError(Errors.CONFIG, `${path} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const server = flags.server ?? env.PATCHFLEET_SERVER ?? boot.url;
  const token = flags.apiToken ?? env.PATCHFLEET_API_TOKEN ?? boot.adminToken;
  const looked = existsSync(path) ? `${path} has none` : `no ${path}`;
  if (!server) throw new PfError(Errors.VALIDATION, `no controller given: use --server URL (or PATCHFLEET_SERVER, or --data-dir of a controller, or PATCHFLEET_HOME of pnpm start; ${looked})`);
  if (!token) throw new PfError(Errors.VALIDATION, `no API token given: use --api-token T (or PATCHFLEET_API_TOKEN; ${looked})`);
  const sameServer = boot.url && new URL(boot.url).host === new URL(server).host;
  const caFingerprint = flags.caFingerprint ?? env.PATCHFLEET_CA_FINGERPRINT ?? (sameServer ? boot.caFingerprint : undefined);
  return { server: server.replace(/\/$/, ''), token, caFingerprint: caFingerprint || undefined };
}

/**
 * The body of an API answer, parsed: JSON when it is JSON. For an error
 * status, throws the PfError the envelope names (`PF_ERR_HTTP` when the
 * answer carried no code), with the server's message.
 */
function parseApiAnswer<T>(status: number | undefined, text: string): T {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined; // not JSON: reported with the status below
  }
  if ((status ?? 500) >= 400) {
    const e = (parsed as { error?: { code?: string; message?: string; retryable?: boolean } } | undefined)?.error;
    throw new PfError(
      { code: (e?.code as `PF_ERR_${string}` | undefined) ?? Errors.HTTP.code, status: status ?? 500, retryable: e?.retryable ?? false, message: '' },
      e?.message ?? `HTTP ${status}: ${text.slice(0, 200)}`,
    );
  }
  return parsed as T;
}

/** Reads a whole API answer and parses it (see {@link parseApiAnswer}): rejects with the envelope's error. */
export async function answerOf<T>(res: IncomingMessage): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return parseApiAnswer<T>(res.statusCode, Buffer.concat(chunks).toString('utf8'));
}

export class ApiClient {
  private readonly agent: HttpsAgent | undefined;
  /** The typed client (shared with the dashboard) over this client's pinned transport and token. */
  readonly api: TypedApi;

  constructor(private readonly opts: ClientOptions) {
    this.agent = opts.caFingerprint ? new PinnedAgent(opts.caFingerprint) : undefined;
    // An error status throws here, as call() does, with the envelope's code.
    this.api = new TypedApi(async (method, url, body) => ({ status: 200, body: await this.call<unknown>(method, url, body) }));
  }

  /** One JSON request and its parsed answer: the transport of {@link api}, the only way commands call the API. */
  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, `${this.opts.server}/`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const isHttps = url.protocol === 'https:';
    const requestFn = isHttps ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = requestFn(
        url,
        {
          method,
          agent: isHttps ? this.agent : undefined,
          headers: {
            authorization: `Bearer ${this.opts.token}`,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
          timeout: this.opts.timeoutMs ?? 30_000,
        },
        (res) => answerOf<T>(res).then(resolve, reject),
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} in time`)));
      req.on('error', (err) => reject(err));
      if (payload) req.write(payload);
      req.end();
    });
  }
  /**
   * GET `path` and pipe the body to `out` as it arrives (large exports are
   * never held in memory). An error status is read whole and thrown like
   * {@link call}'s. Resolves with the number of bytes written.
   */
  async download(path: string, out: Writable): Promise<number> {
    const url = new URL(path, `${this.opts.server}/`);
    const isHttps = url.protocol === 'https:';
    const requestFn = isHttps ? httpsRequest : httpRequest;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = requestFn(url, { method: 'GET', agent: isHttps ? this.agent : undefined, headers: { authorization: `Bearer ${this.opts.token}` }, timeout: this.opts.timeoutMs ?? 30_000 }, resolve);
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} in time`)));
      req.on('error', reject);
      req.end();
    });
    if ((res.statusCode ?? 500) >= 400) await answerOf(res); // throws the envelope's error
    let bytes = 0;
    res.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    await pipeline(res, out, { end: false });
    return bytes;
  }
}
