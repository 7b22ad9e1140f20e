/**
 * Synthetic advisory files in the vendors' own formats, for patches a
 * scenario names that the controller's catalog does not hold: a Ubuntu OSV
 * record (Canonical's `osv/usn/USN-*.json`), an MSRC CVRF 1.1 document, a
 * CISA KEV catalog and a FIRST EPSS CSV. The controller imports them through
 * its ordinary import path, so nothing in it knows they are simulated.
 *
 * Every record says it is synthetic where the format has room for words
 * (summary, details, titles, notes, KEV descriptions, the EPSS model
 * version), names the generator and the scenario, and carries no vendor
 * prose: the ids come from the scenario, the numbers from its `priority`.
 */
import type { KevEntry } from '@patchfleet/controller/src/catalog/feeds/index';
import { vectorForScore } from './cvss';

const DAY_MS = 86_400_000;

/** Days from `dateAdded` to `dueDate` of a synthetic KEV entry (CISA's usual three weeks under BOD 22-01). */
export const KEV_DUE_DAYS = 21;

/** One synthetic CVE: the single flaw a synthetic patch fixes, carrying the scenario's priority inputs. */
export interface SyntheticCve {
  id: string;
  patchId: string;
  cvss: number;
  epss: number;
  kev: boolean;
  /** ms since the epoch: when the patch is released (KEV dateAdded, EPSS score date). */
  releasedAt: number;
}

/** One fixed source package of a synthetic Ubuntu notice in one release. */
export interface SyntheticUsnFix {
  /** `24.04` */
  release: string;
  sourcePackage: string;
  /** Version before the fix (listed as affected) and the fixed one; binaries carry the fixed one. */
  before: string;
  fixed: string;
  binaries: string[];
}

export interface SyntheticUsn {
  id: string;
  releasedAt: number;
  cve: SyntheticCve;
  fixes: SyntheticUsnFix[];
}

export interface SyntheticKb {
  /** `KB5066835` */
  id: string;
  releasedAt: number;
  cve: SyntheticCve;
  /** CVRF product ids of the products it fixes (see `CvrfProduct`). */
  productIds: string[];
}

/** A product of the synthetic CVRF product tree: an id of ours, the name exactly as MSRC writes it. */
export interface CvrfProduct {
  id: string;
  name: string;
}

/** Who made the data, for the words each record carries. */
export interface Provenance {
  scenario: string;
  generator: string;
}

const isoZ = (ms: number): string => new Date(ms).toISOString();
/** MSRC writes its dates without a zone (UTC). */
const msrcDate = (ms: number): string => new Date(ms).toISOString().slice(0, 19);
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function synthetic(p: Provenance): string {
  return `Synthetic record made by the Patchfleet fleet simulator (${p.generator}) for scenario "${p.scenario}". Not published by any vendor; the identifier is the scenario's, the scores are the scenario's inputs.`;
}

/** Ubuntu priority word for a CVSS score (Ubuntu triages by hand; the simulator needs some word). */
export function ubuntuPriority(cvss: number): 'critical' | 'high' | 'medium' | 'low' | 'negligible' {
  if (cvss >= 9) return 'critical';
  if (cvss >= 7) return 'high';
  if (cvss >= 4) return 'medium';
  return cvss > 0 ? 'low' : 'negligible';
}

/** MSRC severity word for a CVSS score. */
export function msrcSeverity(cvss: number): 'Critical' | 'Important' | 'Moderate' | 'Low' {
  if (cvss >= 9) return 'Critical';
  if (cvss >= 7) return 'Important';
  return cvss >= 4 ? 'Moderate' : 'Low';
}

/** A CVSS score as CVRF writes it (`7.8`, `10.0`): the parser wants digits, never an exponent. */
export function cvrfScore(cvss: number): string {
  const text = cvss.toFixed(4).replace(/0+$/, '');
  return text.endsWith('.') ? `${text}0` : text;
}

/** Ubuntu's OSV ecosystem of a release: LTS when the year is even and the month April. */
export function ubuntuEcosystem(release: string): string {
  const [year = '', month = ''] = release.split('.');
  return Number(year) % 2 === 0 && month === '04' ? `Ubuntu:${release}:LTS` : `Ubuntu:${release}`;
}

/** The OSV record of a synthetic notice (schema 1.7.0 with `cves_map`, as Canonical regenerates them). */
export function usnOsvRecord(usn: SyntheticUsn, p: Provenance): Record<string, unknown> {
  const { cve } = usn;
  const vector = vectorForScore(cve.cvss).vector;
  const packages = [...new Set(usn.fixes.map((f) => f.sourcePackage))].join(', ');
  return {
    schema_version: '1.7.0',
    id: usn.id,
    summary: `${packages} vulnerability (synthetic)`,
    details: `${synthetic(p)}\n\n${usn.id} is used as an identifier only; ${cve.id} is not a real CVE.`,
    aliases: [],
    upstream: [`UBUNTU-${cve.id}`],
    related: [],
    published: isoZ(usn.releasedAt),
    modified: isoZ(usn.releasedAt),
    affected: usn.fixes.map((f) => {
      const ecosystem = ubuntuEcosystem(f.release);
      return {
        package: { ecosystem, name: f.sourcePackage },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: f.fixed }] }],
        versions: [f.before],
        ecosystem_specific: {
          binaries: f.binaries.map((name) => ({ binary_name: name, binary_version: f.fixed })),
          availability: 'No subscription required',
        },
        database_specific: {
          cves_map: {
            ecosystem,
            cves: [{ id: cve.id, severity: [{ type: 'Ubuntu', score: ubuntuPriority(cve.cvss) }, { type: 'CVSS_V3', score: vector }] }],
          },
        },
      };
    }),
    references: [],
  };
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);

export interface CvrfInput {
  /** `2026-Jan`: the month the controller dates the document's KBs by. */
  id: string;
  title: string;
  initialReleaseAt: number;
  currentReleaseAt: number;
  products: CvrfProduct[];
  kbs: SyntheticKb[];
  /** CVEs without a KB (the Ubuntu notices'): listed for their CVSS score, as MSRC lists third-party CVEs. */
  otherCves: SyntheticCve[];
}

function vulnerabilityXml(cve: SyntheticCve, ordinal: number, kb: SyntheticKb | null, p: Provenance): string {
  const { vector } = vectorForScore(cve.cvss);
  const productIds = kb?.productIds ?? [];
  const ids = (indent: string) => productIds.map((id) => `${indent}<vuln:ProductID>${esc(id)}</vuln:ProductID>\n`).join('');
  const tag = kb === null ? 'Ubuntu (synthetic)' : 'Windows (synthetic)';
  const status = `Publicly Disclosed:No;Exploited:${cve.kev ? 'Yes' : 'No'};Latest Software Release:${cve.kev ? 'Exploitation Detected' : 'N/A'}`;
  const fix =
    kb === null
      ? ''
      : `    <vuln:Remediations>
      <vuln:Remediation Type="Vendor Fix">
        <vuln:Description>${kb.id.replace(/^KB/, '')}</vuln:Description>
        <vuln:URL />
${ids('        ')}        <vuln:RestartRequired>Yes</vuln:RestartRequired>
        <vuln:SubType>Security Update</vuln:SubType>
      </vuln:Remediation>
    </vuln:Remediations>
`;
  return `  <vuln:Vulnerability Ordinal="${ordinal}">
    <vuln:Title>Synthetic vulnerability fixed by ${esc(cve.patchId)}</vuln:Title>
    <vuln:Notes>
      <vuln:Note Title="Description" Type="Description" Ordinal="0">${esc(synthetic(p))}</vuln:Note>
      <vuln:Note Title="${tag}" Type="Tag" Ordinal="20">${tag}</vuln:Note>
    </vuln:Notes>
    <vuln:CVE>${cve.id}</vuln:CVE>
    <vuln:ProductStatuses>
      <vuln:Status Type="Known Affected">
${ids('        ')}      </vuln:Status>
    </vuln:ProductStatuses>
    <vuln:Threats>
      <vuln:Threat Type="Severity">
        <vuln:Description>${msrcSeverity(cve.cvss)}</vuln:Description>
${ids('        ')}      </vuln:Threat>
      <vuln:Threat Type="Exploit Status">
        <vuln:Description>${status}</vuln:Description>
      </vuln:Threat>
    </vuln:Threats>
    <vuln:CVSSScoreSets>
      <vuln:ScoreSet>
        <vuln:BaseScore>${cvrfScore(cve.cvss)}</vuln:BaseScore>
        <vuln:Vector>${vector}</vuln:Vector>
${ids('        ')}      </vuln:ScoreSet>
    </vuln:CVSSScoreSets>
${fix}    <vuln:RevisionHistory>
      <vuln:Revision>
        <cvrf:Number>1.0</cvrf:Number>
        <cvrf:Date>${msrcDate(cve.releasedAt)}</cvrf:Date>
        <cvrf:Description>Synthetic record published.</cvrf:Description>
      </vuln:Revision>
    </vuln:RevisionHistory>
  </vuln:Vulnerability>
`;
}

/** An MSRC CVRF 1.1 document (prefixed namespaces, as the MSRC API serves it). */
export function cvrfDocument(doc: CvrfInput, p: Provenance): string {
  const products = doc.products.map((pr) => `        <prod:FullProductName ProductID="${esc(pr.id)}">${esc(pr.name)}</prod:FullProductName>\n`).join('');
  const vulns = [...doc.kbs.map((kb) => ({ cve: kb.cve, kb })), ...doc.otherCves.map((cve) => ({ cve, kb: null }))]
    .sort((a, b) => a.cve.id.localeCompare(b.cve.id))
    .map((v, i) => vulnerabilityXml(v.cve, i + 1, v.kb, p))
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?>
<cvrf:cvrfdoc xmlns:cvrf="http://www.icasi.org/CVRF/schema/cvrf/1.1" xmlns:prod="http://www.icasi.org/CVRF/schema/prod/1.1" xmlns:vuln="http://www.icasi.org/CVRF/schema/vuln/1.1">
  <cvrf:DocumentTitle>${esc(doc.title)}</cvrf:DocumentTitle>
  <cvrf:DocumentType>Security Update</cvrf:DocumentType>
  <cvrf:DocumentPublisher Type="Other">
    <cvrf:ContactDetails>none</cvrf:ContactDetails>
    <cvrf:IssuingAuthority>Patchfleet fleet simulator (synthetic data, not Microsoft's)</cvrf:IssuingAuthority>
  </cvrf:DocumentPublisher>
  <cvrf:DocumentTracking>
    <cvrf:Identification>
      <cvrf:ID>${esc(doc.id)}</cvrf:ID>
    </cvrf:Identification>
    <cvrf:Status>Final</cvrf:Status>
    <cvrf:Version>1.0</cvrf:Version>
    <cvrf:RevisionHistory>
      <cvrf:Revision>
        <cvrf:Number>1.0</cvrf:Number>
        <cvrf:Date>${msrcDate(doc.currentReleaseAt)}</cvrf:Date>
        <cvrf:Description>${esc(doc.title)}</cvrf:Description>
      </cvrf:Revision>
    </cvrf:RevisionHistory>
    <cvrf:InitialReleaseDate>${msrcDate(doc.initialReleaseAt)}</cvrf:InitialReleaseDate>
    <cvrf:CurrentReleaseDate>${msrcDate(doc.currentReleaseAt)}</cvrf:CurrentReleaseDate>
  </cvrf:DocumentTracking>
  <cvrf:DocumentNotes>
    <cvrf:Note Title="Provenance" Audience="Public" Type="General" Ordinal="0">${esc(synthetic(p))}</cvrf:Note>
  </cvrf:DocumentNotes>
  <prod:ProductTree>
    <prod:Branch Type="Vendor" Name="Patchfleet simulator (synthetic)">
      <prod:Branch Type="Product Family" Name="Windows">
${products}      </prod:Branch>
    </prod:Branch>
  </prod:ProductTree>
${vulns}</cvrf:cvrfdoc>
`;
}

/** A KEV entry back in CISA's JSON shape (a KEV import replaces the whole list, so kept entries are sent again). */
export function kevJsonEntry(e: KevEntry): Record<string, unknown> {
  return {
    cveID: e.cveId,
    vendorProject: e.vendorProject,
    product: e.product,
    vulnerabilityName: e.name,
    dateAdded: e.dateAdded,
    shortDescription: e.shortDescription ?? '',
    requiredAction: e.requiredAction ?? '',
    dueDate: e.dueDate,
    knownRansomwareCampaignUse: e.knownRansomwareCampaignUse ? 'Known' : 'Unknown',
    notes: e.notes ?? '',
    cwes: e.cwes,
  };
}

/** CISA's KEV JSON holding `base` (entries the controller already has) and the synthetic CVEs marked `kev`. */
export function kevCatalogJson(cves: readonly SyntheticCve[], base: readonly KevEntry[], releasedAt: number, p: Provenance): string {
  const added = cves
    .filter((c) => c.kev)
    .map((c) => ({
      cveID: c.id,
      vendorProject: 'Patchfleet simulator (synthetic)',
      product: c.patchId,
      vulnerabilityName: `Synthetic vulnerability fixed by ${c.patchId}`,
      dateAdded: isoDay(c.releasedAt),
      shortDescription: synthetic(p),
      requiredAction: `Apply ${c.patchId}.`,
      dueDate: isoDay(c.releasedAt + KEV_DUE_DAYS * DAY_MS),
      knownRansomwareCampaignUse: 'Unknown',
      notes: 'Synthetic entry; not from CISA.',
      cwes: [],
    }));
  const vulnerabilities = [...base.map(kevJsonEntry), ...added];
  return `${JSON.stringify(
    {
      title: `CISA Catalog of Known Exploited Vulnerabilities${added.length > 0 ? ' with synthetic entries of the Patchfleet fleet simulator' : ''}`,
      catalogVersion: new Date(releasedAt).toISOString().slice(0, 10).replaceAll('-', '.'),
      dateReleased: isoZ(releasedAt),
      count: vulnerabilities.length,
      vulnerabilities,
    },
    null,
    2,
  )}\n`;
}

/**
 * Real (EPSS score, percentile) pairs from the bundled FIRST data
 * (test/fixtures/advisories/epss, EPSS v4), lowest first: the scenario gives
 * a probability only, and the priority model also reads the percentile.
 */
const EPSS_PERCENTILES: readonly (readonly [number, number])[] = [
  [0.00005, 0.00198],
  [0.00016, 0.02147],
  [0.00038, 0.10141],
  [0.001, 0.28393],
  [0.00254, 0.48618],
  [0.00455, 0.62934],
  [0.00899, 0.74686],
  [0.01539, 0.80602],
  [0.03246, 0.86619],
  [0.09914, 0.92699],
  [0.29812, 0.96461],
  [0.61286, 0.9824],
  [0.81147, 0.99117],
  [1, 1],
];

/** Percentile of an EPSS score: interpolated in log(score) between the real pairs above; monotone. */
export function epssPercentile(score: number): number {
  const [first] = EPSS_PERCENTILES;
  if (first === undefined || score <= 0) return 0;
  if (score <= first[0]) return (first[1] * score) / first[0];
  for (let k = 1; k < EPSS_PERCENTILES.length; k++) {
    const [s1, q1] = EPSS_PERCENTILES[k]!;
    if (score > s1) continue;
    const [s0, q0] = EPSS_PERCENTILES[k - 1]!;
    return q0 + ((q1 - q0) * (Math.log(score) - Math.log(s0))) / (Math.log(s1) - Math.log(s0));
  }
  return 1;
}

/** FIRST's daily CSV with the given CVEs, scored on the day of `at` (model version names the simulator). */
export function epssCsv(cves: readonly SyntheticCve[], at: number): string {
  const rows = cves.map((c) => `${c.id},${String(c.epss)},${epssPercentile(c.epss).toFixed(5)}`);
  return `#model_version:vpatchfleet.sim.synthetic,score_date:${isoDay(at)}T00:00:00Z\ncve,epss,percentile\n${rows.join('\n')}\n`;
}
