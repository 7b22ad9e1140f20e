import { parseDebVersion, type DebVersion } from './parse';

const TILDE = 126;

/**
 * Compares two Debian versions exactly as dpkg does (`dpkg --compare-versions`).
 * Returns a negative number, 0 or a positive number (always -1, 0 or 1).
 *
 * Versions that differ only in spelling compare equal, as in dpkg: `1.0`, `0:1.0`,
 * `1.0-0` and `1.00` are all equal.
 *
 * @throws PfError `PF_ERR_BAD_VERSION` when either string is not a valid version.
 */
export function compareDebVersions(a: string, b: string): number {
  return compareParsedDebVersions(parseDebVersion(a), parseDebVersion(b));
}

/**
 * Same ordering as {@link compareDebVersions} for already parsed versions; sorting a
 * long list with it avoids parsing each version again on every comparison.
 */
export function compareParsedDebVersions(a: DebVersion, b: DebVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

/** True when `a` sorts before `b` (dpkg's `lt`). */
export function debVersionLt(a: string, b: string): boolean {
  return compareDebVersions(a, b) < 0;
}

/** True when `a` sorts before or equal to `b` (dpkg's `le`). */
export function debVersionLe(a: string, b: string): boolean {
  return compareDebVersions(a, b) <= 0;
}

/** True when dpkg considers `a` and `b` the same version, e.g. `1.0` and `0:1.0-0`. */
export function debVersionEq(a: string, b: string): boolean {
  return compareDebVersions(a, b) === 0;
}

/** True when `a` sorts after or equal to `b` (dpkg's `ge`). */
export function debVersionGe(a: string, b: string): boolean {
  return compareDebVersions(a, b) >= 0;
}

/** True when `a` sorts after `b` (dpkg's `gt`). */
export function debVersionGt(a: string, b: string): boolean {
  return compareDebVersions(a, b) > 0;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * dpkg's order(): '~' sorts before the end of the string, the end (and a digit, which
 * ends a non-digit run) before letters, and letters before every other character.
 * `c` is NaN past the end of the string.
 */
function order(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === TILDE) return -1;
  return c + 256;
}

/**
 * Port of dpkg's verrevcmp() (lib/dpkg/version.c): alternately compares a run of
 * non-digits character by character and a run of digits as an integer. Digit runs are
 * compared without converting them to numbers, so any length works.
 */
function verrevcmp(a: string, b: string): number {
  const lenA = a.length;
  const lenB = b.length;
  let i = 0;
  let j = 0;
  while (i < lenA || j < lenB) {
    while ((i < lenA && !isDigit(a.charCodeAt(i))) || (j < lenB && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    while (i < lenA && a.charCodeAt(i) === 48) i++;
    while (j < lenB && b.charCodeAt(j) === 48) j++;
    // Without leading zeros the longer run is the bigger number; at equal length the
    // first differing digit decides.
    let firstDiff = 0;
    while (i < lenA && j < lenB && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < lenA && isDigit(a.charCodeAt(i))) return 1;
    if (j < lenB && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}
