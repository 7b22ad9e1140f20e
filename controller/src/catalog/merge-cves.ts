/**
 * What the catalog knows about each CVE, merged from every feed.
 *
 * Advisory facts (MSRC documents, Ubuntu notices) are merged into one row
 * per CVE named by any advisory; CISA KEV and FIRST EPSS are kept apart and
 * joined on top (`withFeedSignals`), so they can be imported before or after
 * the advisories that name their CVEs. Rules:
 *
 * - CVSS score and vector: the highest MSRC base score and the vector of that
 *   score set (on a tie, the newer document's). Without an MSRC score the
 *   score stays null (no score is computed from vectors) and the vector is
 *   Ubuntu's, preferring CVSS 3.x, then 4.0, then 2.
 * - severity: the highest MSRC severity; without one, the highest Ubuntu
 *   priority (`untriaged` is no severity).
 * - exploited / publicly disclosed: true if any document says Yes, false if
 *   one says No and none Yes, null when no document says. A CVE in KEV is
 *   exploited whatever MSRC said: KEV lists evidence of exploitation.
 */
import { compareCveIds } from './feeds/formats';
import type { CveInfo } from './model';
import type { DigestCve } from './msrc-digest';
import { UBUNTU_PRIORITY_RANK, type UsnCveFacts } from './usn-advisory';

/** A CVE as the advisories describe it, before KEV and EPSS. */
export type AdvisoryCve = Omit<CveInfo, 'epss' | 'kev'>;

export type KevFacts = NonNullable<CveInfo['kev']>;
export type EpssFacts = NonNullable<CveInfo['epss']>;

const MSRC_SEVERITY_RANK: Record<string, number> = { Low: 1, Moderate: 2, Important: 3, Critical: 4 };

function vectorPreference(vector: string): number {
  if (vector.startsWith('CVSS:3.')) return 3;
  if (vector.startsWith('CVSS:4.')) return 2;
  return 1;
}

function anyTrue(values: (boolean | null)[]): boolean | null {
  if (values.includes(true)) return true;
  return values.includes(false) ? false : null;
}

export interface CveSources {
  /** Per MSRC document, oldest document first. */
  msrc: DigestCve[][];
  /** Per Ubuntu notice, in notice order. */
  usn: UsnCveFacts[][];
  /** Further CVE ids named by advisories (a notice's CVE list), so every one gets a row. */
  ids: Iterable<string>;
}

/** Merges advisory facts into one AdvisoryCve per CVE, sorted by CVE id. */
export function mergeAdvisoryCves(sources: CveSources): Map<string, AdvisoryCve> {
  const msrc = new Map<string, DigestCve[]>();
  for (const doc of sources.msrc) for (const c of doc) msrc.set(c.cve, [...(msrc.get(c.cve) ?? []), c]);
  const usn = new Map<string, UsnCveFacts[]>();
  for (const notice of sources.usn) for (const c of notice) usn.set(c.cve, [...(usn.get(c.cve) ?? []), c]);
  const ids = new Set<string>([...msrc.keys(), ...usn.keys(), ...sources.ids]);

  const merged = new Map<string, AdvisoryCve>();
  for (const id of [...ids].sort(compareCveIds)) {
    const vendor = msrc.get(id) ?? [];
    const ubuntu = usn.get(id) ?? [];
    let score: number | null = null;
    let vector: string | null = null;
    let severity: string | null = null;
    for (const c of vendor) {
      if (c.cvssScore !== null && (score === null || c.cvssScore >= score)) {
        score = c.cvssScore;
        vector = c.cvssVector;
      }
      if (c.severity !== null && (severity === null || (MSRC_SEVERITY_RANK[c.severity] ?? 0) > (MSRC_SEVERITY_RANK[severity] ?? 0))) severity = c.severity;
    }
    if (vector === null) {
      for (const v of ubuntu.flatMap((u) => u.vectors)) if (vector === null || vectorPreference(v) > vectorPreference(vector)) vector = v;
    }
    if (severity === null) {
      for (const u of ubuntu) {
        const p = u.priority;
        if (p !== null && (severity === null || UBUNTU_PRIORITY_RANK[p] > UBUNTU_PRIORITY_RANK[severity as keyof typeof UBUNTU_PRIORITY_RANK])) severity = p;
      }
    }
    merged.set(id, {
      id,
      cvssScore: score,
      cvssVector: vector,
      severity,
      exploited: anyTrue(vendor.map((c) => c.exploited)),
      publiclyDisclosed: anyTrue(vendor.map((c) => c.publiclyDisclosed)),
    });
  }
  return merged;
}

/** Adds KEV and EPSS to an advisory CVE. */
export function withFeedSignals(cve: AdvisoryCve, kev: KevFacts | null, epss: EpssFacts | null): CveInfo {
  return { ...cve, exploited: kev !== null ? true : cve.exploited, epss, kev };
}

/** EPSS's `score_date` (`2025-08-15T00:00:00Z`) as the day it names. */
export function epssDay(scoreDate: string): string {
  return scoreDate.slice(0, 10);
}
