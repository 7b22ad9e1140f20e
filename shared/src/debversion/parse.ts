import { PfError, Errors } from '../errors';

/** A Debian version split as dpkg splits it: `[epoch:]upstream[-revision]`. */
export interface DebVersion {
  /** 0 when the version has no `epoch:` prefix. */
  readonly epoch: number;
  readonly upstream: string;
  /** Empty when the version has no `-revision` suffix; dpkg compares that as equal to "0". */
  readonly revision: string;
}

// dpkg keeps the epoch in a C int and rejects anything above INT_MAX.
const MAX_EPOCH = 2147483647;
// Longer input is shortened in error messages so a hostile string cannot bloat logs.
const MAX_QUOTED_LENGTH = 120;

const SPACE = 32;
const TAB = 9;
const COLON = 58;
const HYPHEN = 45;
const ZERO = 48;

// Characters dpkg's parseversion() allows, as a lookup table: parsing sits under every
// comparison, and a table scan is several times faster than regular expressions.
const IN_REVISION = 1;
const IN_UPSTREAM = 2;
const ALLOWED = new Uint8Array(128);
for (const c of '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+~') {
  ALLOWED[c.charCodeAt(0)] = IN_REVISION | IN_UPSTREAM;
}
// ':' and '-' reach the upstream part only when an epoch and a revision are present.
ALLOWED[COLON] = IN_UPSTREAM;
ALLOWED[HYPHEN] = IN_UPSTREAM;

/**
 * Parses a Debian version following dpkg's parseversion() (lib/dpkg/parsehelp.c).
 *
 * Like dpkg, blanks (space, tab) around the version are ignored, the epoch ends at the
 * first ':' and the revision starts after the last '-'. Everything dpkg reports as an
 * error is rejected, and so are characters dpkg only warns about outside its strict
 * mode (anything but alphanumerics and `.+~` plus `-:` in the upstream part): such a
 * version cannot come out of a valid package. An upstream part that does not start
 * with a digit is accepted, as dpkg accepts it with a mere warning.
 *
 * Stricter than dpkg in one corner: the epoch must be plain ASCII digits, whereas
 * dpkg's strtol() also takes a sign or leading whitespace (`+1:2.0`).
 *
 * @throws PfError `PF_ERR_BAD_VERSION` naming the version and the reason.
 */
export function parseDebVersion(v: string): DebVersion {
  if (typeof v !== 'string') {
    throw badVersion(String(v), 'version is not a string');
  }
  let start = 0;
  let end = v.length;
  while (start < end && isBlank(v.charCodeAt(start))) start++;
  while (end > start && isBlank(v.charCodeAt(end - 1))) end--;
  if (start === end) throw badVersion(v, 'version string is empty');

  let colon = -1;
  let hyphen = -1;
  for (let i = start; i < end; i++) {
    const c = v.charCodeAt(i);
    if (isBlank(c)) throw badVersion(v, 'version string has embedded spaces');
    if (c === COLON && colon < 0) colon = i;
    else if (c === HYPHEN) hyphen = i;
  }

  let epoch = 0;
  let upstreamStart = start;
  if (colon >= 0) {
    if (colon === start) throw badVersion(v, 'epoch in version is empty');
    for (let i = start; i < colon; i++) {
      const digit = v.charCodeAt(i) - ZERO;
      if (digit < 0 || digit > 9) throw badVersion(v, 'epoch in version is not a number');
      // Checked digit by digit so that a huge epoch never loses precision.
      epoch = epoch * 10 + digit;
      if (epoch > MAX_EPOCH) throw badVersion(v, 'epoch in version is too big');
    }
    upstreamStart = colon + 1;
    if (upstreamStart === end) throw badVersion(v, 'nothing after colon in version number');
  }
  // A '-' before the epoch's ':' would have failed the epoch check above.
  const upstreamEnd = hyphen >= 0 ? hyphen : end;
  if (hyphen >= 0 && hyphen + 1 === end) throw badVersion(v, 'revision number is empty');
  if (upstreamStart === upstreamEnd) throw badVersion(v, 'upstream version is empty');
  for (let i = upstreamStart; i < upstreamEnd; i++) {
    const c = v.charCodeAt(i);
    if (c >= 128 || (ALLOWED[c]! & IN_UPSTREAM) === 0) throw badVersion(v, 'invalid character in version number');
  }
  for (let i = upstreamEnd + 1; i < end; i++) {
    const c = v.charCodeAt(i);
    if (c >= 128 || (ALLOWED[c]! & IN_REVISION) === 0) throw badVersion(v, 'invalid character in revision number');
  }
  return {
    epoch,
    upstream: v.slice(upstreamStart, upstreamEnd),
    revision: hyphen >= 0 ? v.slice(hyphen + 1, end) : '',
  };
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function badVersion(v: string, reason: string): PfError {
  const shown = v.length > MAX_QUOTED_LENGTH ? `${v.slice(0, MAX_QUOTED_LENGTH)}...` : v;
  // JSON quoting makes control characters and stray quotes visible in the message.
  return new PfError(Errors.BAD_VERSION, `invalid Debian version ${JSON.stringify(shown)}: ${reason}`, {
    version: shown,
    reason,
  });
}
