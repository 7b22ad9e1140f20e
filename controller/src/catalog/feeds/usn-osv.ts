/**
 * Ubuntu Security Notices in OSV format (Canonical's `osv/usn/USN-*.json`).
 *
 * Two generations of records exist side by side: schema 1.6.3 lists CVEs in
 * `related` (both `CVE-…` and `UBUNTU-CVE-…`) and has no `upstream`; schema
 * 1.7.0 lists `UBUNTU-CVE-…` in `upstream`, and records regenerated since
 * early 2026 add `database_specific.cves_map` per affected release. The parser
 * reads both into one `UsnRecord`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { feedIoError, feedParseError } from './feed-errors';
import { CVE_ID, compareCveIds, isTimestamp } from './formats';
import {
  type JsonPlace,
  failAt,
  readArray,
  readObject,
  readOptionalArray,
  readOptionalString,
  readString,
  readStringList,
} from './json-reader';
import type { OsvReference, UsnRecord } from './types';
import { parseUsnAffected, readOsvSeverity } from './usn-affected';

const USN_ID = /^USN-\d+-\d+$/;
const UBUNTU_CVE = /^UBUNTU-(CVE-.*)$/;

function readTimestamp(place: JsonPlace, value: unknown, path: string): string {
  const text = readString(place, value, path);
  if (!isTimestamp(text, true)) failAt(place, path, `"${text}" is not an RFC 3339 timestamp`);
  return text;
}

/** Splits upstream/related/aliases ids into CVE ids (UBUNTU- prefix removed) and others. */
function collectIds(place: JsonPlace, lists: [string, string[]][]): { cves: Set<string>; other: string[] } {
  const cves = new Set<string>();
  const other: string[] = [];
  for (const [field, ids] of lists) {
    ids.forEach((id, i) => {
      const cve = UBUNTU_CVE.exec(id)?.[1] ?? id;
      if (cve.startsWith('CVE-')) {
        if (!CVE_ID.test(cve)) failAt(place, `${field}[${i}]`, `"${id}" is not a well-formed CVE id`);
        cves.add(cve);
      } else {
        other.push(id);
      }
    });
  }
  return { cves, other };
}

function readReferences(place: JsonPlace, value: unknown): OsvReference[] {
  return readOptionalArray(place, value, 'references').map((item, i) => {
    const ref = readObject(place, item, `references[${i}]`);
    return { type: readString(place, ref['type'], `references[${i}].type`), url: readString(place, ref['url'], `references[${i}].url`) };
  });
}

/**
 * Parses one USN OSV record (already JSON-decoded). `source` names the file
 * for errors and is kept on the record. Throws PF_ERR_FEED_PARSE naming the
 * file, the record id and the JSON path of the first bad field.
 */
export function parseUsnOsv(json: unknown, source: string, index?: number): UsnRecord {
  const base: JsonPlace = index === undefined ? { file: source } : { file: source, index };
  const obj = readObject(base, json, '');
  const id = readString(base, obj['id'], 'id');
  if (!USN_ID.test(id)) failAt(base, 'id', `"${id}" is not a USN id (USN-NNNN-N)`);
  const place: JsonPlace = { ...base, record: id };

  const upstream = readStringList(place, obj['upstream'], 'upstream');
  const related = readStringList(place, obj['related'], 'related');
  const aliases = readStringList(place, obj['aliases'], 'aliases');
  const { cves, other } = collectIds(place, [['upstream', upstream], ['related', related], ['aliases', aliases]]);

  const affected = readArray(place, obj['affected'], 'affected').map((entry, i) => parseUsnAffected(place, entry, i));
  for (const entry of affected) for (const cve of entry.cves ?? []) cves.add(cve.cveId);

  const withdrawn = readOptionalString(place, obj['withdrawn'], 'withdrawn');
  if (withdrawn !== null && !isTimestamp(withdrawn, true)) failAt(place, 'withdrawn', `"${withdrawn}" is not an RFC 3339 timestamp`);

  return {
    source,
    id,
    schemaVersion: readOptionalString(place, obj['schema_version'], 'schema_version'),
    summary: readString(place, obj['summary'], 'summary'),
    details: readString(place, obj['details'], 'details', true).trimEnd(),
    published: readTimestamp(place, obj['published'], 'published'),
    modified: readTimestamp(place, obj['modified'], 'modified'),
    withdrawn,
    cveIds: [...cves].sort(compareCveIds),
    otherIds: other,
    severity: readOsvSeverity(place, obj['severity'], 'severity'),
    references: readReferences(place, obj['references']),
    affected,
  };
}

async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw feedIoError(file, err);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw feedParseError({ file }, `invalid JSON: ${(err as Error).message}`, err);
  }
}

/** Parses a decoded file: one record, or an array of records (each error names its index). */
function* recordsOfFile(json: unknown, file: string): Generator<UsnRecord> {
  if (!Array.isArray(json)) {
    const record = parseUsnOsv(json, file);
    // Canonical names each file after its record; a mismatch means a mangled mirror.
    const expected = /^(USN-\d+-\d+)\.json$/.exec(basename(file))?.[1];
    if (expected !== undefined && expected !== record.id) {
      throw feedParseError({ file, record: record.id, path: 'id' }, `file is named ${expected} but holds ${record.id}`);
    }
    yield record;
    return;
  }
  for (let i = 0; i < json.length; i++) yield parseUsnOsv(json[i], file, i);
}

function compareUsnFileNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Reads USN records from a directory of `USN-*.json` files (sorted by number)
 * or from one file holding a record or a JSON array of records. Progress counts
 * files for a directory and records for an array file. Throws PF_ERR_FEED_IO
 * when a file cannot be read and PF_ERR_FEED_PARSE at the first bad record.
 */
export async function* readUsnOsvPath(path: string, onProgress?: (done: number, total: number) => void): AsyncGenerator<UsnRecord> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (err) {
    throw feedIoError(path, err);
  }
  if (!isDirectory) {
    const json = await readJsonFile(path);
    const total = Array.isArray(json) ? json.length : 1;
    let done = 0;
    for (const record of recordsOfFile(json, path)) {
      yield record;
      onProgress?.(++done, total);
    }
    return;
  }
  let names: string[];
  try {
    names = (await readdir(path)).filter((n) => /^USN-.*\.json$/.test(n)).sort(compareUsnFileNames);
  } catch (err) {
    throw feedIoError(path, err);
  }
  for (let i = 0; i < names.length; i++) {
    const file = join(path, names[i] ?? '');
    yield* recordsOfFile(await readJsonFile(file), file);
    onProgress?.(i + 1, names.length);
  }
}
