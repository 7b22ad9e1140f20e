/**
 * One webhook POST over node:http or node:https: the status code, or the
 * error that kept an answer from coming (refused, reset, TLS, timeout). The
 * answer's body is read (at most 64 KiB kept) and dropped: only its status counts.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

const MAX_ANSWER_BYTES = 64 * 1024;

export interface PostOptions {
  /** Whole request, from connect to the end of the answer. */
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM) for https URLs; the system's are used otherwise. */
  ca?: string | undefined;
}

/** POSTs `body` (JSON) to `url` with `headers`; resolves with the status, rejects with a short error. */
export function postJson(url: string, body: string, headers: Record<string, string>, opts: PostOptions): Promise<number> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        timeout: opts.timeoutMs,
        ...(opts.ca ? { ca: opts.ca } : {}),
        signal: AbortSignal.timeout(opts.timeoutMs),
      },
      (res: IncomingMessage) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > MAX_ANSWER_BYTES) res.destroy();
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message)));
    req.end(body);
  });
}
