import { execFileSync } from 'node:child_process';

/**
 * Packages that tests install into this machine's own dpkg database
 * (agent/src/act/linux/executor.test.ts) start with this prefix; tests that
 * compare package counts leave them out on both sides, since they may come
 * and go while such a test runs in parallel.
 */
export const TEST_PACKAGE_PREFIX = 'pf-test-';

/** Names of the packages dpkg lists as installed, counted independently of the agent's code. */
export function dpkgInstalledNames(): string[] {
  const out = execFileSync('dpkg-query', ['-W', '-f=${db:Status-Status}\\t${Package}\\n'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.startsWith('installed\t'))
    .map((l) => l.slice('installed\t'.length))
    .filter((name) => !name.startsWith(TEST_PACKAGE_PREFIX));
}

/** The version of `name` dpkg has installed (in a dpkg root's database when `root` is given), or undefined when it is not installed. */
export function installedVersion(name: string, root?: string): string | undefined {
  const args = ['-W', '-f=${db:Status-Status} ${Version}', ...(root ? [`--admindir=${root}/var/lib/dpkg`] : []), name];
  try {
    const [status, version] = execFileSync('dpkg-query', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(' ');
    return status === 'installed' ? version : undefined;
  } catch {
    return undefined; // dpkg-query exits 1 for a package it has never seen
  }
}
