/**
 * Normalized records produced by the advisory feed parsers.
 *
 * The parsers are pure: vendor bytes in, these shapes out. The importer stores
 * them; applicability and scoring read them. Field names are ours (camelCase);
 * each doc comment says which vendor field a value comes from, so a reader can
 * check it against the vendor file. Absent vendor values are `null` (or `[]`
 * for lists), never `undefined`, so "missing" is explicit in stored rows.
 */

// ---------------------------------------------------------------- common

/** A non-fatal oddity found while parsing: the value was kept or dropped as described, the rest of the file is fine. */
export interface FeedWarning {
  /** Record the oddity is in (CVE id, KB, product id), or null for the document itself. */
  record: string | null;
  /** Path inside the document, e.g. `Vulnerability[12].Remediations.Remediation[3].Supercedence`. */
  path: string;
  message: string;
}

/** Progress callback of streaming readers: `done` out of `total` units (bytes for EPSS); `total` is null when unknown. */
export type FeedProgress = (done: number, total: number | null) => void;

// ---------------------------------------------------------------- Ubuntu USN (OSV)

/** Ubuntu priority words used by the Ubuntu CVE tracker, lowest first. */
export type UbuntuPriority = 'untriaged' | 'negligible' | 'low' | 'medium' | 'high' | 'critical';

/** One OSV `severity` item as published: `type` is `CVSS_V2`/`CVSS_V3`/`CVSS_V4`/`Ubuntu`, `score` a vector or a priority word. */
export interface OsvSeverity {
  type: string;
  score: string;
}

/** Severity of one CVE as listed in `database_specific.cves_map.cves[]` of a USN affected entry. */
export interface UsnCveSeverity {
  cveId: string;
  /** The `Ubuntu` severity item, when present. */
  ubuntuPriority: UbuntuPriority | null;
  /** CVSS vectors (`CVSS_V2/3/4` items), duplicates removed, in published order. */
  cvssVectors: string[];
}

/** One binary package built from the fixed source (`ecosystem_specific.binaries[]`). */
export interface UsnBinary {
  /** `binary_name`, the name apt and dpkg know. */
  name: string;
  /** `binary_version`, the version that carries the fix. */
  version: string;
}

/** One OSV range event; Ubuntu publishes `introduced: "0"` then `fixed`. */
export interface UsnRangeEvent {
  kind: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  version: string;
}

/** One `affected[]` entry: a source package in one Ubuntu release (or Pro service). */
export interface UsnAffected {
  /** `package.ecosystem` verbatim, e.g. `Ubuntu:24.04:LTS`, `Ubuntu:Pro:18.04:LTS`, `Ubuntu:Pro:FIPS-updates:22.04:LTS`. */
  ecosystem: string;
  /** Release number from the ecosystem, e.g. `24.04`. */
  release: string;
  /** Ecosystem carries `:LTS`. */
  lts: boolean;
  /** Ecosystem carries `:Pro:`: the fix is shipped through Ubuntu Pro (ESM) archives. */
  pro: boolean;
  /** Pro service named in the ecosystem before the release (`FIPS`, `FIPS-updates`, `FIPS-preview`), else null. */
  proService: string | null;
  /** Suffix after the release, e.g. `Realtime:Kernel`, else null. */
  variant: string | null;
  /** `package.name`: the source package. */
  sourcePackage: string;
  /** `package.purl`, or null. */
  purl: string | null;
  /** Version of the `fixed` event; null when no fix is published (tracker status needed/deferred/...). */
  fixedVersion: string | null;
  /** All range events in published order (all ranges are `ECOSYSTEM`, i.e. dpkg ordering). */
  rangeEvents: UsnRangeEvent[];
  /** `versions`: source versions known to be affected in this release; [] when absent. */
  affectedVersions: string[];
  /** `ecosystem_specific.binaries`; [] when absent. */
  binaries: UsnBinary[];
  /** `ecosystem_specific.availability` verbatim, e.g. `No subscription required`, `Available with Ubuntu Pro: https://ubuntu.com/pro`. */
  availability: string | null;
  /** From availability: false for "No subscription required", true for "Available with Ubuntu Pro...", null when absent or unrecognized. */
  requiresSubscription: boolean | null;
  /**
   * CVEs fixed for this release with their severities, from `database_specific.cves_map`
   * (only in records regenerated since early 2026). Null when the map is absent. When present it
   * can still be incomplete (USN-6718-1 omits CVE-2024-2004, USN-6719-1 lists none), so use
   * `UsnRecord.cveIds` for what the notice fixes and this for per-release narrowing and severity.
   */
  cves: UsnCveSeverity[] | null;
  /** `affected[].severity` if present (OSV allows it; Canonical's USNs have none so far). */
  severity: OsvSeverity[];
}

/** One OSV `references[]` item. */
export interface OsvReference {
  /** `ADVISORY`, `REPORT`, ... */
  type: string;
  url: string;
}

/** One Ubuntu Security Notice. */
export interface UsnRecord {
  /** Label of the file it was read from (path, or `path[index]` for arrays). */
  source: string;
  /** `id`, e.g. `USN-6119-1`. */
  id: string;
  /** `schema_version`, e.g. `1.7.0`; null when absent. */
  schemaVersion: string | null;
  /** `summary`: the title, e.g. `openssl, openssl1.0 vulnerabilities`. */
  summary: string;
  /** `details`: the notice text, trailing whitespace trimmed. */
  details: string;
  /** `published`, RFC 3339. */
  published: string;
  /** `modified`, RFC 3339 (bumped when Canonical regenerates the feed, not only on content changes). */
  modified: string;
  /** `withdrawn`, or null. */
  withdrawn: string | null;
  /**
   * Every CVE the notice fixes, sorted: from `upstream` (`UBUNTU-CVE-…`, schema 1.7),
   * `related` (`CVE-…` and `UBUNTU-CVE-…`, schema 1.6.3 records such as USN-7206-1),
   * `aliases` and every `cves_map`.
   */
  cveIds: string[];
  /** Ids in `upstream`/`related`/`aliases` that are not CVEs (e.g. other USNs), verbatim. */
  otherIds: string[];
  /** Top-level `severity` (absent in USNs so far; present in Ubuntu CVE records). */
  severity: OsvSeverity[];
  references: OsvReference[];
  affected: UsnAffected[];
}

// ---------------------------------------------------------------- Microsoft CVRF

/** One product of the CVRF product tree. */
export interface CvrfProduct {
  /** `ProductID` attribute, e.g. `12390`. */
  productId: string;
  /** Full product name, e.g. `Windows 11 Version 24H2 for x64-based Systems`. */
  name: string;
  /** `CPE` attribute of the top-level FullProductName, or null. */
  cpe: string | null;
  /** Name of the nearest enclosing `Product Family` branch (`Windows`, `ESU`, `Microsoft Office`), or null. */
  family: string | null;
}

/** One CVSS score set (`CVSSScoreSets/ScoreSet`): MSRC publishes one per product. */
export interface CvrfScoreSet {
  productIds: string[];
  baseScore: number;
  temporalScore: number | null;
  /** CVSS vector, e.g. `CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C`. */
  vector: string;
}

/** Impact and severity MSRC states for one product (`Threat Type="Impact"` / `"Severity"`). */
export interface CvrfProductThreat {
  productId: string;
  /** e.g. `Elevation of Privilege`; null when empty. */
  impact: string | null;
  /** `Critical`, `Important`, `Moderate`, `Low`; null when empty. */
  severity: string | null;
}

/** The `Exploit Status` threat, e.g. `Publicly Disclosed:No;Exploited:Yes;Latest Software Release:Exploitation Detected`. */
export interface CvrfExploitStatus {
  /** Description verbatim. */
  raw: string;
  /** `Publicly Disclosed` Yes/No; null when absent or not Yes/No. */
  publiclyDisclosed: boolean | null;
  /** `Exploited` Yes/No; null when absent or not Yes/No. */
  exploited: boolean | null;
  /** Exploitability index for the latest release, e.g. `Exploitation More Likely`, `N/A`. */
  latestSoftwareRelease: string | null;
  /** Exploitability index for older releases, when given. */
  olderSoftwareRelease: string | null;
  /** `DOS` value when given (e.g. `N/A`). */
  dos: string | null;
  /** Products the status is limited to (MSRC currently gives none: it applies to the whole CVE). */
  productIds: string[];
}

/** How a vendor fix says a restart is needed (`RestartRequired`), lower-cased. */
export type RestartRequired = 'yes' | 'no' | 'maybe';

/** One `Remediation Type="Vendor Fix"`. */
export interface CvrfVendorFix {
  /** KB number (digits only) when `Description` is one, e.g. `5068861`; null for fixes named otherwise (`Release Notes`, `Click to Run`, a package name). */
  kb: string | null;
  /** `Description` verbatim, or null. */
  description: string | null;
  url: string | null;
  productIds: string[];
  /** `FixedBuild` verbatim, e.g. `10.0.26100.7171`; may also be a URL or free text for non-Windows products. */
  fixedBuild: string | null;
  /** KB numbers from `Supercedence` (sic), digits only; [] when empty. */
  supersedes: string[];
  /** `Supercedence` verbatim (trimmed), or null when absent/empty. */
  supersedenceRaw: string | null;
  restartRequired: RestartRequired | null;
  /** `SubType` verbatim: `Security Update`, `Monthly Rollup`, `Security Only`, `Security Hotpatch Update`, `SecurityHotpatchUpdate`, ... */
  subType: string | null;
  /** SubType names a hotpatch (both spellings MSRC uses). */
  hotpatch: boolean;
}

/** One `Remediation Type="Workaround"` or `"Mitigation"`: what to do while the fix is not installed. */
export interface CvrfWorkaround {
  type: 'Workaround' | 'Mitigation';
  /** Position among the CVE's remediations of this type in the document (0-based). */
  ordinal: number;
  /** `Description` as plain text (MSRC writes HTML). */
  description: string;
  url: string | null;
  /** Products it applies to; [] when MSRC names none (the whole CVE). */
  productIds: string[];
}

/** One revision entry (`RevisionHistory/Revision`); MSRC's prose description is not kept. */
export interface CvrfRevision {
  /** e.g. `1.1`. */
  number: string;
  /** As published, e.g. `2025-11-18T08:00:00` (MSRC gives no zone). */
  date: string;
}

/** One `Vulnerability` of a CVRF document. */
export interface CvrfVulnerability {
  cve: string;
  /** Null when empty (third-party CVEs such as CBL-Mariner ones sometimes have no title). */
  title: string | null;
  /** `CWE` elements: `{ id: 'CWE-415', name: 'Double Free' }`. */
  cwes: { id: string; name: string }[];
  /** Products of `ProductStatuses/Status[@Type='Known Affected']`. */
  affectedProductIds: string[];
  scoreSets: CvrfScoreSet[];
  productThreats: CvrfProductThreat[];
  /** Null when MSRC gives no Exploit Status (common for third-party CVEs such as Chromium or CBL-Mariner). */
  exploitStatus: CvrfExploitStatus | null;
  vendorFixes: CvrfVendorFix[];
  /** KBs named by `Known Issue` remediations: those KB articles list known issues. */
  knownIssueKbs: string[];
  /** `Workaround` and `Mitigation` remediations, in document order. */
  workarounds: CvrfWorkaround[];
  /** Count of the other remediations by `Type` (`Release Notes`, `Known Issue`, `Workaround`, `Mitigation`, ...). */
  otherRemediations: Record<string, number>;
  /** Newest first, as published. */
  revisions: CvrfRevision[];
  /** Greatest revision date, or null when none. Late-revised CVEs carry older months' KBs (KB5066835 in 2025-Nov). */
  latestRevisionDate: string | null;
}

/** One MSRC monthly CVRF document. */
export interface CvrfDocument {
  source: string;
  /** `DocumentTracking/Identification/ID`, e.g. `2025-Nov`. */
  id: string;
  /** `YYYY-MM` from the id, or null when the id is not `YYYY-Mon`. */
  month: string | null;
  title: string;
  documentType: string | null;
  initialReleaseDate: string;
  currentReleaseDate: string;
  /** Document revisions as published. */
  revisions: CvrfRevision[];
  /** Product tree, one entry per ProductID. */
  products: CvrfProduct[];
  vulnerabilities: CvrfVulnerability[];
  warnings: FeedWarning[];
}

/** KB-centric view of one CVRF document, built by `kbIndex`. */
export interface KbEntry {
  /** KB number, digits only. */
  kb: string;
  /** Document the entry comes from, e.g. `2025-Nov`, and its month `2025-11`. A KB listed by several documents belongs to the earliest. */
  documentId: string;
  month: string | null;
  cves: string[];
  productIds: string[];
  /** FixedBuild per product id (24H2 and 25H2 share a KB with different builds). */
  fixedBuildByProduct: Record<string, string>;
  /** Distinct FixedBuild values. */
  fixedBuilds: string[];
  /** KBs this one supersedes, from all its CVEs. */
  supersedes: string[];
  /** KBs of the same document that supersede this one: when non-empty, the KB is older than the document (listed through late-revised CVEs). */
  supersededBy: string[];
  /** Strongest value over its remediations: yes > maybe > no; null when none stated. */
  restartRequired: RestartRequired | null;
  hotpatch: boolean;
  subTypes: string[];
  urls: string[];
  /** A `Known Issue` remediation names this KB. */
  hasKnownIssues: boolean;
  /** Newest revision date over its CVEs. */
  latestCveRevision: string | null;
}

/** CVE-centric summary of one CVRF vulnerability, built by `cveSummary`. */
export interface CveSummary {
  cve: string;
  title: string | null;
  /** Highest base score over products, and the vector of that score set. */
  maxBaseScore: number | null;
  vector: string | null;
  /** Highest MSRC severity over products (Critical > Important > Moderate > Low). */
  severity: string | null;
  impacts: string[];
  exploited: boolean | null;
  publiclyDisclosed: boolean | null;
  latestSoftwareRelease: string | null;
  kbs: string[];
  latestRevisionDate: string | null;
}

// ---------------------------------------------------------------- CISA KEV

/** One KEV catalog entry. */
export interface KevEntry {
  /** `cveID`. */
  cveId: string;
  vendorProject: string;
  product: string;
  /** `vulnerabilityName`, trimmed. */
  name: string;
  /** `YYYY-MM-DD`. */
  dateAdded: string;
  /** `YYYY-MM-DD`: federal agencies' remediation deadline. */
  dueDate: string;
  /** `knownRansomwareCampaignUse`: `Known` -> true, `Unknown` -> false. */
  knownRansomwareCampaignUse: boolean;
  shortDescription: string | null;
  requiredAction: string | null;
  notes: string | null;
  cwes: string[];
}

/** The KEV catalog. */
export interface KevCatalog {
  source: string;
  title: string | null;
  /** e.g. `2026.08.07`. */
  catalogVersion: string;
  /** Timestamp as published, e.g. `2026-08-07T16:45:47.0648Z`. */
  dateReleased: string;
  /** `count`, checked against the number of entries. */
  count: number;
  entries: KevEntry[];
}

// ---------------------------------------------------------------- FIRST EPSS

/** One EPSS row. */
export interface EpssRow {
  cve: string;
  /** Probability of exploitation activity in the next 30 days, 0..1. */
  epss: number;
  /** Percentile of this score among all scored CVEs, 0..1. */
  percentile: number;
}

/** An EPSS file: header values, then rows read lazily (iterate once). */
export interface EpssFeed {
  source: string;
  /** From `#model_version:v2025.03.14`, e.g. `v2025.03.14`. */
  modelVersion: string;
  /** From `score_date:`, normalized to `YYYY-MM-DDTHH:MM:SSZ`. */
  scoreDate: string;
  /** Whether the input was gzip (detected from magic bytes 1f 8b). */
  gzipped: boolean;
  rows: AsyncIterable<EpssRow>;
}
