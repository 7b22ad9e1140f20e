/**
 * Ubuntu Security Notices in catalog shape, and what each notice says about
 * the severity of its CVEs (Ubuntu priority, CVSS vectors from `cves_map`).
 */
import type { UbuntuPriority, UsnAffected, UsnRecord } from './feeds/index';
import type { UsnAdvisory, UsnFix } from './model';

/** What one notice says about one CVE, over all its releases. */
export interface UsnCveFacts {
  cve: string;
  /** Highest Ubuntu priority any release gives; null when none (or only `untriaged`). */
  priority: UbuntuPriority | null;
  /** CVSS vectors as published, duplicates removed, in order of appearance. */
  vectors: string[];
}

/** Ubuntu priorities, lowest first; `untriaged` says nothing about severity, so it ranks below everything. */
export const UBUNTU_PRIORITY_RANK: Record<UbuntuPriority, number> = { untriaged: 0, negligible: 1, low: 2, medium: 3, high: 4, critical: 5 };

/** Orders `USN-6119-1` < `USN-10000-1` (by number, then revision). */
export function compareUsnIds(a: string, b: string): number {
  const [, na = '', ra = ''] = a.split('-');
  const [, nb = '', rb = ''] = b.split('-');
  return Number(na) - Number(nb) || Number(ra) - Number(rb) || a.localeCompare(b);
}

/**
 * CVEs one affected entry closes. An empty `cves_map` list is read as "not
 * stated" (null), not "closes nothing": USN-6719-1 publishes empty lists for
 * releases it does fix, so an empty list would wrongly clear the fix.
 */
function fixCves(entry: UsnAffected): string[] | null {
  if (entry.cves === null || entry.cves.length === 0) return null;
  return entry.cves.map((c) => c.cveId);
}

/** One UsnFix per affected entry, in published order. */
export function usnFix(entry: UsnAffected): UsnFix {
  return {
    ecosystem: entry.ecosystem,
    release: entry.release,
    pro: entry.pro,
    proService: entry.proService,
    variant: entry.variant,
    sourcePackage: entry.sourcePackage,
    fixedVersion: entry.fixedVersion,
    binaries: entry.binaries.map((b) => ({ name: b.name, version: b.version })),
    cves: fixCves(entry),
  };
}

/** The catalog advisory of one notice: title is the OSV `summary`, CVEs are everything the notice fixes. */
export function usnAdvisory(record: UsnRecord): UsnAdvisory {
  return { id: record.id, title: record.summary, published: record.published, cves: [...record.cveIds], fixes: record.affected.map(usnFix) };
}

/** Per-CVE severity facts of one notice, merged over its releases; sorted as the notice's CVE list. */
export function usnCveFacts(record: UsnRecord): UsnCveFacts[] {
  const facts = new Map<string, UsnCveFacts>();
  for (const entry of record.affected) {
    for (const item of entry.cves ?? []) {
      let fact = facts.get(item.cveId);
      if (fact === undefined) {
        fact = { cve: item.cveId, priority: null, vectors: [] };
        facts.set(item.cveId, fact);
      }
      const p = item.ubuntuPriority;
      if (p !== null && p !== 'untriaged' && (fact.priority === null || UBUNTU_PRIORITY_RANK[p] > UBUNTU_PRIORITY_RANK[fact.priority])) fact.priority = p;
      for (const v of item.cvssVectors) if (!fact.vectors.includes(v)) fact.vectors.push(v);
    }
  }
  const order = new Map(record.cveIds.map((id, i) => [id, i]));
  return [...facts.values()].sort((a, b) => (order.get(a.cve) ?? 0) - (order.get(b.cve) ?? 0));
}

/**
 * One record per USN id: when a notice is given twice (an array file and a
 * mirror disagreeing), the one modified last wins; on a tie, the later one.
 */
export function newestUsnRecords(records: UsnRecord[]): UsnRecord[] {
  const byId = new Map<string, UsnRecord>();
  for (const record of records) {
    const known = byId.get(record.id);
    if (known === undefined || Date.parse(record.modified) >= Date.parse(known.modified)) byId.set(record.id, record);
  }
  return [...byId.values()].sort((a, b) => compareUsnIds(a.id, b.id));
}
