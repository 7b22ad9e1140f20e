import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEpssRows, openEpssFile, parseEpssStream } from './epss';
import type { EpssRow } from './types';
import { rejection } from '@patchfleet/test/support/errors';

const EPSS_DIR = fileURLToPath(new URL('../../../../test/fixtures/advisories/epss', import.meta.url));
const SUBSET = join(EPSS_DIR, 'epss_subset.csv');

let dir: string;
let subset: Buffer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-epss-'));
  subset = await readFile(SUBSET);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rowsOf(text: string | Buffer, source = 'epss.csv'): Promise<EpssRow[]> {
  return collectEpssRows(await parseEpssStream(Readable.from([Buffer.from(text)]), source));
}

const HEADER = '#model_version:v2025.03.14,score_date:2025-08-15T00:00:00+0000\ncve,epss,percentile\n';

describe('EPSS fixture', () => {
  it('reads header and all 87 rows, matching the per-row history in epss_dates.tsv', async () => {
    const feed = await openEpssFile(SUBSET);
    expect(feed).toMatchObject({ source: SUBSET, modelVersion: 'v2025.03.14', scoreDate: '2026-02-21T00:00:00Z', gzipped: false });
    const rows = await collectEpssRows(feed);
    expect(rows).toHaveLength(87);
    expect(rows[0]).toEqual({ cve: 'CVE-2023-2650', epss: 0.88208, percentile: 0.99457 });
    // FIRST writes tiny scores in exponent form.
    expect(rows.find((r) => r.cve === 'CVE-2025-47827')).toEqual({ cve: 'CVE-2025-47827', epss: 0.00005, percentile: 0.00198 });

    const tsv = (await readFile(join(EPSS_DIR, 'epss_dates.tsv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split('\t'));
    expect(rows.map((r) => [r.cve, r.epss, r.percentile])).toEqual(tsv.map(([cve, , , epss, pct]) => [cve, Number(epss), Number(pct)]));
  });

  it('round-trips through gzip, detected by magic bytes whatever the file is called', async () => {
    const gz = join(dir, 'epss_scores-current.csv');
    await writeFile(gz, gzipSync(subset));
    const plainNamedGz = join(dir, 'plain.csv.gz');
    await writeFile(plainNamedGz, subset);
    const fromGzip = await openEpssFile(gz);
    const fromPlain = await openEpssFile(plainNamedGz);
    expect(fromGzip.gzipped).toBe(true);
    expect(fromPlain.gzipped).toBe(false);
    expect(fromGzip.modelVersion).toBe('v2025.03.14');
    const expected = await collectEpssRows(await openEpssFile(SUBSET));
    expect(await collectEpssRows(fromGzip)).toEqual(expected);
    expect(await collectEpssRows(fromPlain)).toEqual(expected);
  });

  it('reports progress in bytes of the file on disk, ending at its size', async () => {
    const gz = join(dir, 'progress.gz');
    await writeFile(gz, gzipSync(subset));
    const calls: [number, number | null][] = [];
    const feed = await openEpssFile(gz, { onProgress: (done, total) => calls.push([done, total]), progressEvery: 20 });
    await collectEpssRows(feed);
    const size = (await stat(gz)).size;
    expect(calls).toHaveLength(5); // after rows 20, 40, 60, 80 and at the end
    expect(calls.at(-1)).toEqual([size, size]);
  });

  it('copes with one-byte chunks of gzip data', async () => {
    const bytes = gzipSync(subset);
    const chunks = Array.from(bytes, (b) => Buffer.from([b]));
    const rows = await collectEpssRows(await parseEpssStream(Readable.from(chunks), 'chunks'));
    expect(rows).toHaveLength(87);
  });
});

describe('EPSS format details', () => {
  it("accepts FIRST's +0000 header, CRLF line ends and trailing blank lines", async () => {
    const feed = await parseEpssStream(Readable.from([Buffer.from(`${HEADER.replace(/\n/g, '\r\n')}CVE-2024-0001,0.5,0.9\r\n\r\n\n`)]), 'crlf.csv');
    expect(feed.scoreDate).toBe('2025-08-15T00:00:00Z');
    expect(await collectEpssRows(feed)).toEqual([{ cve: 'CVE-2024-0001', epss: 0.5, percentile: 0.9 }]);
  });

  it('streams 300,000 gzipped rows', async () => {
    const lines = Array.from({ length: 300_000 }, (_, i) => `CVE-2024-${String(i + 1).padStart(5, '0')},0.0${i % 10},0.${i % 100}`);
    const gz = gzipSync(Buffer.from(HEADER + lines.join('\n') + '\n'));
    const feed = await parseEpssStream(Readable.from([gz]), 'big.csv.gz');
    let count = 0;
    let last: EpssRow | undefined;
    for await (const row of feed.rows) {
      count++;
      last = row;
    }
    expect(count).toBe(300_000);
    expect(last).toEqual({ cve: 'CVE-2024-300000', epss: 0.09, percentile: 0.99 });
  });
});

describe('bad EPSS input', () => {
  const cases: [string, string, string][] = [
    ['score above 1', `${HEADER}CVE-2024-0001,0.5,0.9\nCVE-2024-0002,1.5,0.9\n`, 'bad.csv: line 4, at epss: epss "1.5" is not a number in [0, 1]'],
    ['not a number', `${HEADER}CVE-2024-0001,abc,0.9\n`, 'bad.csv: line 3, at epss: epss "abc" is not a number in [0, 1]'],
    ['negative percentile', `${HEADER}CVE-2024-0001,0.1,-0.2\n`, 'bad.csv: line 3, at percentile: percentile "-0.2" is not a number in [0, 1]'],
    ['bad CVE', `${HEADER}CVE-24-1,0.1,0.2\n`, 'bad.csv: record CVE-24-1, line 3, at cve: "CVE-24-1" is not a CVE id'],
    ['field count', `${HEADER}CVE-2024-0001,0.1\n`, 'bad.csv: line 3: expected 3 fields (cve,epss,percentile), got 2: "CVE-2024-0001,0.1"'],
    ['blank line inside', `${HEADER}CVE-2024-0001,0.1,0.2\n\nCVE-2024-0002,0.1,0.2\n`, 'bad.csv: line 4: blank line inside the data'],
    ['no header', 'cve,epss,percentile\nCVE-2024-0001,0.1,0.2\n', 'bad.csv: line 1: expected "#model_version:v…,score_date:…" header, got "cve,epss,percentile"'],
    ['wrong columns', '#model_version:v2025.03.14,score_date:2025-08-15T00:00:00+0000\ncve,percentile,epss\n', 'bad.csv: line 2: expected column header "cve,epss,percentile", got "cve,percentile,epss"'],
    ['empty', '', 'bad.csv: line 1: expected "#model_version:v…,score_date:…" header, got an empty file'],
  ];
  for (const [name, text, message] of cases) {
    it(`names file and line: ${name}`, async () => {
      const err = await rejection(rowsOf(text, 'bad.csv'));
      expect(err.code).toBe('PF_ERR_FEED_PARSE');
      expect(err.message).toBe(message);
    });
  }

  it('names the file of a truncated gzip download', async () => {
    const gz = gzipSync(subset);
    const file = join(dir, 'truncated.gz');
    await writeFile(file, gz.subarray(0, Math.floor(gz.length / 2)));
    const err = await rejection(openEpssFile(file).then(collectEpssRows));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: line \\d+: corrupt gzip data after line \\d+`));
  });

  it('reports a missing file as PF_ERR_FEED_IO', async () => {
    const err = await rejection(openEpssFile(join(dir, 'missing.csv')));
    expect(err.code).toBe('PF_ERR_FEED_IO');
    expect(err.retryable).toBe(true);
  });
});
