/**
 * Makes a scenario's patches exist in the controller and apply to exactly
 * the hosts of the classes they name, through the controller's ordinary
 * catalog import (POST /api/v1/catalog/imports) and the hosts' inventories.
 *
 * Where each patch comes from:
 * - an id the controller already holds (`bundled`: the advisory data it
 *   imported, e.g. test/fixtures/advisories for `pnpm start`) is used as it
 *   is: its real products, packages, CVEs and scores. Hosts report the
 *   package or build that makes it missing; catalog-check.ts proves the
 *   controller would list exactly it (a KB superseded in the data by a newer
 *   one never is, and the run is refused rather than run wrong).
 * - every other id is registered for the run with synthetic records in the
 *   vendors' formats (synthetic-feeds.ts): a USN gets an OSV record fixing a
 *   package of its own (`pfsim-usn-7001-1`, 1.0-0ubuntu1 -> 1.0-0ubuntu1.1)
 *   in the releases of its classes; a KB gets a CVRF Vendor Fix for the
 *   Windows products of its classes (no FixedBuild and no supersedence, so
 *   patches stay independent as the scenario's are); each gets one synthetic
 *   CVE carrying the scenario's CVSS (a CVRF score set: the catalog takes
 *   CVSS scores from MSRC only), EPSS (a FIRST CSV row) and KEV (a CISA
 *   entry, due three weeks after release).
 *
 * When: one import per release instant (`imports`, at start + releasedDay),
 * never all at start, so no patch is assessable before its release. Synthetic
 * CVRF documents are monthly and cumulative, as MSRC revises its own; their
 * id is the month of the latest Patch Tuesday on or before the release,
 * because the controller dates a KB by the Patch Tuesday of its document's
 * month, and a rollout's `releasedAt` earlier than that is backdating
 * (expedite). The KEV file is cumulative too (an import replaces the whole
 * list). Bundled patches are in the catalog from the start: they are real
 * and older than the run.
 *
 * The controller rolls out only what an admin orders: at each release the
 * simulator's admin, once the controller has assessed the hosts, orders
 * POST /api/v1/rollouts with `rolloutRequest(setup, id)`. Targets are fixed
 * when the rollout is created (hosts missing the patch then).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { patchTuesday } from '@patchfleet/controller/src/assess/assess-host';
import { catalogFromFeeds, type CatalogFeedsInput } from '@patchfleet/controller/src/catalog/build';
import { parseWindowsBuild, productKey, sameServicingBranch, windowsProductNames } from '@patchfleet/controller/src/catalog/applicability/index';
import type { Catalog, UsnFix } from '@patchfleet/controller/src/catalog/model';
import { hostClassOf } from '@patchfleet/controller/src/rollout/assign-rings';
import type { HostClass, Patch, Scenario } from './scenario';
import { cvrfDocument, epssCsv, kevCatalogJson, usnOsvRecord, type CvrfProduct, type Provenance, type SyntheticCve, type SyntheticKb, type SyntheticUsn } from './synthetic-feeds';

export const DAY_MS = 86_400_000;
const GENERATOR = 'test/sim/catalog-setup.ts';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Versions of a synthetic package: what hosts hold before the patch, and what it installs. */
export const SYNTHETIC_VERSIONS = { before: '1.0-0ubuntu1', fixed: '1.0-0ubuntu1.1' } as const;
/** Appended to a real fixed version to make the version just below it (dpkg sorts `~` before everything). */
export const BELOW_FIX_SUFFIX = '~pfsim1';
/** Windows architecture every simulated host reports (PROCESSOR_ARCHITECTURE). */
export const WINDOWS_ARCH = 'AMD64';
/** Update build revision of a Windows host when neither the scenario's build nor the catalog gives one (the release build). */
export const DEFAULT_UBR = 1;

export type Criticality = 'low' | 'medium' | 'high' | 'critical';

/** How the hosts of one scenario class show themselves to the controller. */
export interface ClassSetup {
  name: string;
  platform: 'windows' | 'ubuntu';
  /** What the controller makes of them (hostClassOf): JSON of [os id, build or version, model, role]. */
  controllerClass: string;
  os: {
    platform: 'linux' | 'windows';
    id: 'ubuntu' | 'windows';
    name: string;
    /** Ubuntu VERSION_ID (`24.04`) or the Windows version (`10.0.26100`). */
    version: string;
    /** Windows build number (`26100`, as CurrentBuildNumber); on Ubuntu only when the scenario's build is not the release. */
    build?: string;
    codename?: string;
    arch: string;
  };
  hardware: { vendor: string; model: string; virtual: boolean };
  /** Labels of the class's enrollment token: `role` is part of the class, `criticality` weighs priority. */
  labels: { role: string; criticality: Criticality };
  /** Windows: registry InstallationType and the MSRC product names the controller derives from build, type and architecture. */
  installationType: 'Client' | 'Server' | null;
  products: string[];
  /** Windows: KBs its hosts hold from the start (catalog KBs listing its product that the scenario does not apply to it). */
  preinstalledKbs: string[];
  /** Windows: update build revision before any scenario patch; null on Ubuntu. */
  ubr: number | null;
}

/** One package a patch changes on a host of one class. */
export interface PackageChange {
  name: string;
  sourceName: string;
  arch: string;
  before: string;
  after: string;
}

export interface PatchSetup {
  id: string;
  kind: 'usn' | 'kb';
  source: 'synthetic' | 'bundled';
  releasedDay: number;
  /** ms since the epoch: start + releasedDay days. */
  releasedAt: number;
  appliesTo: string[];
  /** Synthetic: the one synthetic CVE; bundled: the advisory's. */
  cves: string[];
  /** USN: per class name, the packages a host holds before installing it and after. */
  packages: Record<string, PackageChange[]>;
  /** Bundled KB: per class name, the update build revision it brings (null: none known). */
  revisions: Record<string, number | null>;
  /** Synthetic: the scenario's priority inputs as the feeds carry them. */
  priority: Patch['priority'];
}

/** One file of an import, under the form field the import route takes it as. */
export interface FeedFile {
  field: 'usnOsv' | 'msrcCvrf' | 'kev' | 'epss';
  name: string;
  content: string;
}

/** What to import at one release instant, and the patches released then. */
export interface ImportBatch {
  /** ms since the epoch (virtual time). */
  at: number;
  day: number;
  patches: string[];
  /** Empty when every patch of the batch is bundled. */
  files: FeedFile[];
}

export interface CatalogSetup {
  scenario: string;
  /** Virtual start of the run, ms since the epoch: day 0. */
  start: number;
  classes: ClassSetup[];
  patches: PatchSetup[];
  /** In time order. */
  imports: ImportBatch[];
}

export interface CatalogSetupOptions {
  /** Virtual start, ms since the epoch. A Patch Tuesday at 17:00 UTC makes day-0 KBs dated exactly. */
  start: number;
  /** The feeds the controller imported before the run (bundled advisory data), if any: ids found there are used as they are. */
  bundled?: CatalogFeedsInput;
}

function invalid(scenario: string, problems: { field: string; message: string }[]): PfError {
  const text = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new PfError(Errors.SCENARIO_INVALID, `${scenario}: ${text}`, { source: scenario, problems });
}

/** Scenario criticality 1-5 onto the controller's four levels, rounding (c-1)*3/4: 1 low, 2 medium, 3-4 high, 5 critical. */
export function criticalityLabel(criticality: number): Criticality {
  const levels: Criticality[] = ['low', 'medium', 'high', 'critical'];
  return levels[Math.min(3, Math.max(0, Math.round(((criticality - 1) * 3) / 4)))]!;
}

const VIRTUAL = /vmware|kvm|qemu|virtual|hyper-v|xen/i;

function hardwareOf(model: string): ClassSetup['hardware'] {
  const first = model.split(/[\s,]+/)[0] ?? model;
  const vendor = /^kvm$/i.test(first) ? 'QEMU' : first;
  return { vendor, model, virtual: VIRTUAL.test(model) };
}

const UBUNTU_CODENAMES: Record<string, string> = { '20.04': 'focal', '22.04': 'jammy', '24.04': 'noble', '24.10': 'oracular', '25.04': 'plucky', '25.10': 'questing', '26.04': 'resolute' };

function ubuntuClass(cls: HostClass, field: string): Omit<ClassSetup, 'controllerClass' | 'labels' | 'hardware' | 'name' | 'preinstalledKbs'> | string {
  const release = /^ubuntu-(\d{2}\.\d{2})$/.exec(cls.os)?.[1];
  if (release === undefined) return `${field}.os: "${cls.os}" is not ubuntu-YY.MM`;
  const lts = Number(release.slice(0, 2)) % 2 === 0 && release.endsWith('.04');
  const codename = UBUNTU_CODENAMES[release];
  return {
    platform: 'ubuntu',
    os: {
      platform: 'linux',
      id: 'ubuntu',
      name: `Ubuntu ${release}${lts ? ' LTS' : ''}`,
      version: release,
      // A Linux agent sends no build; the class then keys on VERSION_ID, which is the scenario's build unless it names a point release.
      ...(cls.build === release ? {} : { build: cls.build }),
      ...(codename ? { codename } : {}),
      arch: 'x86_64',
    },
    installationType: null,
    products: [],
    ubr: null,
  };
}

function windowsClass(cls: HostClass, field: string): Omit<ClassSetup, 'controllerClass' | 'labels' | 'hardware' | 'name' | 'preinstalledKbs'> | string {
  const parsed = parseWindowsBuild(cls.build);
  if (parsed === null) return `${field}.build: "${cls.build}" is not a Windows build (10.0.NNNNN)`;
  const version = `${parsed.major}.${parsed.minor}.${parsed.build}`;
  const client = windowsProductNames({ build: version, installationType: 'Client', arch: WINDOWS_ARCH });
  const server = windowsProductNames({ build: version, installationType: 'Server', arch: WINDOWS_ARCH });
  // Builds shared by a client and a server release (26100, 17763) are told apart by the role.
  const type: 'Client' | 'Server' | null = server.length > 0 && (client.length === 0 || /server/i.test(cls.role)) ? 'Server' : client.length > 0 ? 'Client' : null;
  if (type === null) return `${field}.build: ${cls.build} is no Windows release the controller knows products for`;
  const products = type === 'Server' ? server : client;
  return {
    platform: 'windows',
    os: { platform: 'windows', id: 'windows', name: products[0]!.replace(/ for .* Systems$/, ''), version, build: String(parsed.build), arch: WINDOWS_ARCH },
    installationType: type,
    products,
    ubr: parsed.revision,
  };
}

/** The synthetic CVE id of a patch: a sequence number far above any the CVE Program assigns (KB: 9 + 8 digits; USN: 8 + number + revision). */
export function syntheticCveId(patchId: string, releasedAt: number): string {
  const year = new Date(releasedAt).getUTCFullYear();
  const kb = /^KB(\d+)$/.exec(patchId);
  if (kb) return `CVE-${year}-9${kb[1]!.padStart(8, '0')}`;
  const usn = /^USN-(\d+)-(\d+)$/.exec(patchId);
  if (usn) return `CVE-${year}-8${usn[1]!.padStart(6, '0')}${usn[2]!.padStart(2, '0')}`;
  throw new PfError(Errors.SCENARIO_INVALID, `${patchId} is neither a KB nor a USN id`);
}

/** `2026-Jan`: the MSRC document (month) of the latest Patch Tuesday at or before `at`. */
export function msrcDocumentId(at: number): string {
  const d = new Date(at);
  let year = d.getUTCFullYear();
  let month = d.getUTCMonth();
  const tuesday = patchTuesday(`${year}-${String(month + 1).padStart(2, '0')}`);
  if (tuesday !== null && Date.parse(tuesday) > at) {
    month -= 1;
    if (month < 0) {
      month = 11;
      year -= 1;
    }
  }
  return `${year}-${MONTHS[month]}`;
}

/** A real notice's fix for one release: the standard archive's, with a fixed version. */
function bundledUsnFix(fixes: readonly UsnFix[], release: string): UsnFix | undefined {
  return fixes.find((f) => f.release === release && !f.pro && f.variant === null && f.fixedVersion !== null);
}

/** The binary a host holds for a real fix: the one named like the source, else the first that is not debug symbols or docs. */
function bundledBinary(fix: UsnFix): { name: string; version: string } {
  const bins = fix.binaries.filter((b) => !/-(dbgsym|dbg|doc)$/.test(b.name));
  return bins.find((b) => b.name === fix.sourcePackage) ?? bins[0] ?? { name: fix.sourcePackage, version: fix.fixedVersion! };
}

function revisionOn(build: string | null, cls: ClassSetup): number | null {
  const fixed = build === null ? null : parseWindowsBuild(build);
  const host = parseWindowsBuild(cls.os.version);
  return fixed !== null && host !== null && fixed.revision !== null && sameServicingBranch(fixed, host) ? fixed.revision : null;
}

/**
 * Plans the run's catalog: how each class reports itself, where each patch
 * comes from, and the files to import at each release. Throws
 * PF_ERR_SCENARIO_INVALID naming the field when the scenario cannot be shown
 * to the controller as written (two classes it would see as one, a Windows
 * build it knows no product for, a USN for a Windows class, a real id whose
 * data does not cover a class). Run checkCatalogSetup (catalog-check.ts) on
 * the result before trusting it with bundled data.
 */
export function planCatalog(scenario: Scenario, opts: CatalogSetupOptions): CatalogSetup {
  if (!Number.isFinite(opts.start)) throw new PfError(Errors.VALIDATION, 'catalog setup needs a finite start time');
  const problems: { field: string; message: string }[] = [];
  const provenance: Provenance = { scenario: scenario.name, generator: GENERATOR };
  const bundled: Catalog | undefined = opts.bundled === undefined ? undefined : catalogFromFeeds(opts.bundled);

  const classes: ClassSetup[] = [];
  const seenClasses = new Map<string, string>();
  scenario.fleet.classes.forEach((cls, i) => {
    const field = `fleet.classes[${i}]`;
    const os = cls.os === 'windows' ? windowsClass(cls, field) : ubuntuClass(cls, field);
    if (typeof os === 'string') {
      problems.push({ field, message: os });
      return;
    }
    const hardware = hardwareOf(cls.model);
    const controllerClass = hostClassOf({ id: '', osId: os.os.id, osVersion: os.os.version, build: os.os.build, model: cls.model, role: cls.role, labels: {} });
    const twin = seenClasses.get(controllerClass);
    if (twin !== undefined) problems.push({ field, message: `the controller would see classes ${twin} and ${cls.name} as one (${controllerClass})` });
    seenClasses.set(controllerClass, cls.name);
    classes.push({ name: cls.name, controllerClass, hardware, labels: { role: cls.role, criticality: criticalityLabel(cls.criticality) }, preinstalledKbs: [], ...os });
  });
  if (problems.length > 0) throw invalid(scenario.name, problems);
  const byName = new Map(classes.map((c) => [c.name, c]));

  const patches: PatchSetup[] = scenario.patches.map((patch, i) => {
    const field = `patches[${i}]`;
    const kind = patch.id.startsWith('KB') ? ('kb' as const) : ('usn' as const);
    const releasedAt = opts.start + patch.releasedDay * DAY_MS;
    const setup: PatchSetup = { id: patch.id, kind, source: 'synthetic', releasedDay: patch.releasedDay, releasedAt, appliesTo: [...patch.appliesTo], cves: [], packages: {}, revisions: {}, priority: { ...patch.priority } };
    const targets = patch.appliesTo.map((name) => byName.get(name)!);
    for (const cls of targets) {
      if ((kind === 'kb') !== (cls.platform === 'windows')) problems.push({ field: `${field}.appliesTo`, message: `${patch.id} is a ${kind === 'kb' ? 'Windows KB' : 'Ubuntu notice'} but class ${cls.name} runs ${cls.os.name}` });
    }
    const realUsn = kind === 'usn' ? bundled?.usns.find((u) => u.id === patch.id) : undefined;
    const realKb = kind === 'kb' ? bundled?.kbs.find((k) => k.id === patch.id) : undefined;
    if (realUsn !== undefined) {
      setup.source = 'bundled';
      setup.cves = [...realUsn.cves];
      for (const cls of targets) {
        const fix = bundledUsnFix(realUsn.fixes, cls.os.version);
        if (fix === undefined) {
          problems.push({ field: `${field}.appliesTo`, message: `${patch.id} in the imported catalog has no standard fix for Ubuntu ${cls.os.version} (class ${cls.name})` });
          continue;
        }
        const bin = bundledBinary(fix);
        setup.packages[cls.name] = [{ name: bin.name, sourceName: fix.sourcePackage, arch: 'amd64', before: `${bin.version}${BELOW_FIX_SUFFIX}`, after: bin.version }];
      }
    } else if (realKb !== undefined) {
      setup.source = 'bundled';
      setup.cves = [...realKb.cves];
      for (const cls of targets) {
        const keys = new Set(cls.products.map(productKey));
        const product = realKb.products.find((p) => keys.has(productKey(p.name)));
        if (product === undefined) {
          problems.push({ field: `${field}.appliesTo`, message: `${patch.id} in the imported catalog does not list ${cls.products.join(' or ')} (class ${cls.name})` });
          continue;
        }
        setup.revisions[cls.name] = revisionOn(product.fixedBuild, cls);
      }
    } else {
      setup.cves = [syntheticCveId(patch.id, releasedAt)];
      if (kind === 'usn') {
        const name = `pfsim-${patch.id.toLowerCase()}`;
        for (const cls of targets) setup.packages[cls.name] = [{ name, sourceName: name, arch: 'amd64', before: SYNTHETIC_VERSIONS.before, after: SYNTHETIC_VERSIONS.fixed }];
      }
    }
    return setup;
  });
  if (problems.length > 0) throw invalid(scenario.name, problems);

  assignWindowsBaseline(classes, patches, bundled);
  const imports = importBatches(scenario, patches, classes, opts, provenance, problems);
  if (problems.length > 0) throw invalid(scenario.name, problems);
  return { scenario: scenario.name, start: opts.start, classes, patches, imports };
}

/**
 * Which KBs each Windows class holds from the start, and its UBR: every KB
 * listing its product that the scenario does not apply to it (so the
 * controller finds nothing else missing, and a KB meant for another class of
 * the same product reads as installed here), at the highest revision those bring.
 */
function assignWindowsBaseline(classes: ClassSetup[], patches: PatchSetup[], bundled: Catalog | undefined): void {
  for (const cls of classes) {
    if (cls.platform !== 'windows') continue;
    const keys = new Set(cls.products.map(productKey));
    const mine = new Set(patches.filter((p) => p.kind === 'kb' && p.appliesTo.includes(cls.name)).map((p) => p.id));
    const held = new Set<string>();
    let ubr = cls.ubr ?? DEFAULT_UBR;
    for (const kb of bundled?.kbs ?? []) {
      if (mine.has(kb.id) || kb.hotpatch) continue;
      const product = kb.products.find((p) => keys.has(productKey(p.name)));
      if (product === undefined) continue;
      held.add(kb.id);
      const revision = revisionOn(product.fixedBuild, cls);
      if (revision !== null && revision > ubr) ubr = revision;
    }
    // A synthetic KB lists the products of every class it applies to; other classes of those products hold it.
    for (const p of patches) {
      if (p.kind !== 'kb' || p.source !== 'synthetic' || mine.has(p.id)) continue;
      if (p.appliesTo.some((name) => classes.find((c) => c.name === name)?.products.some((n) => keys.has(productKey(n))))) held.add(p.id);
    }
    cls.preinstalledKbs = [...held].sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
    cls.ubr = ubr;
  }
}

function importBatches(scenario: Scenario, patches: PatchSetup[], classes: ClassSetup[], opts: CatalogSetupOptions, provenance: Provenance, problems: { field: string; message: string }[]): ImportBatch[] {
  const byName = new Map(classes.map((c) => [c.name, c]));
  const cveOf = (p: PatchSetup): SyntheticCve => ({ id: p.cves[0]!, patchId: p.id, cvss: p.priority.cvss, epss: p.priority.epss, kev: p.priority.kev, releasedAt: p.releasedAt });
  const synthetic = patches.filter((p) => p.source === 'synthetic');

  // CVRF product ids of ours, one per product name, stable for the scenario.
  const productNames = [...new Set(synthetic.filter((p) => p.kind === 'kb').flatMap((p) => p.appliesTo.flatMap((n) => byName.get(n)!.products)))].sort();
  const products: CvrfProduct[] = productNames.map((name, i) => ({ id: `pfsim-${i + 1}`, name }));
  const productId = new Map(products.map((p) => [p.name, p.id]));
  const kbOf = (p: PatchSetup): SyntheticKb => ({
    id: p.id,
    releasedAt: p.releasedAt,
    cve: cveOf(p),
    productIds: [...new Set(p.appliesTo.flatMap((n) => byName.get(n)!.products))].map((n) => productId.get(n)!),
  });
  const usnOf = (p: PatchSetup): SyntheticUsn => {
    const byRelease = new Map<string, SyntheticUsn['fixes'][number]>();
    for (const name of p.appliesTo) {
      const cls = byName.get(name)!;
      const pkg = p.packages[name]![0]!;
      byRelease.set(cls.os.version, { release: cls.os.version, sourcePackage: pkg.sourceName, before: pkg.before, fixed: pkg.after, binaries: [pkg.name] });
    }
    return { id: p.id, releasedAt: p.releasedAt, cve: cveOf(p), fixes: [...byRelease.values()] };
  };

  const bundledDocs = new Set((opts.bundled?.cvrf ?? []).map((d) => d.id));
  const baseKev = opts.bundled?.kev?.entries ?? [];
  const instants = [...new Set(patches.map((p) => p.releasedAt))].sort((a, b) => a - b);
  return instants.map((at) => {
    const released = patches.filter((p) => p.releasedAt === at);
    const fresh = released.filter((p) => p.source === 'synthetic');
    const files: FeedFile[] = [];
    for (const p of fresh.filter((x) => x.kind === 'usn')) files.push({ field: 'usnOsv', name: `${p.id}.json`, content: `${JSON.stringify(usnOsvRecord(usnOf(p), provenance), null, 2)}\n` });
    if (fresh.length > 0) {
      const docId = msrcDocumentId(at);
      if (bundledDocs.has(docId)) problems.push({ field: 'start', message: `the synthetic MSRC document ${docId} would replace the imported one of that month: start the run in another month` });
      const month = synthetic.filter((p) => p.releasedAt <= at && msrcDocumentId(p.releasedAt) === docId);
      const doc = {
        id: docId,
        title: `Synthetic security updates of ${docId} for the simulated fleet of scenario "${scenario.name}" (not Microsoft data)`,
        initialReleaseAt: Math.min(...month.map((p) => p.releasedAt)),
        currentReleaseAt: at,
        products,
        kbs: month.filter((p) => p.kind === 'kb').map(kbOf),
        otherCves: month.filter((p) => p.kind === 'usn').map(cveOf),
      };
      files.push({ field: 'msrcCvrf', name: `cvrf-${docId}.xml`, content: cvrfDocument(doc, provenance) });
      files.push({ field: 'epss', name: `epss_scores-${new Date(at).toISOString().slice(0, 10)}.csv`, content: epssCsv(fresh.map(cveOf), at) });
      if (fresh.some((p) => p.priority.kev)) {
        const known = synthetic.filter((p) => p.releasedAt <= at).map(cveOf);
        files.push({ field: 'kev', name: 'known_exploited_vulnerabilities.json', content: kevCatalogJson(known, baseKev, at, provenance) });
      }
    }
    return { at, day: (at - opts.start) / DAY_MS, patches: released.map((p) => p.id), files };
  });
}

/** The body of POST /api/v1/rollouts that releases one patch (operator role; `releasedAt` is never before the catalog's date, so it is not expediting). */
export function rolloutRequest(setup: CatalogSetup, patchId: string): { name: string; patches: string[]; releasedAt: string } {
  const patch = setup.patches.find((p) => p.id === patchId);
  if (patch === undefined) throw new PfError(Errors.VALIDATION, `${patchId} is not a patch of scenario ${setup.scenario}`);
  return { name: `${setup.scenario}: ${patchId}`, patches: [patchId], releasedAt: new Date(patch.releasedAt).toISOString() };
}

/** Writes a batch's files under `dir` and returns them as `uploadFiles` (controller/src/client/upload.ts) takes them. */
export async function writeImportBatch(batch: ImportBatch, dir: string): Promise<{ field: string; path: string }[]> {
  const folder = join(dir, `day-${String(batch.day).replace('.', '_')}`);
  await mkdir(folder, { recursive: true });
  const out: { field: string; path: string }[] = [];
  for (const f of batch.files) {
    const path = join(folder, f.name);
    await writeFile(path, f.content);
    out.push({ field: f.field, path });
  }
  return out;
}

/** The scenario patches an install or rollback command concerns: by its KB, or by the package versions it names. */
export function patchesOfCommand(setup: CatalogSetup, className: string, command: { kb?: string | null; packages?: readonly { name: string; version?: string }[] }): string[] {
  const ids: string[] = [];
  for (const p of setup.patches) {
    if (!p.appliesTo.includes(className)) continue;
    if (p.kind === 'kb' && command.kb === p.id) ids.push(p.id);
    if (p.kind === 'usn' && (p.packages[className] ?? []).some((c) => command.packages?.some((x) => x.name === c.name))) ids.push(p.id);
  }
  return ids;
}
