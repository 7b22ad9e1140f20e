/**
 * Builds the in-memory Catalog from parsed feeds. Pure: the same records give
 * the same catalog, whatever order they come in. The store keeps the
 * per-source pieces (`cvrfDigest`, `usnCveFacts`) and runs the same merges,
 * so `loadCatalog` after an import equals `catalogFromFeeds` of the same files.
 *
 * The merge rules live beside their code: KBs in `merge-kbs.ts`, CVEs in
 * `merge-cves.ts`, Ubuntu notices in `usn-advisory.ts`. Withdrawn notices are
 * left out: nothing should be judged missing for them.
 */
import type { CvrfDocument, EpssRow, KevCatalog, UsnRecord } from './feeds/index';
import { epssDay, mergeAdvisoryCves, withFeedSignals, type EpssFacts, type KevFacts } from './merge-cves';
import { mergeKbs } from './merge-kbs';
import type { Catalog, CveInfo } from './model';
import { cvrfDigest, newestDigests } from './msrc-digest';
import { newestUsnRecords, usnAdvisory, usnCveFacts } from './usn-advisory';

/** Parsed feeds to build a catalog from. */
export interface CatalogFeedsInput {
  usn: UsnRecord[];
  cvrf: CvrfDocument[];
  kev?: KevCatalog;
  /** EPSS rows and the file's `score_date`. */
  epss?: { rows: EpssRow[]; scoreDate: string };
}

/** KEV facts per CVE. */
export function kevFacts(kev: KevCatalog): Map<string, KevFacts> {
  return new Map(kev.entries.map((e) => [e.cveId, { dateAdded: e.dateAdded, dueDate: e.dueDate, ransomware: e.knownRansomwareCampaignUse }]));
}

/** EPSS facts per CVE; `date` is the day of the file's score_date. */
export function epssFacts(rows: Iterable<EpssRow>, scoreDate: string): Map<string, EpssFacts> {
  const date = epssDay(scoreDate);
  const facts = new Map<string, EpssFacts>();
  for (const row of rows) facts.set(row.cve, { score: row.epss, percentile: row.percentile, date });
  return facts;
}

/** The catalog of the given feeds. KEV and EPSS enrich CVEs the advisories name; they add no CVEs of their own. */
export function catalogFromFeeds(input: CatalogFeedsInput): Catalog {
  const notices = newestUsnRecords(input.usn).filter((r) => r.withdrawn === null);
  const digests = newestDigests(input.cvrf.map(cvrfDigest));
  const advisoryCves = mergeAdvisoryCves({
    msrc: digests.map((d) => d.cves),
    usn: notices.map(usnCveFacts),
    ids: notices.flatMap((r) => r.cveIds),
  });
  const kev = input.kev === undefined ? new Map<string, KevFacts>() : kevFacts(input.kev);
  const epss = input.epss === undefined ? new Map<string, EpssFacts>() : epssFacts(input.epss.rows, input.epss.scoreDate);
  const cves = new Map<string, CveInfo>();
  for (const [id, cve] of advisoryCves) cves.set(id, withFeedSignals(cve, kev.get(id) ?? null, epss.get(id) ?? null));
  return { usns: notices.map(usnAdvisory), kbs: mergeKbs(digests), cves };
}
