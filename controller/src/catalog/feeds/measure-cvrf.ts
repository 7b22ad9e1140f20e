/**
 * One-off measurement of CVRF parsing cost (not a test: timings depend on the machine).
 *
 *   pnpm exec tsx --expose-gc controller/src/catalog/feeds/measure-cvrf.ts test/fixtures/advisories/msrc/cvrf-2025-Nov.xml
 *
 * Run one file per process so the peak RSS belongs to that file alone. Prints
 * the time to read, to check well-formedness, to parse into a CvrfDocument and
 * to build the KB index, the process's peak RSS, and the heap the parsed
 * document keeps alive after garbage collection.
 */
import { readFile } from 'node:fs/promises';
import { XMLValidator } from 'fast-xml-parser';
import { parseCvrf } from './msrc-cvrf';
import { kbIndex } from './msrc-kb-index';

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

for (const path of process.argv.slice(2)) {
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let t = performance.now();
  const xml = await readFile(path, 'utf8');
  const readMs = performance.now() - t;

  t = performance.now();
  XMLValidator.validate(xml);
  const validateMs = performance.now() - t;

  t = performance.now();
  const doc = parseCvrf(xml, path);
  const parseMs = performance.now() - t;

  t = performance.now();
  const kbs = kbIndex(doc);
  const indexMs = performance.now() - t;

  gc?.();
  const retained = process.memoryUsage().heapUsed - heapBefore;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    JSON.stringify({
      file: path,
      sizeMB: mb(Buffer.byteLength(xml)),
      readMs: Math.round(readMs),
      validateMs: Math.round(validateMs),
      parseCvrfMs: Math.round(parseMs),
      kbIndexMs: Math.round(indexMs),
      vulnerabilities: doc.vulnerabilities.length,
      kbs: kbs.length,
      peakRssMB: mb(peakRss),
      retainedHeapMB: gc === undefined ? 'run with --expose-gc' : mb(retained),
    }),
  );
}
