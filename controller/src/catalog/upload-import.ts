/**
 * Catalog import from uploaded files (`POST /api/v1/catalog/imports`): the
 * running controller takes the import itself, so nothing else ever opens its
 * database. Uploaded files are spooled to a private temporary directory under
 * bounds (per file, in total, number of files), then imported exactly as
 * `catalog import` imports files: one transaction, all or nothing, the same
 * per-table counts. Errors name the uploaded file, never the spool path.
 */
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '@patchfleet/shared';
import { isPfError, PfError, Errors } from '@patchfleet/shared/errors';
import type { Db } from '../db/index';
import { importCatalog, type ImportResult, type ImportSources } from './import';
import type { CatalogFeed } from './import-log';

/** The form fields a feed file may be sent under; `usnOsv` and `msrcCvrf` repeat. */
export const UPLOAD_FIELDS = { usnOsv: 'usn', msrcCvrf: 'msrc', kev: 'kev', epss: 'epss' } as const satisfies Record<string, CatalogFeed>;
export type UploadField = keyof typeof UPLOAD_FIELDS;

export interface UploadLimits {
  /** Largest single file (a whole-history USN array is a few hundred MB). */
  maxFileBytes: number;
  /** All files of one upload together. */
  maxTotalBytes: number;
  /** Files in one upload (a USN directory sent file by file). */
  maxFiles: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxFileBytes: 512 * 1024 * 1024, maxTotalBytes: 1024 * 1024 * 1024, maxFiles: 20_000 };

/** One uploaded file as the HTTP layer hands it over. */
export interface UploadedPart {
  field: string;
  filename: string;
  stream: Readable;
}

/** A file name safe to create in the spool directory, kept recognisable for messages. */
function safeName(name: string, i: number): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 200);
  return clean === '' ? `upload-${i}` : clean;
}

function isUploadField(field: string): field is UploadField {
  return Object.hasOwn(UPLOAD_FIELDS, field);
}

/** Rewrites spool paths in an import error to the names the client sent. */
function withClientNames(err: unknown, names: Map<string, string>): unknown {
  if (!isPfError(err)) return err;
  let message = err.message;
  // Longest first: a file path starts with its directory's path.
  for (const [path, shown] of [...names].sort((a, b) => b[0].length - a[0].length)) message = message.split(path).join(shown);
  if (message === err.message) return err;
  return new PfError({ code: err.code as `PF_ERR_${string}`, status: err.status, retryable: err.retryable, message }, message, err.details ? { ...err.details, file: undefined } : undefined, { cause: err });
}

/**
 * Spools the uploaded parts and imports them. Throws PF_ERR_VALIDATION for an
 * unknown field or a bad combination, PF_ERR_PAYLOAD_TOO_LARGE past a limit,
 * and whatever `importCatalog` throws (feed errors with the uploaded file's
 * name); nothing is changed then.
 */
export async function importUploadedCatalog(
  db: Db,
  parts: AsyncIterable<UploadedPart>,
  opts: { clock: Clock; actor: string; limits?: UploadLimits; onProgress?: (line: string) => void },
): Promise<ImportResult> {
  const limits = opts.limits ?? DEFAULT_UPLOAD_LIMITS;
  const spool = await mkdtemp(join(tmpdir(), 'pf-catalog-upload-'));
  try {
    const files: Record<UploadField, { path: string; name: string }[]> = { usnOsv: [], msrcCvrf: [], kev: [], epss: [] };
    const names = new Map<string, string>();
    let total = 0;
    let count = 0;
    for await (const part of parts) {
      if (!isUploadField(part.field)) {
        part.stream.resume(); // drain it, or the request never ends
        throw new PfError(Errors.VALIDATION, `unknown form field "${part.field}": send files as ${Object.keys(UPLOAD_FIELDS).join(', ')}`);
      }
      count += 1;
      if (count > limits.maxFiles) throw new PfError(Errors.PAYLOAD_TOO_LARGE, `more than ${limits.maxFiles} files in one upload`);
      const name = safeName(part.filename, count);
      const dir = join(spool, part.field, String(count));
      await mkdir(dir, { recursive: true });
      const path = join(dir, name);
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          total += chunk.length;
          if (size > limits.maxFileBytes) return done(new PfError(Errors.PAYLOAD_TOO_LARGE, `${part.filename}: larger than ${limits.maxFileBytes} bytes, the limit per file`));
          if (total > limits.maxTotalBytes) return done(new PfError(Errors.PAYLOAD_TOO_LARGE, `upload larger than ${limits.maxTotalBytes} bytes in total`));
          done(null, chunk);
        },
      });
      await pipeline(part.stream, meter, createWriteStream(path, { mode: 0o600 }));
      // The HTTP layer may cut a file at its own limit without an error; a cut file must not be imported.
      if ((part.stream as Readable & { truncated?: boolean }).truncated) throw new PfError(Errors.PAYLOAD_TOO_LARGE, `${part.filename}: larger than the limit per file`);
      files[part.field].push({ path, name: part.filename || name });
      names.set(path, part.filename || name);
    }
    const sources = await sourcesOf(spool, files, names);
    const sourceNames: Partial<Record<CatalogFeed, string[]>> = {};
    for (const [field, feed] of Object.entries(UPLOAD_FIELDS) as [UploadField, CatalogFeed][]) {
      const sent = files[field];
      // A USN directory sent file by file is recorded as one source, not thousands.
      if (sent.length > 3) sourceNames[feed] = [`upload:${sent.length} files (${sent[0]!.name} ... ${sent.at(-1)!.name})`];
      else if (sent.length > 0) sourceNames[feed] = sent.map((f) => `upload:${f.name}`);
    }
    try {
      return await importCatalog(db, sources, { clock: opts.clock, actor: opts.actor, sourceNames, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
    } catch (err) {
      throw withClientNames(err, names);
    }
  } finally {
    await rm(spool, { recursive: true, force: true });
  }
}

/** What `importCatalog` reads: several USN files become one directory of `USN-*.json`, as Canonical publishes them. */
async function sourcesOf(spool: string, files: Record<UploadField, { path: string; name: string }[]>, names: Map<string, string>): Promise<ImportSources> {
  if (files.kev.length > 1) throw new PfError(Errors.VALIDATION, 'send one kev file');
  if (files.epss.length > 1) throw new PfError(Errors.VALIDATION, 'send one epss file');
  if (Object.values(files).every((f) => f.length === 0)) throw new PfError(Errors.VALIDATION, `no feed file uploaded: send files as ${Object.keys(UPLOAD_FIELDS).join(', ')}`);
  const sources: ImportSources = {};
  if (files.usnOsv.length === 1) sources.usnOsv = files.usnOsv[0]!.path;
  if (files.usnOsv.length > 1) {
    const dir = join(spool, 'usn-dir');
    await mkdir(dir);
    const seen = new Set<string>();
    for (const f of files.usnOsv) {
      const base = f.path.split('/').pop()!;
      if (!/^USN-.*\.json$/.test(base)) throw new PfError(Errors.VALIDATION, `${f.name}: several usnOsv files must each be named USN-*.json (or send one file holding an array)`);
      if (seen.has(base)) throw new PfError(Errors.VALIDATION, `${f.name}: sent twice`);
      seen.add(base);
      await rename(f.path, join(dir, base));
      names.delete(f.path);
      names.set(join(dir, base), f.name);
    }
    names.set(dir, 'usnOsv upload');
    sources.usnOsv = dir;
  }
  if (files.msrcCvrf.length > 0) sources.msrcCvrf = files.msrcCvrf.map((f) => f.path);
  if (files.kev[0]) sources.kev = files.kev[0].path;
  if (files.epss[0]) sources.epss = files.epss[0].path;
  return sources;
}
