/**
 * CVE records for the scoring tests: a builder, and real entries read from
 * the advisory fixtures (CISA KEV 2026.08.07, FIRST EPSS subset) so the
 * tests score what the feeds really say.
 */
import { readFileSync } from 'node:fs';
import type { CveInfo } from '../catalog/model';

const ADVISORIES = new URL('../../../test/fixtures/advisories/', import.meta.url);

/** A CveInfo with nothing known but its id, then `fields`. */
export function cve(id: string, fields: Partial<Omit<CveInfo, 'id'>> = {}): CveInfo {
  return { id, cvssScore: null, cvssVector: null, severity: null, exploited: null, publiclyDisclosed: null, epss: null, kev: null, ...fields };
}

interface KevJson {
  vulnerabilities: { cveID: string; dateAdded: string; dueDate: string; knownRansomwareCampaignUse: string }[];
}

let kevCache: Map<string, NonNullable<CveInfo['kev']>> | null = null;

/** The KEV entry of `id` from the fixture, as CveInfo.kev; throws when absent so a typo fails loudly. */
export function fixtureKev(id: string): NonNullable<CveInfo['kev']> {
  kevCache ??= new Map(
    (JSON.parse(readFileSync(new URL('kev/known_exploited_vulnerabilities.json', ADVISORIES), 'utf8')) as KevJson).vulnerabilities.map((v) => [
      v.cveID,
      { dateAdded: v.dateAdded, dueDate: v.dueDate, ransomware: v.knownRansomwareCampaignUse === 'Known' },
    ]),
  );
  const kev = kevCache.get(id);
  if (kev === undefined) throw new Error(`${id} is not in the KEV fixture`);
  return kev;
}

let epssCache: Map<string, NonNullable<CveInfo['epss']>> | null = null;

/** The EPSS row of `id` from the fixture (dated as epss_dates.tsv says), as CveInfo.epss; throws when absent. */
export function fixtureEpss(id: string): NonNullable<CveInfo['epss']> {
  if (epssCache === null) {
    const dates = new Map(
      readFileSync(new URL('epss/epss_dates.tsv', ADVISORIES), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split('\t') as [string, string]),
    );
    epssCache = new Map(
      readFileSync(new URL('epss/epss_subset.csv', ADVISORIES), 'utf8')
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('CVE-'))
        .map((line) => {
          const [id, score, percentile] = line.split(',') as [string, string, string];
          return [id, { score: Number(score), percentile: Number(percentile), date: dates.get(id) ?? '' }];
        }),
    );
  }
  const epss = epssCache.get(id);
  if (epss === undefined) throw new Error(`${id} is not in the EPSS fixture`);
  return epss;
}
