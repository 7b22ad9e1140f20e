/**
 * Paths inside an isolated dpkg root (a directory standing in for `/`, as
 * `dpkg --root` uses it). Shared by the inventory collector and the apt
 * executor so that both read the same database.
 */
import { posix } from 'node:path';
import { Errors, PfError } from '@patchfleet/shared/errors';

/**
 * Throws PF_ERR_BAD_INPUT unless `path` is absolute and free of control
 * characters. These paths end up inside apt `-o Key=Value` words and apt
 * config files, where a newline would start a new setting.
 */
export function assertHostPath(what: string, path: string): void {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (!posix.isAbsolute(path) || /[\u0000-\u001f\u007f]/.test(path)) {
    throw new PfError(Errors.BAD_INPUT, `${what} must be an absolute path without control characters: ${JSON.stringify(path).slice(0, 200)}`);
  }
}

/** Validates `root` and returns it normalised (no `..`, no trailing slash except for `/` itself). */
export function normaliseDpkgRoot(root: string): string {
  assertHostPath('dpkg root', root);
  const n = posix.normalize(root);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** The dpkg database directory of `root` (`<root>/var/lib/dpkg`), as given to `--admindir`. */
export function dpkgAdminDir(root: string): string {
  return posix.join(normaliseDpkgRoot(root), 'var/lib/dpkg');
}
