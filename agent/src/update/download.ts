/** Downloads from the controller over HTTPS with its pinned certificate (`GET /downloads/<name>`). */
import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { get } from 'node:https';
import { PinnedAgent } from '@patchfleet/shared';
import { Errors, PfError } from '@patchfleet/shared/errors';

export interface DownloadSource {
  /** https:// base URL of the controller. */
  serverUrl: string;
  caFingerprint: string;
  timeoutMs?: number;
}

function request(src: DownloadSource, name: string, onResponse: (res: IncomingMessage, done: (err?: Error) => void) => void): Promise<void> {
  const url = new URL(`/downloads/${encodeURIComponent(name)}`, src.serverUrl);
  const agent = new PinnedAgent(src.caFingerprint);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      agent.destroy();
      if (err) reject(err);
      else resolve();
    };
    const req = get(url, { agent, timeout: src.timeoutMs ?? 120_000 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        done(new PfError(Errors.UPDATE_FAILED, `GET ${url.pathname}: HTTP ${res.statusCode}`));
        return;
      }
      onResponse(res, done);
    });
    req.on('timeout', () => req.destroy(new PfError(Errors.UPDATE_FAILED, `GET ${url.pathname} timed out`)));
    req.on('error', (err) => done(err instanceof PfError ? err : new PfError(Errors.UPDATE_FAILED, `GET ${url.pathname}: ${err.message}`)));
  });
}

/** A small file (the metadata) as text; refused past `maxBytes`. */
export async function downloadText(src: DownloadSource, name: string, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  await request(src, name, (res, done) => {
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        res.destroy();
        done(new PfError(Errors.RELEASE_SIGNATURE, `${name} is larger than ${maxBytes} bytes: not release metadata`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => done());
    res.on('error', (err) => done(new PfError(Errors.UPDATE_FAILED, `${name}: ${err.message}`)));
  });
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Streams a file to `dest` (mode 0700), never writing more than
 * `maxBytes`; returns its size and SHA-256. The caller compares them with
 * the signed metadata. A partial file is removed.
 */
export async function downloadFile(src: DownloadSource, name: string, dest: string, maxBytes: number): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    await request(src, name, (res, done) => {
      const out = createWriteStream(dest, { mode: 0o700 });
      out.on('error', (err) => done(new PfError(Errors.UPDATE_FAILED, `cannot write ${dest}: ${err.message}`)));
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          res.destroy();
          out.destroy();
          done(new PfError(Errors.RELEASE_HASH, `${name} is larger than the ${maxBytes} bytes the signed metadata says`));
          return;
        }
        hash.update(c);
        out.write(c);
      });
      res.on('end', () => out.end(() => done()));
      res.on('error', (err) => done(new PfError(Errors.UPDATE_FAILED, `${name}: ${err.message}`)));
    });
  } catch (err) {
    rmSync(dest, { force: true });
    throw err;
  }
  return { size, sha256: hash.digest('hex') };
}
