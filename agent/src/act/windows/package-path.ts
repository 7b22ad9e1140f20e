/**
 * Validation of the update package paths handed to wusa.exe and dism.exe.
 * Arguments are passed without a shell, but a quote or a newline could still
 * split the command line Windows rebuilds from argv, so they are refused.
 */
import { Errors, PfError } from '@patchfleet/shared/errors';

/** Package file types: `.msu` (wusa and DISM) and `.cab` (DISM only). */
export type PackageKind = 'msu' | 'cab';

// Drive-absolute (C:\...) or UNC (\\server\share\...). Not \\?\ or \\.\
// device paths, not drive-relative (C:foo) or rooted (\foo) paths.
const DRIVE_RE = /^[A-Za-z]:\\[^\\]/;
const UNC_RE = /^\\\\[A-Za-z0-9][A-Za-z0-9.-]*\\[^\\]+\\[^\\]/;
// Characters Windows forbids in file names, plus `"` and every control character.
const FORBIDDEN_RE = /["<>|?*\p{Cc}]/u;
const MAX_PATH_CHARS = 1024;

/**
 * Checks that `path` is an absolute Windows path to a `.msu` or `.cab` file
 * (of the `allowed` kinds) and returns its kind. Throws PF_ERR_BAD_INPUT.
 */
export function assertPackagePath(path: string, allowed: readonly PackageKind[] = ['msu', 'cab']): PackageKind {
  const shown = JSON.stringify(path).slice(0, 200);
  const refuse = (why: string): never => {
    throw new PfError(Errors.BAD_INPUT, `invalid package path ${shown}: ${why}`);
  };
  if (typeof path !== 'string' || path.length === 0) return refuse('empty');
  if (path.length > MAX_PATH_CHARS) return refuse(`longer than ${MAX_PATH_CHARS} characters`);
  if (FORBIDDEN_RE.test(path)) return refuse('contains a quote, a newline or another character Windows forbids in paths');
  if (path.includes('/')) return refuse('use backslashes');
  if (!DRIVE_RE.test(path) && !UNC_RE.test(path)) return refuse('not an absolute path (C:\\... or \\\\server\\share\\...)');
  // `..` would let a path that looks like it is under one folder point elsewhere in logs and audits.
  if (path.split('\\').some((seg) => seg === '..' || seg === '.')) return refuse('contains . or .. segments');
  if (path.endsWith(' ') || path.endsWith('.')) return refuse('ends with a space or a dot, which Windows strips');
  const ext = /\.([A-Za-z]+)$/.exec(path)?.[1]?.toLowerCase();
  const kind = ext === 'msu' || ext === 'cab' ? ext : undefined;
  if (kind === undefined || !allowed.includes(kind)) return refuse(`expected a ${allowed.map((k) => `.${k}`).join(' or ')} file`);
  return kind;
}

/** File name part of a validated Windows path. */
export function packageFileName(path: string): string {
  return path.slice(path.lastIndexOf('\\') + 1);
}
