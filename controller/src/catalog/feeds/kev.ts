/**
 * CISA Known Exploited Vulnerabilities catalog (`known_exploited_vulnerabilities.json`).
 *
 * KEV drives deadlines (dueDate) and the "exploited" signal of the priority
 * score, so dates and CVE ids are checked strictly: a bad entry stops the
 * import with its index and CVE id instead of storing a deadline we cannot trust.
 */
import { readFile } from 'node:fs/promises';
import { feedIoError, feedParseError } from './feed-errors';
import { isCalendarDate, isCveId, isTimestamp } from './formats';
import {
  type JsonPlace,
  describeValue,
  failAt,
  readArray,
  readObject,
  readOptionalString,
  readString,
  readStringList,
} from './json-reader';
import type { KevCatalog, KevEntry } from './types';

function readDate(place: JsonPlace, value: unknown, path: string): string {
  const text = readString(place, value, path);
  if (!isCalendarDate(text)) failAt(place, path, `"${text}" is not a YYYY-MM-DD date`);
  return text;
}

function readRansomware(place: JsonPlace, value: unknown): boolean {
  const text = readString(place, value, 'knownRansomwareCampaignUse');
  if (text === 'Known') return true;
  if (text === 'Unknown') return false;
  return failAt(place, 'knownRansomwareCampaignUse', `expected "Known" or "Unknown", got "${text}"`);
}

/** Trimmed text, or null when absent or blank (CISA pads some fields with spaces). */
function readText(place: JsonPlace, value: unknown, path: string): string | null {
  const text = readOptionalString(place, value, path)?.trim();
  return text === undefined || text === '' ? null : text;
}

function parseEntry(file: string, value: unknown, index: number): KevEntry {
  const base: JsonPlace = { file, index };
  const obj = readObject(base, value, `vulnerabilities[${index}]`);
  // Name the record by its CVE id as soon as we have one, even a malformed one.
  const rawId = obj['cveID'];
  const place: JsonPlace = typeof rawId === 'string' ? { ...base, record: rawId } : base;
  const cveId = readString(place, rawId, 'cveID');
  if (!isCveId(cveId)) failAt(place, 'cveID', `"${cveId}" is not a CVE id`);
  return {
    cveId,
    vendorProject: readString(place, obj['vendorProject'], 'vendorProject').trim(),
    product: readString(place, obj['product'], 'product').trim(),
    name: readString(place, obj['vulnerabilityName'], 'vulnerabilityName').trim(),
    dateAdded: readDate(place, obj['dateAdded'], 'dateAdded'),
    dueDate: readDate(place, obj['dueDate'], 'dueDate'),
    knownRansomwareCampaignUse: readRansomware(place, obj['knownRansomwareCampaignUse']),
    shortDescription: readText(place, obj['shortDescription'], 'shortDescription'),
    requiredAction: readText(place, obj['requiredAction'], 'requiredAction'),
    notes: readText(place, obj['notes'], 'notes'),
    cwes: readStringList(place, obj['cwes'], 'cwes'),
  };
}

/**
 * Parses the decoded KEV JSON. Throws PF_ERR_FEED_PARSE naming the file, the
 * entry index and its cveID when an entry is malformed, and when `count` does
 * not match the number of entries (a truncated download).
 */
export function parseKev(json: unknown, source: string): KevCatalog {
  const place: JsonPlace = { file: source };
  const root = readObject(place, json, '');
  const catalogVersion = readString(place, root['catalogVersion'], 'catalogVersion');
  const dateReleased = readString(place, root['dateReleased'], 'dateReleased');
  if (!isTimestamp(dateReleased, true)) failAt(place, 'dateReleased', `"${dateReleased}" is not an ISO 8601 timestamp`);
  const count = root['count'];
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    failAt(place, 'count', `expected a non-negative integer, got ${describeValue(count)}`);
  }
  const entries = readArray(place, root['vulnerabilities'], 'vulnerabilities').map((v, i) => parseEntry(source, v, i));
  if (entries.length !== count) failAt(place, 'count', `says ${count} but the catalog has ${entries.length} entries`);
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    const first = seen.get(entry.cveId);
    if (first !== undefined) {
      throw feedParseError({ file: source, index: i, record: entry.cveId, path: 'cveID' }, `duplicate of entry ${first}`);
    }
    seen.set(entry.cveId, i);
  });
  return { source, title: readOptionalString(place, root['title'], 'title'), catalogVersion, dateReleased, count, entries };
}

/** Reads and parses a KEV JSON file. PF_ERR_FEED_IO when unreadable, PF_ERR_FEED_PARSE when malformed. */
export async function readKevFile(path: string): Promise<KevCatalog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw feedIoError(path, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw feedParseError({ file: path }, `invalid JSON: ${(err as Error).message}`, err);
  }
  return parseKev(json, path);
}
