/**
 * FIRST EPSS daily scores: CSV, plain or gzip (as FIRST serves it).
 *
 *   #model_version:v2025.03.14,score_date:2025-08-15T00:00:00+0000
 *   cve,epss,percentile
 *   CVE-2023-2650,0.88208,0.99457
 *
 * The real file has ~300k rows, so rows are streamed through readline and
 * never held in memory. Gzip is detected from the magic bytes, not the file
 * name, because mirrors rename files and HTTP clients may already inflate.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { PfError } from '@patchfleet/shared/errors';
import { feedIoError, feedParseError } from './feed-errors';
import { isCveId } from './formats';
import type { EpssFeed, EpssRow, FeedProgress } from './types';

/** Options of the EPSS readers. */
export interface EpssOptions {
  /** Called with bytes consumed from the input (compressed bytes for gzip) and the total when known. */
  onProgress?: FeedProgress;
  /** Rows between progress calls; default 10,000. */
  progressEvery?: number;
}

// FIRST writes `+0000`; our fixture and some mirrors write `Z`. Both mean UTC.
const HEADER = /^#model_version:(v[0-9A-Za-z.]+),score_date:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:Z|\+0000|\+00:00)$/;
const COLUMNS = 'cve,epss,percentile';
// Plain decimals and the exponent form FIRST uses for tiny scores (`5e-05`).
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function readProbability(text: string | undefined, column: string, source: string, line: number): number {
  const value = text !== undefined && NUMBER.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= 1)) {
    throw feedParseError({ file: source, line, path: column }, `${column} "${text ?? ''}" is not a number in [0, 1]`);
  }
  return value;
}

function parseRow(text: string, source: string, line: number): EpssRow {
  const fields = text.split(',');
  if (fields.length !== 3) {
    throw feedParseError({ file: source, line }, `expected 3 fields (${COLUMNS}), got ${fields.length}: "${text.slice(0, 80)}"`);
  }
  const cve = fields[0] ?? '';
  if (!isCveId(cve)) throw feedParseError({ file: source, line, path: 'cve', record: cve }, `"${cve}" is not a CVE id`);
  return { cve, epss: readProbability(fields[1], 'epss', source, line), percentile: readProbability(fields[2], 'percentile', source, line) };
}

/** Turns a stream failure into a feed error: zlib errors mean a corrupt file, anything else an I/O failure. */
function streamError(err: unknown, source: string, line: number): PfError {
  if (err instanceof PfError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return feedParseError({ file: source, line }, `corrupt gzip data after line ${line}: ${(err as Error).message}`, err);
  }
  return feedIoError(source, err);
}

/** Splits off the first bytes of a chunk stream so gzip can be detected, then yields everything unchanged. */
async function sniff(chunks: AsyncIterator<Uint8Array>): Promise<{ gzipped: boolean; all: AsyncGenerator<Uint8Array> }> {
  const head: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  while (size < 2) {
    const next = await chunks.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    head.push(next.value);
    size += next.value.length;
  }
  const first = Buffer.concat(head);
  async function* all(): AsyncGenerator<Uint8Array> {
    if (first.length > 0) yield first;
    if (ended) return;
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield next.value;
  }
  return { gzipped: first[0] === 0x1f && first[1] === 0x8b, all: all() };
}

/**
 * Reads an EPSS CSV from a byte stream (plain or gzip). Resolves once the two
 * header lines are read; `rows` then streams the data and throws
 * PF_ERR_FEED_PARSE naming the source and 1-based line of a bad row.
 */
export async function parseEpssStream(
  input: AsyncIterable<Uint8Array>,
  source: string,
  options: EpssOptions & { totalBytes?: number } = {},
): Promise<EpssFeed> {
  let bytes = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of input) {
      bytes += chunk.length;
      yield chunk;
    }
  }
  let line = 0;
  let sniffed: Awaited<ReturnType<typeof sniff>>;
  try {
    sniffed = await sniff(counted()[Symbol.asyncIterator]());
  } catch (err) {
    throw streamError(err, source, line);
  }
  const raw = Readable.from(sniffed.all);
  const text = sniffed.gzipped ? raw.pipe(createGunzip()) : raw;
  // pipe() does not forward source errors; forward them so readline rejects instead of hanging.
  if (text !== raw) raw.on('error', (err) => text.destroy(err));
  const rl = createInterface({ input: text, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  const close = (): void => {
    rl.close();
    raw.destroy();
    text.destroy();
  };

  async function nextLine(): Promise<string | undefined> {
    try {
      const next = await lines.next();
      if (next.done === true) return undefined;
      line++;
      return next.value;
    } catch (err) {
      close();
      throw streamError(err, source, line);
    }
  }

  const header = (await nextLine())?.replace(/^\uFEFF/, '');
  const match = header === undefined ? null : HEADER.exec(header.trimEnd());
  if (match === null || match[1] === undefined || match[2] === undefined) {
    close();
    throw feedParseError({ file: source, line: 1 }, `expected "#model_version:v…,score_date:…" header, got ${header === undefined ? 'an empty file' : `"${header.slice(0, 80)}"`}`);
  }
  const columns = await nextLine();
  if (columns?.trimEnd() !== COLUMNS) {
    close();
    throw feedParseError({ file: source, line: 2 }, `expected column header "${COLUMNS}", got "${columns ?? '(end of file)'}"`);
  }

  const every = options.progressEvery ?? 10_000;
  const total = options.totalBytes ?? null;
  async function* rows(): AsyncGenerator<EpssRow> {
    let blankLine: number | null = null;
    let count = 0;
    try {
      for (let text = await nextLine(); text !== undefined; text = await nextLine()) {
        const trimmed = text.trimEnd();
        if (trimmed === '') {
          blankLine ??= line;
          continue;
        }
        // Blank lines are tolerated only at the end; inside the data they mean a damaged file.
        if (blankLine !== null) throw feedParseError({ file: source, line: blankLine }, 'blank line inside the data');
        yield parseRow(trimmed, source, line);
        if (++count % every === 0) options.onProgress?.(bytes, total);
      }
      options.onProgress?.(bytes, total);
    } finally {
      close();
    }
  }

  return { source, modelVersion: match[1], scoreDate: `${match[2]}Z`, gzipped: sniffed.gzipped, rows: rows() };
}

/**
 * Opens an EPSS file (plain or gzip) and reads its header. Progress reports
 * bytes of the file on disk. PF_ERR_FEED_IO when the file cannot be read.
 */
export async function openEpssFile(path: string, options: EpssOptions = {}): Promise<EpssFeed> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw feedIoError(path, err);
  }
  return parseEpssStream(createReadStream(path), path, { ...options, totalBytes: size });
}

/** Collects all rows of a feed into an array (fine for tests and subsets; the full file is ~300k rows). */
export async function collectEpssRows(feed: EpssFeed): Promise<EpssRow[]> {
  const rows: EpssRow[] = [];
  for await (const row of feed.rows) rows.push(row);
  return rows;
}
