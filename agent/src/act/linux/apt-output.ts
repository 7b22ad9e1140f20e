/**
 * Parsers of apt-get, apt-cache and dpkg-query output (C locale). Pure, so
 * they are tested against output captured from real apt runs.
 */
import type { ErrorDef } from '@patchfleet/shared/errors';
import { Errors } from '@patchfleet/shared/errors';

/** Why an apt-get run failed: the registry entry and a message naming what went wrong. */
export interface AptFailure {
  def: ErrorDef;
  message: string;
}

const LOCK_RE = /Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock the administration directory/;
const VERSION_RE = /E: Version '([^']+)' for '([^']+)' was not found/g;
const UNKNOWN_PACKAGE_RE = /E: Unable to locate package (\S+)/g;
const INTERRUPTED_RE = /dpkg was interrupted/;

/**
 * Maps the output of a failed apt-get run to an error code. Order matters: an
 * interrupted dpkg or a held lock stops apt before it looks at versions.
 */
export function classifyAptFailure(output: string, exitCode: number | null): AptFailure {
  if (INTERRUPTED_RE.test(output)) {
    return { def: Errors.DPKG_INTERRUPTED, message: "dpkg was interrupted; an operator must run 'dpkg --configure -a'" };
  }
  if (LOCK_RE.test(output)) {
    const line = output.split('\n').find((l) => l.startsWith('E:') && LOCK_RE.test(l)) ?? '';
    return { def: Errors.APT_LOCKED, message: `the dpkg lock is held by another process: ${line.replace(/^E:\s*/, '').trim()}`.trim() };
  }
  const missing = [
    ...[...output.matchAll(VERSION_RE)].map((m) => `${m[2]}=${m[1]}`),
    ...[...output.matchAll(UNKNOWN_PACKAGE_RE)].map((m) => `${m[1]} (unknown package)`),
  ];
  if (missing.length > 0) {
    return { def: Errors.PACKAGE_VERSION_UNAVAILABLE, message: `not available from the configured repositories: ${missing.join(', ')}` };
  }
  const firstError = output.split('\n').find((l) => l.startsWith('E:'));
  const why = firstError !== undefined ? firstError.replace(/^E:\s*/, '').trim() : `exit code ${exitCode ?? 'signal'}`;
  return { def: Errors.APT_FAILED, message: `apt-get failed: ${why}` };
}

/**
 * Versions offered per package, from `apt-cache madison` lines
 * (`name | version | source`). Packages apt does not know are absent.
 */
export function parseMadison(stdout: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of stdout.split('\n')) {
    const parts = line.split('|').map((p) => p.trim());
    if (parts.length < 3 || !parts[0] || !parts[1]) continue;
    const set = out.get(parts[0]) ?? new Set<string>();
    set.add(parts[1]);
    out.set(parts[0], set);
  }
  return out;
}

/**
 * Installed version per package from `dpkg-query -W` with DPKG_QUERY_FORMAT.
 * A package dpkg does not list, or lists as not-installed / config-files only
 * (status letter n or c), is absent from the map: for us it is not installed.
 * Other states (unpacked, half-configured...) keep their version so a
 * rollback can still aim at it. Architecture qualifiers are kept off the name
 * so the first listed architecture wins for a multi-arch package.
 */
export function parseDpkgQuery(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [name, abbrev, version] = line.split('\t');
    if (!name || abbrev === undefined || !version) continue;
    const state = abbrev.charAt(1);
    if (state === 'n' || state === 'c') continue;
    const bare = name.replace(/:.*$/, '');
    if (!out.has(bare)) out.set(bare, version);
  }
  return out;
}

/** Keeps the start and end of long output (where apt prints what it did and why it stopped). */
export function truncateOutput(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 40) / 2);
  return `${text.slice(0, half)}\n... [${text.length - 2 * half} characters cut] ...\n${text.slice(text.length - half)}`;
}
