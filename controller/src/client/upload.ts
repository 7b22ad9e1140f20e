/**
 * Streams files to the controller as one multipart/form-data request, each
 * file read from disk as it is sent (a USN directory of thousands of files,
 * a large EPSS CSV), through the same pinned HTTPS agent as ApiClient.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { PassThrough } from 'node:stream';
import { PinnedAgent } from '@patchfleet/shared';
import { answerOf, type ClientOptions } from './api-client';

export interface UploadFile {
  /** Form field name. */
  field: string;
  path: string;
}

/** Writes the multipart body into `out`, one file after another, ending it when done. */
async function writeBody(out: PassThrough, boundary: string, files: readonly UploadFile[]): Promise<void> {
  for (const f of files) {
    const name = basename(f.path).replace(/["\r\n]/g, '_');
    out.write(`--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    for await (const chunk of createReadStream(f.path)) {
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
    }
    out.write('\r\n');
  }
  out.end(`--${boundary}--\r\n`);
}

/** POSTs `files` to `path`; resolves with the JSON answer, rejects with the answer's PF_ERR code. */
export function uploadFiles<T>(opts: ClientOptions, path: string, files: readonly UploadFile[]): Promise<T> {
  const url = new URL(path, `${opts.server}/`);
  const isHttps = url.protocol === 'https:';
  const agent = isHttps && opts.caFingerprint ? new PinnedAgent(opts.caFingerprint) : undefined;
  const boundary = `patchfleet-${randomBytes(12).toString('hex')}`;
  const body = new PassThrough();
  return new Promise<T>((resolve, reject) => {
    const req = (isHttps ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${opts.token}`, accept: 'application/json', 'content-type': `multipart/form-data; boundary=${boundary}` },
        // Idle time, not total: the server parses and writes after the last byte arrives.
        timeout: opts.timeoutMs ?? 15 * 60_000,
      },
      (res) => answerOf<T>(res).then(resolve, reject),
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} in time`)));
    req.on('error', (err) => {
      body.destroy();
      reject(err);
    });
    req.on('close', () => agent?.destroy());
    body.pipe(req);
    writeBody(body, boundary, files).catch((err: unknown) => {
      req.destroy(err as Error);
      reject(err);
    });
  });
}
