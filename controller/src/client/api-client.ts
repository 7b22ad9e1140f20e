/**
 * A small REST client for the CLI. When the controller's certificate
 * fingerprint is known it is pinned (no request byte, and so no token, goes
 * to any other server); otherwise normal CA verification applies.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { request as httpRequest } from 'node:http';
import { PinnedAgent } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { bootstrapPath, type Bootstrap } from '../keys/bootstrap';

export interface ClientOptions {
  server: string;
  token: string;
  caFingerprint?: string | undefined;
  timeoutMs?: number;
}

/** What a CLI command needs to reach a controller: flags, then environment, then bootstrap.json in the data dir. */
export function resolveClientOptions(flags: { server?: string; apiToken?: string; caFingerprint?: string; dataDir?: string }, env: NodeJS.ProcessEnv = process.env): ClientOptions {
  let boot: Partial<Bootstrap> = {};
  const dataDir = flags.dataDir ?? env.PATCHFLEET_DATA_DIR ?? '.patchfleet/controller';
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
  if (!server) throw new PfError(Errors.VALIDATION, 'no controller given: use --server URL (or PATCHFLEET_SERVER, or --data-dir of a controller)');
  if (!token) throw new PfError(Errors.VALIDATION, 'no API token given: use --api-token T (or PATCHFLEET_API_TOKEN)');
  const sameServer = boot.url && new URL(boot.url).host === new URL(server).host;
  const caFingerprint = flags.caFingerprint ?? env.PATCHFLEET_CA_FINGERPRINT ?? (sameServer ? boot.caFingerprint : undefined);
  return { server: server.replace(/\/$/, ''), token, caFingerprint: caFingerprint || undefined };
}

export class ApiClient {
  private readonly agent: HttpsAgent | undefined;

  constructor(private readonly opts: ClientOptions) {
    this.agent = opts.caFingerprint ? new PinnedAgent(opts.caFingerprint) : undefined;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
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
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined; // not JSON: reported below with the status
            }
            if ((res.statusCode ?? 500) >= 400) {
              const e = (parsed as { error?: { code?: string; message?: string; retryable?: boolean } } | undefined)?.error;
              reject(
                new PfError(
                  { code: (e?.code as `PF_ERR_${string}`) ?? Errors.HTTP.code, status: res.statusCode ?? 500, retryable: e?.retryable ?? false, message: '' },
                  e?.message ?? `HTTP ${res.statusCode}: ${text.slice(0, 200)}`,
                ),
              );
              return;
            }
            resolve(parsed as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} in time`)));
      req.on('error', (err) => reject(err));
      if (payload) req.write(payload);
      req.end();
    });
  }
}
