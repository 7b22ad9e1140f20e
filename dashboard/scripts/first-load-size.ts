/**
 * Prints what a first visit downloads (the scripts, styles and module
 * preloads index.html names) gzip-compressed, and fails past the budget:
 * pages load later, on demand. Run by `pnpm build`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** Compressed JavaScript of the first load may not pass this. */
export const FIRST_LOAD_BUDGET_BYTES = 300 * 1024;

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const named = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1] as string);
const gz = (file: string) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

let js = 0;
for (const f of named) {
  const size = gz(f);
  if (f.endsWith('.js')) js += size;
  console.log(`  first load  ${f}  ${kb(size)} gzip`);
}
const later = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js') && !named.includes(`assets/${f}`));
const laterSize = later.reduce((n, f) => n + gz(`assets/${f}`), 0);
console.log(`dashboard: first load ${kb(js)} of JavaScript gzip (budget ${kb(FIRST_LOAD_BUDGET_BYTES)}); ${later.length} page chunks loaded on demand, ${kb(laterSize)} gzip together`);
if (js > FIRST_LOAD_BUDGET_BYTES) {
  console.error(`dashboard: the first load is over its budget by ${kb(js - FIRST_LOAD_BUDGET_BYTES)}: split more into lazily loaded pages`);
  process.exit(1);
}
