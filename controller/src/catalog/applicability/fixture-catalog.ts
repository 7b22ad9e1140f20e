/**
 * Test support: the catalog of the real advisory fixtures
 * (`test/fixtures/advisories`), built with `catalogFromFeeds` once per test file.
 */
import { fileURLToPath } from 'node:url';
import { catalogFromFeeds } from '../build';
import { readCvrfFile, readUsnOsvPath, type CvrfDocument, type UsnRecord } from '../feeds/index';
import type { Catalog } from '../model';

const fixtures = (path: string): string => fileURLToPath(new URL(`../../../../test/fixtures/advisories/${path}`, import.meta.url));

/** The four MSRC documents of the fixtures (2025 Jun, Sep, Nov, Dec). */
export const CVRF_MONTHS = ['Jun', 'Sep', 'Nov', 'Dec'] as const;

/** Every parsed USN record of the fixtures. */
export async function fixtureUsnRecords(): Promise<UsnRecord[]> {
  const records: UsnRecord[] = [];
  for await (const record of readUsnOsvPath(fixtures('usn'))) records.push(record);
  return records;
}

/** The parsed MSRC documents of the given months. */
export async function fixtureCvrfDocuments(months: readonly string[] = CVRF_MONTHS): Promise<CvrfDocument[]> {
  return Promise.all(months.map((m) => readCvrfFile(fixtures(`msrc/cvrf-2025-${m}.xml`))));
}

/** Catalog of all USN fixtures and the given MSRC months. */
export async function fixtureCatalog(months: readonly string[] = CVRF_MONTHS): Promise<Catalog> {
  const [usn, cvrf] = await Promise.all([fixtureUsnRecords(), fixtureCvrfDocuments(months)]);
  return catalogFromFeeds({ usn, cvrf });
}
