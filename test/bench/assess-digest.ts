/**
 * Digests of assessment results over deterministic synthetic hosts, so that
 * a change made for speed that changes any answer is caught
 * (`assess-digest.test.ts` compares them with `fixtures/assess-digests.json`,
 * recorded by `record-assess-digests.ts` with the code before the change).
 *
 * Each case assesses seeded hosts (`generateHosts`) against the catalog of the
 * advisory fixtures (KEV and EPSS included), and digests per host the
 * JSON of `assessHost` together with the raw `assessUbuntu` or
 * `assessWindows` result (which carries what `assessHost` drops:
 * unjudged packages, fixedVia, products). The cases vary what the results
 * depend on: host risk, SLA, the time of assessment (from host to host, so
 * memos keyed by time are exercised), and a catalog and hosts altered so
 * that rarer paths run (notices without a release date, KBs without a
 * month, CVEs without scores, versions that do not parse, packages from
 * another source).
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assessHost, prepareCatalog, type HostInput, type PreparedCatalog } from '@patchfleet/controller/src/assess/assess-host';
import { catalogFromFeeds } from '@patchfleet/controller/src/catalog/build';
import { assessUbuntu, assessWindows, type UbuntuInstalledPackage } from '@patchfleet/controller/src/catalog/applicability/index';
import { collectEpssRows, openEpssFile, readCvrfFile, readKevFile, readUsnOsvPath, type UsnRecord } from '@patchfleet/controller/src/catalog/feeds/index';
import type { Catalog, CveInfo } from '@patchfleet/controller/src/catalog/model';
import type { HostRisk } from '@patchfleet/controller/src/scoring/host-risk';
import { DEFAULT_SLA, type SlaConfig } from '@patchfleet/controller/src/scoring/sla';
import { generateHosts, type SyntheticHost } from './hosts';
import { createRng } from './rng';

const FIXTURES = fileURLToPath(new URL('../fixtures/advisories/', import.meta.url));

/** The catalog `bench:assess` assesses against (all fixtures, KEV and EPSS), built without a database. */
export async function fixtureBenchCatalog(): Promise<Catalog> {
  const usn: UsnRecord[] = [];
  for await (const record of readUsnOsvPath(`${FIXTURES}usn`)) usn.push(record);
  const msrc = readdirSync(`${FIXTURES}msrc`).filter((f) => f.endsWith('.xml')).sort();
  const cvrf = await Promise.all(msrc.map((f) => readCvrfFile(`${FIXTURES}msrc/${f}`)));
  const kev = await readKevFile(`${FIXTURES}kev/known_exploited_vulnerabilities.json`);
  const epss = await openEpssFile(`${FIXTURES}epss/epss_subset.csv`);
  return catalogFromFeeds({ usn, cvrf, kev, epss: { rows: await collectEpssRows(epss), scoreDate: epss.scoreDate } });
}

/**
 * The catalog with rarer shapes mixed in, deterministically: every third
 * notice without a publication date, every fourth KB without a month, every
 * fifth CVE without CVSS (vendor word only), every seventh without either,
 * every eleventh without EPSS.
 */
export function alteredCatalog(catalog: Catalog): Catalog {
  const cves = new Map<string, CveInfo>();
  let i = 0;
  for (const [id, cve] of catalog.cves) {
    let c = cve;
    if (i % 5 === 0) c = { ...c, cvssScore: null, cvssVector: null };
    if (i % 7 === 0) c = { ...c, cvssScore: null, cvssVector: null, severity: null };
    if (i % 11 === 0) c = { ...c, epss: null };
    cves.set(id, c);
    i++;
  }
  return {
    usns: catalog.usns.map((u, n) => (n % 3 === 0 ? { ...u, published: '' } : u)),
    kbs: catalog.kbs.map((k, n) => (n % 4 === 0 ? { ...k, month: null } : k)),
    cves,
  };
}

function toInput(h: SyntheticHost): HostInput {
  if (h.kind === 'ubuntu') return { kind: 'ubuntu', release: h.release, packages: h.packages };
  return { kind: 'windows', host: { build: h.build, ubr: h.ubr, installationType: h.installationType, arch: h.arch, hotfixes: h.hotfixes.map((f) => f.kb), hotpatchEnrolled: h.hotpatchEnrolled } };
}

const OLD_PACKAGES: readonly (readonly [string, string, string])[] = [
  ['less', 'less', '400-1'],
  ['rsync', 'rsync', '3.0.0-1'],
  ['python3-jinja2', 'jinja2', '2.0-1'],
  ['python3-idna', 'python-idna', '2.0-1'],
  ['python3-tornado', 'python-tornado', '4.0-1'],
  ['libngtcp2-0', 'ngtcp2', '0.0.1-1'],
];

/**
 * Alters a host's input deterministically: some Ubuntu packages get a version
 * that does not parse, a source of another name, or a source name equal to
 * their own name (dpkg printed none), some gain old packages whose fixes
 * are Ubuntu Pro's, and some hosts run another release
 * (one without notices, or 18.04 and 16.04 where Ubuntu Pro fixes count); some Windows hosts lose their UBR, list
 * KBs in lower case or without `KB`, or run an unknown build.
 */
function alteredInput(input: HostInput, seed: number): HostInput {
  const rng = createRng(seed);
  if (input.kind === 'ubuntu') {
    const packages = input.packages.map((p): UbuntuInstalledPackage => {
      const roll = rng.next();
      if (roll < 0.01) return { ...p, version: `${p.version} junk` };
      if (roll < 0.02) return { ...p, sourceVersion: '' };
      if (roll < 0.04) return { ...p, sourceName: `${p.sourceName}-vendor` };
      if (roll < 0.06) return { ...p, sourceName: p.name };
      return p;
    });
    // Old packages whose fixes are (in some releases, only) Ubuntu Pro's: the generator's ladders leave those out.
    for (const [name, sourceName, version] of OLD_PACKAGES) {
      if (rng.chance(0.3)) packages.push({ name, version, sourceName, sourceVersion: version, arch: packages[0]?.arch ?? 'amd64' });
    }
    // Hosts of releases the generator does not make: one without notices, two where fixes are mostly Ubuntu Pro's.
    const roll = rng.next();
    const release = roll < 0.05 ? '23.10' : roll < 0.15 ? '18.04' : roll < 0.22 ? '16.04' : input.release;
    return { ...input, release, packages };
  }
  if (input.kind === 'windows') {
    const host = { ...input.host };
    if (rng.chance(0.2)) host.ubr = null;
    if (rng.chance(0.2)) host.hotfixes = host.hotfixes.map((kb, n) => (n % 2 === 0 ? kb.toLowerCase() : kb.replace(/^KB/i, '')));
    if (rng.chance(0.05)) host.build = '10.0.99999';
    if (rng.chance(0.1)) host.hotpatchEnrolled = null;
    return { kind: 'windows', host };
  }
  return input;
}

export interface DigestCase {
  name: string;
  hosts: number;
  seed: number;
  windowsShare: number;
  risk: HostRisk;
  sla?: SlaConfig;
  /** Time of assessment of host `i`. */
  now: (i: number) => number;
  altered: boolean;
}

const JAN_15 = Date.parse('2026-01-15T00:00:00Z');
const DAY = 86_400_000;

/** The cases of the fixture; changing them means recording the fixture again with the old code. */
export const DIGEST_CASES: readonly DigestCase[] = [
  // What bench:assess runs.
  { name: 'bench', hosts: 400, seed: 1, windowsShare: 0.4, risk: { criticality: 'medium', internetFacing: false }, sla: DEFAULT_SLA, now: () => JAN_15, altered: false },
  // Exposed critical hosts, another SLA, the clock moving from host to host (deadlines pass, then not).
  {
    name: 'exposed-moving-clock',
    hosts: 300,
    seed: 2,
    windowsShare: 0.5,
    risk: { criticality: 'critical', internetFacing: true },
    sla: { critical: 1, high: 10.5, medium: 45, low: 120 },
    now: (i) => Date.parse('2025-06-01T00:00:00Z') + i * 1.7 * DAY,
    altered: false,
  },
  // Altered catalog and hosts, no SLA given (the default), low criticality.
  { name: 'altered', hosts: 300, seed: 3, windowsShare: 0.4, risk: { criticality: 'low', internetFacing: true }, now: (i) => JAN_15 - (i % 40) * 5 * DAY, altered: true },
];

export interface CaseDigest {
  name: string;
  hosts: number;
  /** sha256 over the per-host digests. */
  digest: string;
  /** First 16 hex digits of each host's sha256, in host order. */
  perHost: string[];
}

/** The inputs of one case, in host order, with the time each is assessed at. */
export function* caseInputs(c: DigestCase): Generator<{ input: HostInput; now: number }> {
  let i = 0;
  for (const host of generateHosts(c.hosts, { seed: c.seed, windowsShare: c.windowsShare })) {
    yield { input: c.altered ? alteredInput(toInput(host), c.seed * 1_000_003 + i) : toInput(host), now: c.now(i) };
    i++;
  }
}

/** Digests of every case; `catalog` is `fixtureBenchCatalog()`. */
export function assessmentDigests(catalog: Catalog, cases: readonly DigestCase[] = DIGEST_CASES): CaseDigest[] {
  const plain = prepareCatalog(catalog);
  let altered: PreparedCatalog | undefined;
  return cases.map((c) => {
    const prepared = c.altered ? (altered ??= prepareCatalog(alteredCatalog(catalog))) : plain;
    const perHost: string[] = [];
    for (const { input, now } of caseInputs(c)) {
      const result = assessHost(input, prepared, { now, risk: c.risk, ...(c.sla ? { sla: c.sla } : {}) });
      const raw = input.kind === 'ubuntu' ? assessUbuntu(input, prepared.ubuntu) : input.kind === 'windows' ? assessWindows(input.host, prepared.windows) : null;
      perHost.push(createHash('sha256').update(JSON.stringify({ result, raw })).digest('hex').slice(0, 16));
    }
    return { name: c.name, hosts: c.hosts, digest: createHash('sha256').update(perHost.join('\n')).digest('hex'), perHost };
  });
}
