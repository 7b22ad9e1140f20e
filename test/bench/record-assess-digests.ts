/**
 * `pnpm exec tsx test/bench/record-assess-digests.ts`: records
 * `fixtures/assess-digests.json`, the digests `assess-digest.test.ts` checks
 * assessment results against. Run it only with code whose answers are known
 * good (before an optimisation), and say in the commit at which commit the
 * digests were recorded.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assessmentDigests, fixtureBenchCatalog } from './assess-digest';

const out = fileURLToPath(new URL('./fixtures/assess-digests.json', import.meta.url));
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const dirty = execFileSync('git', ['status', '--porcelain', '--', 'controller', 'shared'], { encoding: 'utf8' }).trim() !== '';
const cases = assessmentDigests(await fixtureBenchCatalog());
writeFileSync(out, `${JSON.stringify({ recordedAt: `${commit}${dirty ? ' (with uncommitted changes in controller/ or shared/)' : ''}`, cases }, null, 1)}\n`);
for (const c of cases) process.stdout.write(`${c.name}: ${c.hosts} hosts, ${c.digest}\n`);
