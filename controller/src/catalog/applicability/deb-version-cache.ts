/**
 * Parsing Debian versions once: a catalog repeats the same fixed version for
 * every binary of a source, and hosts repeat the same installed versions.
 */
import { PfError } from '@patchfleet/shared/errors';
import { Errors } from '@patchfleet/shared/errors';
import { type DebVersion, parseDebVersion } from '@patchfleet/shared/debversion';

/**
 * Parses `version`, or returns null when it is not a valid Debian version
 * (any other error is a bug and propagates).
 */
export function tryParseDebVersion(version: string): DebVersion | null {
  try {
    return parseDebVersion(version);
  } catch (err) {
    if (err instanceof PfError && err.code === Errors.BAD_VERSION.code) return null;
    throw err;
  }
}

/**
 * A memo of parsed versions; null marks a version known to be invalid. Equal
 * texts give the same object, so callers may compare parsed versions by identity.
 * With a limit, the memo is emptied when it reaches it (cheaper than LRU
 * bookkeeping on every hit, and a fleet's distinct versions stay far below it).
 */
export class DebVersionCache {
  private readonly parsed = new Map<string, DebVersion | null>();

  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  /** The parsed version, or null when invalid. */
  get(version: string): DebVersion | null {
    let v = this.parsed.get(version);
    if (v === undefined) {
      v = tryParseDebVersion(version);
      if (this.parsed.size >= this.limit) this.parsed.clear();
      this.parsed.set(version, v);
    }
    return v;
  }
}
