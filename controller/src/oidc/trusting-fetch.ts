/**
 * A fetch for openid-client that trusts a private CA: the identity
 * provider's discovery, keys and token endpoint over node:https with `ca`
 * (global fetch cannot take a CA without an undici dispatcher of its own).
 * Answers are capped in size, since they come from the network.
 */
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

/** The largest answer read from the provider (discovery, JWKS, tokens are a few KiB). */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** What openid-client hands its custom fetch. */
export interface FetchOptions {
  body?: unknown;
  headers: Record<string, string>;
  method: string;
  signal?: AbortSignal | undefined;
}

function headersOf(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

/** A fetch over HTTPS that trusts the PEM certificates `ca` (and only them). */
export function trustingFetch(ca: string): (url: string, options: FetchOptions) => Promise<Response> {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const body = options.body === undefined || options.body === null ? undefined : String(options.body as string | URLSearchParams);
      const req = request(url, { method: options.method, headers: options.headers, ca, signal: options.signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            res.destroy(new Error(`the identity provider's answer from ${url} exceeds ${MAX_ANSWER_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 502;
          const nullBody = status === 204 || status === 304 || options.method === 'HEAD';
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: headersOf(res.headers) }));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
}
