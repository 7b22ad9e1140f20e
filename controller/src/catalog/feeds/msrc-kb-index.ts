/**
 * KB- and CVE-centric views of a parsed CVRF document: what the importer
 * stores per KB (CVEs, products, builds, supersedence, restart, hotpatch) and
 * per CVE (worst score, severity, exploitation flags).
 */
import { compareCveIds } from './formats';
import type { CveSummary, CvrfDocument, CvrfVulnerability, KbEntry, RestartRequired } from './types';

const RESTART_RANK: Record<RestartRequired, number> = { no: 0, maybe: 1, yes: 2 };
const SEVERITY_RANK: Record<string, number> = { Low: 1, Moderate: 2, Important: 3, Critical: 4 };

/** Orders dotted numeric builds (`10.0.26100.7171` < `10.0.26100.10000`); non-numeric parts compare as text. */
export function compareBuilds(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const diff = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
    if (diff !== 0) return diff;
  }
  return 0;
}

function maxDate(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  return b !== null && b > a ? b : a;
}

function addUnique<T>(list: T[], ...values: T[]): void {
  for (const value of values) if (!list.includes(value)) list.push(value);
}

/**
 * One entry per KB named by a Vendor Fix of the document, sorted by KB, CVEs sorted.
 * Vendor fixes named otherwise (`Release Notes`, `Click to Run`, packages)
 * have no KB and are left out. When two CVEs give different builds for the
 * same product and KB, the higher build is kept.
 */
export function kbIndex(doc: CvrfDocument): KbEntry[] {
  const entries = new Map<string, KbEntry>();
  const knownIssueKbs = new Set(doc.vulnerabilities.flatMap((v) => v.knownIssueKbs));
  for (const vuln of doc.vulnerabilities) {
    for (const fix of vuln.vendorFixes) {
      if (fix.kb === null) continue;
      let entry = entries.get(fix.kb);
      if (entry === undefined) {
        entry = {
          kb: fix.kb,
          documentId: doc.id,
          month: doc.month,
          cves: [],
          productIds: [],
          fixedBuildByProduct: {},
          fixedBuilds: [],
          supersedes: [],
          supersededBy: [],
          restartRequired: null,
          hotpatch: false,
          subTypes: [],
          urls: [],
          hasKnownIssues: knownIssueKbs.has(fix.kb),
          latestCveRevision: null,
        };
        entries.set(fix.kb, entry);
      }
      addUnique(entry.cves, vuln.cve);
      addUnique(entry.productIds, ...fix.productIds);
      addUnique(entry.supersedes, ...fix.supersedes);
      if (fix.subType !== null) addUnique(entry.subTypes, fix.subType);
      if (fix.url !== null) addUnique(entry.urls, fix.url);
      entry.hotpatch ||= fix.hotpatch;
      if (fix.restartRequired !== null && (entry.restartRequired === null || RESTART_RANK[fix.restartRequired] > RESTART_RANK[entry.restartRequired])) {
        entry.restartRequired = fix.restartRequired;
      }
      if (fix.fixedBuild !== null) {
        addUnique(entry.fixedBuilds, fix.fixedBuild);
        for (const productId of fix.productIds) {
          const known = entry.fixedBuildByProduct[productId];
          if (known === undefined || compareBuilds(fix.fixedBuild, known) > 0) entry.fixedBuildByProduct[productId] = fix.fixedBuild;
        }
      }
      entry.latestCveRevision = maxDate(entry.latestCveRevision, vuln.latestRevisionDate);
    }
  }
  for (const entry of entries.values()) {
    entry.cves.sort(compareCveIds);
    for (const older of entry.supersedes) {
      const superseded = entries.get(older);
      if (superseded !== undefined) addUnique(superseded.supersededBy, entry.kb);
    }
  }
  return [...entries.values()].sort((a, b) => Number(a.kb) - Number(b.kb));
}

/** Worst-case facts of one vulnerability over all its products. */
export function cveSummary(vuln: CvrfVulnerability): CveSummary {
  let best: { score: number; vector: string } | null = null;
  for (const set of vuln.scoreSets) if (best === null || set.baseScore > best.score) best = { score: set.baseScore, vector: set.vector };
  let severity: string | null = null;
  for (const threat of vuln.productThreats) {
    if (threat.severity !== null && (severity === null || (SEVERITY_RANK[threat.severity] ?? 0) > (SEVERITY_RANK[severity] ?? 0))) severity = threat.severity;
  }
  return {
    cve: vuln.cve,
    title: vuln.title,
    maxBaseScore: best?.score ?? null,
    vector: best?.vector ?? null,
    severity,
    impacts: [...new Set(vuln.productThreats.flatMap((t) => (t.impact === null ? [] : [t.impact])))],
    exploited: vuln.exploitStatus?.exploited ?? null,
    publiclyDisclosed: vuln.exploitStatus?.publiclyDisclosed ?? null,
    latestSoftwareRelease: vuln.exploitStatus?.latestSoftwareRelease ?? null,
    kbs: [...new Set(vuln.vendorFixes.flatMap((f) => (f.kb === null ? [] : [f.kb])))],
    latestRevisionDate: vuln.latestRevisionDate,
  };
}

/** `cveSummary` for every vulnerability of the document, in document order. */
export function cveIndex(doc: CvrfDocument): CveSummary[] {
  return doc.vulnerabilities.map(cveSummary);
}
