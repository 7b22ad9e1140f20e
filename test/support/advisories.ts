/**
 * The real advisory fixtures (test/fixtures/advisories, see its README for
 * sources and licences): paths, and the feeds parsed once per test worker.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  collectEpssRows,
  openEpssFile,
  readCvrfFile,
  readKevFile,
  readUsnOsvPath,
  type CvrfDocument,
  type EpssRow,
  type KevCatalog,
  type UsnRecord,
} from '@patchfleet/controller/src/catalog/feeds/index';

export const ADVISORIES = fileURLToPath(new URL('../fixtures/advisories/', import.meta.url));

/** Paths of every fixture feed, as `catalog import` takes them. */
export const FIXTURE_PATHS = {
  usnDir: join(ADVISORIES, 'usn'),
  /** Oldest month first. */
  cvrf: ['Jun', 'Sep', 'Nov', 'Dec'].map((m) => join(ADVISORIES, 'msrc', `cvrf-2025-${m}.xml`)),
  kev: join(ADVISORIES, 'kev', 'known_exploited_vulnerabilities.json'),
  epss: join(ADVISORIES, 'epss', 'epss_subset.csv'),
};

/** CVRF fixture path of a month (`Nov`). */
export function cvrfPath(month: 'Jun' | 'Sep' | 'Nov' | 'Dec'): string {
  return join(ADVISORIES, 'msrc', `cvrf-2025-${month}.xml`);
}

/** USN fixture file names, sorted as the reader reads them. */
export function usnFileNames(): string[] {
  return readdirSync(FIXTURE_PATHS.usnDir)
    .filter((n) => /^USN-.*\.json$/.test(n))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

export interface FixtureFeeds {
  usn: UsnRecord[];
  /** Jun, Sep, Nov, Dec. */
  cvrf: CvrfDocument[];
  cvrfByMonth: Record<'Jun' | 'Sep' | 'Nov' | 'Dec', CvrfDocument>;
  kev: KevCatalog;
  epss: { rows: EpssRow[]; scoreDate: string; modelVersion: string; source: string };
}

let parsed: Promise<FixtureFeeds> | undefined;

/** All fixture feeds, parsed once per worker (the four CVRF documents take seconds). */
export function fixtureFeeds(): Promise<FixtureFeeds> {
  parsed ??= (async () => {
    const usn: UsnRecord[] = [];
    for await (const record of readUsnOsvPath(FIXTURE_PATHS.usnDir)) usn.push(record);
    const [Jun, Sep, Nov, Dec] = await Promise.all(FIXTURE_PATHS.cvrf.map((p) => readCvrfFile(p)));
    if (!Jun || !Sep || !Nov || !Dec) throw new Error('CVRF fixtures missing');
    const kev = await readKevFile(FIXTURE_PATHS.kev);
    const feed = await openEpssFile(FIXTURE_PATHS.epss);
    const rows = await collectEpssRows(feed);
    return {
      usn,
      cvrf: [Jun, Sep, Nov, Dec],
      cvrfByMonth: { Jun, Sep, Nov, Dec },
      kev,
      epss: { rows, scoreDate: feed.scoreDate, modelVersion: feed.modelVersion, source: FIXTURE_PATHS.epss },
    };
  })();
  return parsed;
}
