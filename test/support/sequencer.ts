/**
 * Test file order: the known slow files first, longest first (test/support/slow-tests.json), then the rest
 * in vitest's own order (its cache of last durations when there is one, else file size). With two workers a
 * slow end-to-end file left for the end makes the whole run wait for it; a clean clone (CI) has no cache.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const table = JSON.parse(readFileSync(new URL('./slow-tests.json', import.meta.url), 'utf8')) as { seconds: Record<string, number> };

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const seconds = (f: TestSpecification) => table.seconds[relative(root, f.moduleId)] ?? 0;
    // Array.prototype.sort is stable: files of equal weight keep vitest's order.
    return [...base].sort((a, b) => seconds(b) - seconds(a));
  }
}
