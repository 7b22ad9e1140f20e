import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PfError } from '@patchfleet/shared/errors';
import { beforeAll, describe, expect, it } from 'vitest';
import { cvrfMonth, parseCvrf, readCvrfFile } from './msrc-cvrf';
import type { CvrfDocument, CvrfVulnerability } from './types';

const msrcPath = (month: string): string =>
  fileURLToPath(new URL(`../../../../test/fixtures/advisories/msrc/cvrf-2025-${month}.xml`, import.meta.url));

function thrown(fn: () => unknown): PfError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PfError);
    return err as PfError;
  }
  throw new Error('expected a PfError');
}

function vuln(doc: CvrfDocument, cve: string): CvrfVulnerability {
  const found = doc.vulnerabilities.find((v) => v.cve === cve);
  if (found === undefined) throw new Error(`${cve} not in ${doc.id}`);
  return found;
}

/** A small CVRF document shaped like MSRC's, either with prefixes (as MSRC serves it) or with default namespaces. */
function miniCvrf(options: { prefixed: boolean; supercedence?: string; restart?: string; baseScore?: string }): string {
  const ns = { cvrf: 'http://www.icasi.org/CVRF/schema/cvrf/1.1', prod: 'http://www.icasi.org/CVRF/schema/prod/1.1', vuln: 'http://www.icasi.org/CVRF/schema/vuln/1.1' };
  const t = (prefix: keyof typeof ns, name: string): string => (options.prefixed ? `${prefix}:${name}` : name);
  const open = (prefix: keyof typeof ns, name: string, attrs = ''): string =>
    options.prefixed ? `<${prefix}:${name}${attrs}>` : `<${name} xmlns="${ns[prefix]}"${attrs}>`;
  const rootNs = options.prefixed ? Object.entries(ns).map(([p, u]) => ` xmlns:${p}="${u}"`).join('') : '';
  return `<?xml version="1.0" encoding="utf-8"?>
<${t('cvrf', 'cvrfdoc')}${options.prefixed ? rootNs : ` xmlns="${ns.cvrf}"`}>
  <${t('cvrf', 'DocumentTitle')}>Test &amp; Security Updates</${t('cvrf', 'DocumentTitle')}>
  <${t('cvrf', 'DocumentTracking')}>
    <${t('cvrf', 'Identification')}><${t('cvrf', 'ID')}>2025-Oct</${t('cvrf', 'ID')}></${t('cvrf', 'Identification')}>
    <${t('cvrf', 'InitialReleaseDate')}>2025-10-14T07:00:00</${t('cvrf', 'InitialReleaseDate')}>
    <${t('cvrf', 'CurrentReleaseDate')}>2025-10-20T07:00:00</${t('cvrf', 'CurrentReleaseDate')}>
  </${t('cvrf', 'DocumentTracking')}>
  ${open('prod', 'ProductTree')}
    <${t('prod', 'FullProductName')} ProductID="12390">Windows 11 Version 24H2 for x64-based Systems</${t('prod', 'FullProductName')}>
  </${t('prod', 'ProductTree')}>
  ${open('vuln', 'Vulnerability', ' Ordinal="1"')}
    <${t('vuln', 'Title')}>Test Vulnerability</${t('vuln', 'Title')}>
    <${t('vuln', 'CVE')}>CVE-2025-99999</${t('vuln', 'CVE')}>
    <${t('vuln', 'Threats')}>
      <${t('vuln', 'Threat')} Type="Severity"><${t('vuln', 'Description')}>Critical</${t('vuln', 'Description')}><${t('vuln', 'ProductID')}>12390</${t('vuln', 'ProductID')}></${t('vuln', 'Threat')}>
      <${t('vuln', 'Threat')} Type="Exploit Status"><${t('vuln', 'Description')}>Publicly Disclosed:Yes;Exploited:No;Latest Software Release:Exploitation More Likely;Older Software Release:Exploitation Less Likely</${t('vuln', 'Description')}></${t('vuln', 'Threat')}>
    </${t('vuln', 'Threats')}>
    <${t('vuln', 'CVSSScoreSets')}>
      <${t('vuln', 'ScoreSet')}><${t('vuln', 'BaseScore')}>${options.baseScore ?? '9.8'}</${t('vuln', 'BaseScore')}><${t('vuln', 'TemporalScore')}>8.5</${t('vuln', 'TemporalScore')}><${t('vuln', 'Vector')}>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C</${t('vuln', 'Vector')}><${t('vuln', 'ProductID')}>12390</${t('vuln', 'ProductID')}></${t('vuln', 'ScoreSet')}>
    </${t('vuln', 'CVSSScoreSets')}>
    <${t('vuln', 'Remediations')}>
      <${t('vuln', 'Remediation')} Type="Vendor Fix">
        <${t('vuln', 'Description')}>KB5066835</${t('vuln', 'Description')}>
        <${t('vuln', 'ProductID')}>12390</${t('vuln', 'ProductID')}>
        <${t('vuln', 'ProductID')}>99999</${t('vuln', 'ProductID')}>
        <${t('vuln', 'RestartRequired')}>${options.restart ?? 'Yes'}</${t('vuln', 'RestartRequired')}>
        <${t('vuln', 'SubType')}>SecurityHotpatchUpdate</${t('vuln', 'SubType')}>
        <${t('vuln', 'FixedBuild')}>10.0.26100.6899</${t('vuln', 'FixedBuild')}>
        <${t('vuln', 'Supercedence')}>${options.supercedence ?? '5065426'}</${t('vuln', 'Supercedence')}>
      </${t('vuln', 'Remediation')}>
      <${t('vuln', 'Remediation')} Type="Workaround"><${t('vuln', 'Description')}>Block port 445</${t('vuln', 'Description')}></${t('vuln', 'Remediation')}>
    </${t('vuln', 'Remediations')}>
    <${t('vuln', 'RevisionHistory')}>
      <${t('vuln', 'Revision')}><${t('cvrf', 'Number')}>1.0</${t('cvrf', 'Number')}><${t('cvrf', 'Date')}>2025-10-14T07:00:00</${t('cvrf', 'Date')}></${t('vuln', 'Revision')}>
    </${t('vuln', 'RevisionHistory')}>
  </${t('vuln', 'Vulnerability')}>
</${t('cvrf', 'cvrfdoc')}>`;
}

describe('parseCvrf on the real MSRC documents', () => {
  const docs: Record<string, CvrfDocument> = {};
  beforeAll(async () => {
    for (const month of ['Jun', 'Sep', 'Nov', 'Dec']) docs[month] = await readCvrfFile(msrcPath(month));
  });
  const doc = (month: string): CvrfDocument => docs[month] ?? (() => { throw new Error(`${month} not parsed`); })();

  it('reads id, month, title, dates and counts of all four documents without warnings', () => {
    const summary = Object.values(docs).map((d) => [d.id, d.month, d.title, d.initialReleaseDate, d.currentReleaseDate, d.products.length, d.vulnerabilities.length, d.warnings.length]);
    expect(summary).toEqual([
      ['2025-Jun', '2025-06', 'June 2025 Security Updates', '2025-06-10T07:00:00', '2025-06-23T00:00:00', 102, 137, 0],
      ['2025-Sep', '2025-09', 'September 2025 Security Updates', '2025-09-09T07:00:00', '2025-09-29T01:01:59', 147, 324, 0],
      ['2025-Nov', '2025-11', 'November 2025 Security Updates', '2025-11-11T08:00:00', '2025-12-05T01:36:55', 185, 183, 0],
      ['2025-Dec', '2025-12', 'December 2025 Security Updates', '2025-12-09T08:00:00', '2026-01-03T01:41:03', 187, 343, 0],
    ]);
    expect(doc('Nov').documentType).toBe('Security Update');
    expect(doc('Nov').revisions).toEqual([{ number: '170', date: '2025-12-05T01:36:55' }]);
  });

  it('builds the product tree from the root list and the family branches', () => {
    const products = new Map(doc('Nov').products.map((p) => [p.productId, p]));
    expect(products.get('12390')).toEqual({
      productId: '12390',
      name: 'Windows 11 Version 24H2 for x64-based Systems',
      cpe: 'cpe:2.3:o:microsoft:windows_11_24H2:10.0.26100.7171:*:*:*:*:*:x64:*',
      family: 'Windows',
    });
    expect(products.get('12437')?.name).toBe('Windows Server 2025 (Server Core installation)');
    expect(products.get('10378')).toMatchObject({ name: 'Windows Server 2012', family: 'ESU' });
    expect(products.get('20563-17084')).toMatchObject({ name: 'azl3 cmake 3.30.3-10 on Azure Linux 3.0', family: 'Open Source Software' });
    // 22 products (e.g. 16848-17084) are only in the root list, outside any family branch.
    expect(products.get('16848-17084')).toMatchObject({ name: 'azl3 syslinux 6.04-11 on Azure Linux 3.0', family: null });
    expect(doc('Nov').products.filter((p) => p.family === null)).toHaveLength(22);
  });

  it('reads the exploited November CVE-2025-62215 with scores, threats and exploit flags', () => {
    const v = vuln(doc('Nov'), 'CVE-2025-62215');
    expect(v.title).toBe('Windows Kernel Elevation of Privilege Vulnerability');
    expect(v.exploitStatus).toMatchObject({ exploited: true, publiclyDisclosed: false, latestSoftwareRelease: 'Exploitation Detected', dos: null });
    expect(new Set(v.scoreSets.map((s) => `${s.baseScore}/${s.temporalScore}/${s.vector}`))).toEqual(new Set(['7/6.5/CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C']));
    expect(v.productThreats.find((t) => t.productId === '12390')).toEqual({ productId: '12390', impact: 'Elevation of Privilege', severity: 'Important' });
    expect(v.vendorFixes.find((f) => f.kb === '5068861')).toMatchObject({
      fixedBuild: '10.0.26100.7171',
      supersedes: ['5066835'],
      restartRequired: 'yes',
      subType: 'Security Update',
      hotpatch: false,
      url: 'https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB5068861',
    });
  });

  it('reads CWE, revisions and other remediation counts', () => {
    const v = vuln(doc('Nov'), 'CVE-2025-59505');
    expect(v.cwes).toEqual([{ id: 'CWE-415', name: 'Double Free' }]);
    expect(v.exploitStatus?.latestSoftwareRelease).toBe('Exploitation Less Likely');
    const late = vuln(doc('Nov'), 'CVE-2025-62208');
    expect(late.revisions).toEqual([{ number: '1.1', date: '2025-11-18T08:00:00' }, { number: '1.0', date: '2025-11-11T08:00:00' }]);
    expect(late.latestRevisionDate).toBe('2025-11-18T08:00:00');
    expect(late.knownIssueKbs).toContain('5066835');
    expect(late.otherRemediations['Known Issue']).toBeGreaterThan(0);
  });

  it('handles both hotpatch spellings and vendor fixes that are not KBs', () => {
    const jun = vuln(doc('Jun'), 'CVE-2025-33053');
    expect(jun.vendorFixes.find((f) => f.kb === '5060841')).toMatchObject({ subType: 'SecurityHotpatchUpdate', hotpatch: true, fixedBuild: '10.0.26100.4270' });
    const nov = doc('Nov').vulnerabilities.flatMap((v) => v.vendorFixes).find((f) => f.kb === '5068966');
    expect(nov).toMatchObject({ subType: 'Security Hotpatch Update', hotpatch: true });
    // Azure Linux / CBL-Mariner fixes name no KB, have an empty <URL />, and give the package version as FixedBuild.
    const mariner = doc('Nov').vulnerabilities.flatMap((v) => v.vendorFixes).filter((f) => f.description === 'CBL-Mariner Releases');
    expect(mariner).toHaveLength(74);
    expect(mariner.every((f) => f.kb === null && f.url === null && f.restartRequired === 'no')).toBe(true);
    expect(mariner.map((f) => f.fixedBuild)).toContain('1.5.3-1');
    // In 2025-Jun the same fixes carry an empty RestartRequired.
    const junMariner = doc('Jun').vulnerabilities.flatMap((v) => v.vendorFixes).filter((f) => f.subType === 'CBL-Mariner');
    expect(junMariner).toHaveLength(253);
    expect(junMariner.every((f) => f.restartRequired === null)).toBe(true);
  });

  it('reads third-party CVEs without title or exploit flags (2025-Jun CBL-Mariner)', () => {
    const v = vuln(doc('Jun'), 'CVE-2023-40549');
    expect(v.title).toBeNull();
    expect(v.exploitStatus).toMatchObject({ raw: 'DOS:N/A', dos: 'N/A', exploited: null, publiclyDisclosed: null });
    const sep = doc('Sep').vulnerabilities.filter((v) => v.exploitStatus === null);
    expect(sep).toHaveLength(230);
  });

  it('flags exactly the CVEs MSRC marks as exploited or publicly disclosed', () => {
    const flagged = (month: string, key: 'exploited' | 'publiclyDisclosed'): string[] =>
      doc(month).vulnerabilities.filter((v) => v.exploitStatus?.[key] === true).map((v) => v.cve);
    expect(flagged('Jun', 'exploited')).toEqual(['CVE-2025-33053']);
    expect(flagged('Nov', 'exploited')).toEqual(['CVE-2025-62215']);
    expect(flagged('Dec', 'exploited')).toEqual(['CVE-2025-62221']);
    expect(flagged('Sep', 'exploited')).toEqual([]);
    expect(flagged('Jun', 'publiclyDisclosed')).toEqual(['CVE-2025-33073']);
    expect(flagged('Dec', 'publiclyDisclosed').sort()).toEqual(['CVE-2025-54100', 'CVE-2025-64671']);
  });
});

describe('parseCvrf on small documents', () => {
  it('reads prefixed and default-namespace documents the same way', () => {
    const prefixed = parseCvrf(miniCvrf({ prefixed: true }), 'mini.xml');
    const plain = parseCvrf(miniCvrf({ prefixed: false }), 'mini.xml');
    expect(plain).toEqual(prefixed);
    expect(prefixed.title).toBe('Test & Security Updates');
    expect(prefixed.month).toBe('2025-10');
    const v = prefixed.vulnerabilities[0];
    expect(v?.exploitStatus).toMatchObject({ publiclyDisclosed: true, exploited: false, latestSoftwareRelease: 'Exploitation More Likely', olderSoftwareRelease: 'Exploitation Less Likely' });
    expect(v?.vendorFixes[0]).toMatchObject({ kb: '5066835', hotpatch: true, supersedes: ['5065426'] });
    expect(v?.otherRemediations).toEqual({ Workaround: 1 });
    // 99999 is not in the product tree: kept, and reported.
    expect(prefixed.warnings).toEqual([{ record: 'CVE-2025-99999', path: 'Vulnerability[0]', message: 'product ids not in the product tree: 99999' }]);
  });

  it('splits Supercedence lists on commas, semicolons and spaces, and warns on words it cannot read', () => {
    const doc = parseCvrf(miniCvrf({ prefixed: true, supercedence: '5065426; KB5063878,5062553  n/a' }), 'mini.xml');
    expect(doc.vulnerabilities[0]?.vendorFixes[0]?.supersedes).toEqual(['5065426', '5063878', '5062553']);
    expect(doc.vulnerabilities[0]?.vendorFixes[0]?.supersedenceRaw).toBe('5065426; KB5063878,5062553  n/a');
    expect(doc.warnings.map((w) => w.message)).toContain('Supercedence token "n/a" is not a KB number; dropped');
  });

  it('keeps an unknown RestartRequired as null with a warning', () => {
    const doc = parseCvrf(miniCvrf({ prefixed: true, restart: 'Sometimes' }), 'mini.xml');
    expect(doc.vulnerabilities[0]?.vendorFixes[0]?.restartRequired).toBeNull();
    expect(doc.warnings.map((w) => w.path)).toContain('Vulnerability[0].Remediations.Remediation[0].RestartRequired');
  });

  it('refuses a score that is not a number, naming file, CVE and element path', () => {
    const err = thrown(() => parseCvrf(miniCvrf({ prefixed: true, baseScore: 'high' }), 'mini.xml'));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.message).toBe('mini.xml: record CVE-2025-99999, at Vulnerability[0].CVSSScoreSets.ScoreSet[0].BaseScore: "high" is not a CVSS score in [0, 10]');
  });

  it('maps document ids to months', () => {
    expect(cvrfMonth('2025-Nov')).toBe('2025-11');
    expect(cvrfMonth('2025-Jan')).toBe('2025-01');
    expect(cvrfMonth('2025-November')).toBeNull();
    expect(cvrfMonth('2017-May-B')).toBeNull();
  });
});

describe('broken CVRF input', () => {
  let xml: string;
  /** The real November document cut after its first three vulnerabilities: same structure, 1/50 of the size. */
  let head: string;
  beforeAll(async () => {
    xml = await readFile(msrcPath('Nov'), 'utf8');
    let end = 0;
    for (let i = 0; i < 3; i++) end = xml.indexOf('</vuln:Vulnerability>', end) + '</vuln:Vulnerability>'.length;
    head = `${xml.slice(0, end)}\n</cvrf:cvrfdoc>\n`;
  });

  it('reads the cut-down document (the base of the cases below)', () => {
    const doc = parseCvrf(head, 'cvrf-2025-Nov.xml');
    expect(doc.vulnerabilities.map((v) => v.cve)).toEqual(['CVE-2025-10966', 'CVE-2025-64436', 'CVE-2025-64434']);
    expect(doc.products).toHaveLength(185);
  });

  it('refuses a truncated download instead of returning half the vulnerabilities', () => {
    const err = thrown(() => parseCvrf(xml.slice(0, 500_000), 'cvrf-2025-Nov.xml'));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.message).toMatch(/^cvrf-2025-Nov\.xml: not well-formed XML: /);
  });

  it('names the missing document id', () => {
    const err = thrown(() => parseCvrf(head.replace('<cvrf:ID>2025-Nov</cvrf:ID>', ''), 'cvrf-2025-Nov.xml'));
    expect(err.code).toBe('PF_ERR_FEED_PARSE');
    expect(err.message).toBe('cvrf-2025-Nov.xml: at DocumentTracking.Identification.ID: <ID> is missing or empty');
  });

  it('names the missing product tree', () => {
    const start = head.indexOf('<prod:ProductTree>');
    const end = head.indexOf('</prod:ProductTree>') + '</prod:ProductTree>'.length;
    const err = thrown(() => parseCvrf(head.slice(0, start) + head.slice(end), 'cvrf-2025-Nov.xml'));
    expect(err.message).toBe('cvrf-2025-Nov.xml: record 2025-Nov, at cvrfdoc.ProductTree: <ProductTree> is missing');
  });

  it('names the vulnerability whose CVE is missing or malformed', () => {
    const missing = thrown(() => parseCvrf(head.replace('<vuln:CVE>CVE-2025-64436</vuln:CVE>', ''), 'cvrf-2025-Nov.xml'));
    expect(missing.message).toBe('cvrf-2025-Nov.xml: record #1, at Vulnerability[1].CVE: <CVE> is missing or empty');
    const malformed = thrown(() => parseCvrf(head.replace('<vuln:CVE>CVE-2025-64436</vuln:CVE>', '<vuln:CVE>CVE-25-64436</vuln:CVE>'), 'cvrf-2025-Nov.xml'));
    expect(malformed.message).toBe('cvrf-2025-Nov.xml: record CVE-25-64436, at Vulnerability[1].CVE: "CVE-25-64436" is not a CVE id');
  });

  it('names a remediation without Type', () => {
    const err = thrown(() => parseCvrf(head.replace('<vuln:Remediation Type="Vendor Fix">', '<vuln:Remediation>'), 'cvrf-2025-Nov.xml'));
    // CVE-2025-10966 (curl, first in the document) has no remediations; the first Vendor Fix belongs to CVE-2025-64436.
    expect(err.message).toBe('cvrf-2025-Nov.xml: record CVE-2025-64436, at Vulnerability[1].Remediations.Remediation[0]: Remediation has no Type attribute');
  });

  it('names a score set without vector', () => {
    const err = thrown(() => parseCvrf(head.replace(/<vuln:Vector>[^<]*<\/vuln:Vector>/, ''), 'cvrf-2025-Nov.xml'));
    expect(err.message).toBe('cvrf-2025-Nov.xml: record CVE-2025-10966, at Vulnerability[0].CVSSScoreSets.ScoreSet[0].Vector: <Vector> is missing or empty');
  });

  it('reports an unreadable file as PF_ERR_FEED_IO', async () => {
    const err = await readCvrfFile(msrcPath('Oct')).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(PfError);
    expect((err as PfError).code).toBe('PF_ERR_FEED_IO');
    expect((err as PfError).message).toContain('cvrf-2025-Oct.xml');
  });
});
