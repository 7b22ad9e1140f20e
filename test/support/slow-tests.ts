/**
 * Rewrites test/support/slow-tests.json (the sequencer's table) from a vitest JSON report:
 * `pnpm exec tsx test/support/slow-tests.ts REPORT.json [ROOT]`, ROOT being the checkout the report
 * was made in (default this one).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const [file, root = fileURLToPath(new URL('../../', import.meta.url))] = process.argv.slice(2);
if (!file) {
  console.error('usage: pnpm exec tsx test/support/slow-tests.ts REPORT.json [ROOT] (REPORT from pnpm test --reporter=json --outputFile.json=REPORT.json)');
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8')) as { testResults: { name: string; startTime: number; endTime: number }[] };
const seconds = Object.fromEntries(
  report.testResults
    .map((t): [string, number] => [relative(root, t.name), Math.round((t.endTime - t.startTime) / 1000)])
    .filter(([name, s]) => s >= 10 && !name.startsWith('..'))
    .sort((a, b) => b[1] - a[1]),
);
const target = new URL('./slow-tests.json', import.meta.url);
const { note } = JSON.parse(readFileSync(target, 'utf8')) as { note: string };
writeFileSync(target, `${JSON.stringify({ note, seconds }, null, 1)}\n`);
console.log(`${Object.keys(seconds).length} slow files written to ${fileURLToPath(target)}`);
