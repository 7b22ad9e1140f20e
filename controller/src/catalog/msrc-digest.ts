/**
 * The part of one MSRC CVRF document the catalog needs: its KBs (as
 * `kbIndex` sees them), the names of the products they fix, and per-CVE
 * scores and exploitation flags. It is what the store keeps per document, so
 * a later import of another month can be merged without the original XML.
 */
import { cveIndex, kbIndex, type CvrfDocument, type RestartRequired } from './feeds/index';

/** One KB as listed by one document (a `KbEntry` without the per-document bookkeeping). */
export interface DigestKb {
  /** Digits only, as MSRC writes it. */
  kb: string;
  cves: string[];
  productIds: string[];
  fixedBuildByProduct: Record<string, string>;
  supersedes: string[];
  /** KBs of the same document superseding this one: the listing comes from late-revised or late-disclosed CVEs. */
  supersededBy: string[];
  restartRequired: RestartRequired | null;
  hotpatch: boolean;
  subTypes: string[];
}

/** What one document says about one CVE (worst case over its products). */
export interface DigestCve {
  cve: string;
  cvssScore: number | null;
  cvssVector: string | null;
  severity: string | null;
  exploited: boolean | null;
  publiclyDisclosed: boolean | null;
}

export interface CvrfDigest {
  /** e.g. `2025-Nov`. */
  documentId: string;
  /** `YYYY-MM`, or null when the id is not `YYYY-Mon`. */
  month: string | null;
  /** As published; a later release of the same document replaces an earlier one. */
  currentReleaseDate: string;
  kbs: DigestKb[];
  /** Product id -> full product name, for the products the KBs name. */
  products: Record<string, string>;
  cves: DigestCve[];
}

/** Digest of one parsed document. */
export function cvrfDigest(doc: CvrfDocument): CvrfDigest {
  const names = new Map(doc.products.map((p) => [p.productId, p.name]));
  const kbs = kbIndex(doc).map(
    (e): DigestKb => ({
      kb: e.kb,
      cves: e.cves,
      productIds: e.productIds,
      fixedBuildByProduct: e.fixedBuildByProduct,
      supersedes: e.supersedes,
      supersededBy: e.supersededBy,
      restartRequired: e.restartRequired,
      hotpatch: e.hotpatch,
      subTypes: e.subTypes,
    }),
  );
  const products: Record<string, string> = {};
  for (const id of kbs.flatMap((k) => k.productIds).sort()) {
    // The parser warns about a product id missing from the tree; the id is all we can show then.
    products[id] = names.get(id) ?? `MSRC product ${id}`;
  }
  const cves = cveIndex(doc).map(
    (s): DigestCve => ({
      cve: s.cve,
      cvssScore: s.maxBaseScore,
      cvssVector: s.vector,
      severity: s.severity,
      exploited: s.exploited,
      publiclyDisclosed: s.publiclyDisclosed,
    }),
  );
  return { documentId: doc.id, month: doc.month, currentReleaseDate: doc.currentReleaseDate, kbs, products, cves };
}

/**
 * Documents in the order merges read them: by month (unknown months last),
 * then id. Later entries are "newer".
 */
export function sortDigests(digests: CvrfDigest[]): CvrfDigest[] {
  return [...digests].sort((a, b) => (a.month ?? '9999-99').localeCompare(b.month ?? '9999-99') || a.documentId.localeCompare(b.documentId));
}

/** One digest per document id: a re-released document (later `currentReleaseDate`) replaces the earlier one. */
export function newestDigests(digests: CvrfDigest[]): CvrfDigest[] {
  const byId = new Map<string, CvrfDigest>();
  for (const d of digests) {
    const known = byId.get(d.documentId);
    if (known === undefined || d.currentReleaseDate >= known.currentReleaseDate) byId.set(d.documentId, d);
  }
  return sortDigests([...byId.values()]);
}
