import { readFileSync } from 'node:fs';

/**
 * Bytes of a file in ./fixtures, for tests. Bytes, not text: several
 * fixtures exist to test encodings (BOM, UTF-16LE).
 */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
}

/** A fixture decoded as UTF-8 (for fixtures that are plain UTF-8 JSON). */
export function fixtureJson(name: string): unknown {
  return JSON.parse(fixture(name).toString('utf8'));
}
