/**
 * Test support: the real `dpkg --compare-versions` as the judge of version
 * order, so tests check applicability against dpkg rather than against
 * expectations written by hand.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** True when dpkg says `a` < `b`. dpkg exits 0 for true, 1 for false; anything else is a failure. */
export async function dpkgLessThan(a: string, b: string): Promise<boolean> {
  try {
    await run('dpkg', ['--compare-versions', a, 'lt', b]);
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 1) return false;
    throw err;
  }
}

/**
 * Asks dpkg about many pairs, a few processes at a time; answers keyed by
 * `pairKey(a, b)`.
 */
export async function dpkgLessThanAll(pairs: Iterable<readonly [string, string]>, concurrency = 8): Promise<Map<string, boolean>> {
  const todo = new Map<string, readonly [string, string]>();
  for (const pair of pairs) todo.set(pairKey(pair[0], pair[1]), pair);
  const answers = new Map<string, boolean>();
  const queue = [...todo.entries()];
  const worker = async (): Promise<void> => {
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      const [key, [a, b]] = next;
      answers.set(key, await dpkgLessThan(a, b));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answers;
}

/** Key of a version pair in `dpkgLessThanAll`'s answers. */
export function pairKey(a: string, b: string): string {
  return `${a}\u0000${b}`;
}
