/**
 * The in-memory patch catalog: what applicability and priority read.
 * Built from the vendor feeds (catalog/build.ts), stored in and loaded from
 * the database (catalog/store.ts), so `assess` and the controller see the
 * same thing. Identifiers are as vendors write them: `USN-7545-1`,
 * `KB5072033` (with the `KB` prefix), `CVE-2025-62215`.
 */

/** One fix of a USN for one source package in one Ubuntu release (or Pro service). */
export interface UsnFix {
  /** OSV ecosystem verbatim, e.g. `Ubuntu:24.04:LTS`, `Ubuntu:Pro:18.04:LTS`. */
  ecosystem: string;
  /** e.g. `24.04` */
  release: string;
  /** Shipped through Ubuntu Pro (ESM) only. */
  pro: boolean;
  /** Pro service such as `FIPS-updates`, or null. */
  proService: string | null;
  /** Variant after the release, e.g. `Realtime:Kernel`, or null. */
  variant: string | null;
  sourcePackage: string;
  /** Fixed source version (dpkg ordering); null when no fix is published. */
  fixedVersion: string | null;
  /** Binary packages built from the fixed source, with the version that carries the fix. */
  binaries: { name: string; version: string }[];
  /** CVEs this fix closes in this release, when the record says (else the advisory's list applies). */
  cves: string[] | null;
}

export interface UsnAdvisory {
  id: string;
  title: string;
  published: string;
  cves: string[];
  fixes: UsnFix[];
}

/** One Windows product a KB applies to, with the build that carries the fix. */
export interface KbProduct {
  productId: string;
  /** MSRC full product name, e.g. `Windows 11 Version 24H2 for x64-based Systems`. */
  name: string;
  /** e.g. `10.0.26100.7171`, or null when MSRC gives none for this product. */
  fixedBuild: string | null;
}

export interface WindowsKb {
  /** `KB5072033` */
  id: string;
  /** Release month of the document that first lists it, `YYYY-MM` (e.g. `2025-12`). */
  month: string | null;
  title: string | null;
  products: KbProduct[];
  cves: string[];
  /** KB ids (with prefix) this one supersedes, as MSRC states it. */
  supersedes: string[];
  restartRequired: 'yes' | 'no' | 'maybe' | null;
  hotpatch: boolean;
}

/** What is known about one CVE from every feed. */
export interface CveInfo {
  id: string;
  /** CVSS base score 0-10 (the highest a vendor gives), or null. */
  cvssScore: number | null;
  cvssVector: string | null;
  /** Vendor severity word (MSRC `Critical`/`Important`..., Ubuntu priority), or null. */
  severity: string | null;
  exploited: boolean | null;
  publiclyDisclosed: boolean | null;
  epss: { score: number; percentile: number; date: string } | null;
  kev: { dateAdded: string; dueDate: string; ransomware: boolean } | null;
}

export interface Catalog {
  usns: UsnAdvisory[];
  kbs: WindowsKb[];
  cves: Map<string, CveInfo>;
}
