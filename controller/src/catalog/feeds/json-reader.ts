/**
 * Typed reads of untrusted JSON. Each read names the JSON path it looked at,
 * so a schema change in a vendor feed fails with the exact field, not with a
 * `TypeError` three layers down in the importer.
 */
import { type FeedPlace, feedParseError } from './feed-errors';

/** The file and record a JSON value comes from; the path is added per read. */
export type JsonPlace = Omit<FeedPlace, 'path' | 'line'>;

/** Short description of a value for error messages, e.g. `number 12`, `missing`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (typeof value === 'string') return value.length > 40 ? `string "${value.slice(0, 40)}..."` : `string "${value}"`;
  if (typeof value === 'object') return 'object';
  return `${typeof value} ${String(value)}`;
}

/** Throws PF_ERR_FEED_PARSE at `path`. */
export function failAt(place: JsonPlace, path: string, problem: string): never {
  throw feedParseError({ ...place, path }, problem);
}

/** The value as a plain object, or a parse error. */
export function readObject(place: JsonPlace, value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return failAt(place, path, `expected an object, got ${describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}

/** The value as a string (empty allowed only when `allowEmpty`), or a parse error. */
export function readString(place: JsonPlace, value: unknown, path: string, allowEmpty = false): string {
  if (typeof value !== 'string') return failAt(place, path, `expected a string, got ${describeValue(value)}`);
  if (!allowEmpty && value.trim() === '') return failAt(place, path, 'expected a non-empty string');
  return value;
}

/** A string, or null when the field is absent or null. */
export function readOptionalString(place: JsonPlace, value: unknown, path: string): string | null {
  if (value === undefined || value === null) return null;
  return readString(place, value, path, true);
}

/** The value as an array, or a parse error. */
export function readArray(place: JsonPlace, value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) return failAt(place, path, `expected an array, got ${describeValue(value)}`);
  return value;
}

/** An array, or an empty one when the field is absent (OSV omits empty lists). */
export function readOptionalArray(place: JsonPlace, value: unknown, path: string): unknown[] {
  return value === undefined ? [] : readArray(place, value, path);
}

/** An array of non-empty strings; absent means empty. */
export function readStringList(place: JsonPlace, value: unknown, path: string): string[] {
  return readOptionalArray(place, value, path).map((item, i) => readString(place, item, `${path}[${i}]`));
}
