/**
 * Ubuntu applicability: which USNs a host is missing, from its installed
 * binary packages and the fixed versions of its release.
 */
import { type DebVersion, compareParsedDebVersions } from '@patchfleet/shared/debversion';
import { compareCveIds } from '../feeds/formats';
import type { Catalog } from '../model';
import type { DebVersionCache } from './deb-version-cache';
import { ubuntuReleaseEcosystems } from './ubuntu-ecosystems';
import { type UbuntuFixTarget, type UbuntuIndex, VERDICT, prepareUbuntuIndex } from './ubuntu-index';

export { ubuntuEcosystems, ubuntuReleaseEcosystems, isUbuntuLts } from './ubuntu-ecosystems';

/** One installed package as the agent reports it (dpkg `Package`, `Version`, `source:Package`, `source:Version`). */
export interface UbuntuInstalledPackage {
  name: string;
  version: string;
  sourceName: string;
  sourceVersion: string;
  arch: string;
}

/** What `assessUbuntu` needs to know about a host. */
export interface UbuntuHost {
  /** `VERSION_ID`, e.g. `24.04`. */
  release: string;
  packages: readonly UbuntuInstalledPackage[];
}

/** One installed package below the fix of a USN. */
export interface UbuntuFindingPackage {
  name: string;
  arch: string;
  /** Installed version compared: the binary's, or the source's when the record gives no binary version. */
  installed: string;
  fixed: string;
  /** Ecosystem of the fix used for this package. */
  fixedVia: string;
  /** Present when this package's fix is only published through Ubuntu Pro. */
  requires?: 'ubuntu-pro';
}

/** A USN the host is missing. */
export interface UbuntuFinding {
  /** `USN-7545-1` */
  id: string;
  title: string;
  published: string;
  /** CVEs the fixes used close in this release, sorted. */
  cves: string[];
  packages: UbuntuFindingPackage[];
  /** Present when at least one package can only be fixed through Ubuntu Pro. */
  requires?: 'ubuntu-pro';
  /** Ecosystem of the fix: the Pro one when `requires` is set, else the standard one. */
  fixedVia: string;
}

/** An installed package whose version is not a Debian version: it was not judged. */
export interface UbuntuUnjudgedPackage {
  name: string;
  arch: string;
  version: string;
}

/** Result of `assessUbuntu`. */
export interface UbuntuAssessment {
  /** Missing USNs, newest first. */
  missing: UbuntuFinding[];
  /** USNs that concern installed packages, all at or above the fix, sorted. */
  installed: string[];
  /** Packages matching a fix whose version could not be compared. */
  unjudged: UbuntuUnjudgedPackage[];
}

/** A notice the host is missing, while its packages are collected. */
interface MissingState {
  target: UbuntuFixTarget;
  packages: UbuntuFindingPackage[];
  /** CVEs of the fixes found missing: their (sorted) list while only one fix's, a set once several differ. */
  cves: readonly string[] | Set<string>;
  /** First fix found missing from the standard archive, and from Pro only. */
  standard: UbuntuFixTarget | null;
  pro: UbuntuFixTarget | null;
}

/** What one host's assessment carries from package to package. */
interface HostPass {
  generation: number;
  stamps: Uint32Array;
  /** By `idRank`: the missing state, or null when the notice is touched and satisfied so far. */
  states: (MissingState | null | undefined)[];
  /** `idRank`s of the notices this host touched. */
  touched: number[];
  versions: DebVersionCache;
  /** Versions of the current package, parsed on first need: most packages match no fix, and most comparisons are remembered. */
  binary: DebVersion | null | undefined;
  source: DebVersion | null | undefined;
  unjudged: boolean;
}

const indexes = new WeakMap<object, UbuntuIndex>();

/** Installed versions whose verdict against one fix is remembered (`UbuntuFixTarget.verdicts`). */
const VERSIONS_PER_TARGET_KEPT = 64;
const { AT_OR_ABOVE, BELOW, UNJUDGED } = VERDICT;

/**
 * The index of a catalog, built on first use and kept while the catalog object lives.
 * Catalogs are treated as immutable: after an import, pass the new catalog object.
 */
export function ubuntuIndexOf(catalog: Pick<Catalog, 'usns'> | UbuntuIndex): UbuntuIndex {
  if ('kind' in catalog && catalog.kind === 'ubuntu-index') return catalog;
  let index = indexes.get(catalog);
  if (index === undefined) {
    index = prepareUbuntuIndex(catalog as Pick<Catalog, 'usns'>);
    indexes.set(catalog, index);
  }
  return index;
}

/**
 * Whether an installed binary comes from the source package a fix is for.
 *
 * The record lists binaries per source, the way dpkg's `source:Package` names
 * them (the signed kernel image sits under `linux-signed`, the unsigned one
 * under `linux`), so a different source means a different package with the
 * same name (a PPA or vendor build): not this fix's business. Ubuntu has no
 * binNMUs (rebuilds are sourceful `buildN` uploads) and a binNMU would keep the
 * source name anyway, so equality loses nothing there. The one exception
 * accepted: a source name equal to the binary's own name, which is what the
 * agent reports when dpkg printed no source; then the source is unknown.
 */
function fromFixedSource(pkg: UbuntuInstalledPackage, target: UbuntuFixTarget): boolean {
  return pkg.sourceName === target.sourcePackage || pkg.sourceName === pkg.name;
}

/**
 * The USNs a host is missing and those it has, following the rule of the
 * feed: a USN is missing when an installed binary package of an affected
 * source package is below the fixed version for the host's release (dpkg
 * ordering). Binaries are compared with the binary version the record gives,
 * so epochs that only binaries carry are honoured; the source version is used
 * only when the record gives no binary version or lists no binaries.
 *
 * The standard archive's fix is used whenever the USN has one for the package
 * in the host's release; otherwise the Ubuntu Pro fix, and the finding says
 * `requires: 'ubuntu-pro'`. Releases the USN does not cover and binaries that
 * are not installed do not count.
 *
 * Pass the catalog (its index is built once and cached) or a prepared index.
 */
export function assessUbuntu(host: UbuntuHost, catalog: Pick<Catalog, 'usns'> | UbuntuIndex): UbuntuAssessment {
  const index = ubuntuIndexOf(catalog);
  const result: UbuntuAssessment = { missing: [], installed: [], unjudged: [] };
  const eco = ubuntuReleaseEcosystems('ubuntu', host.release);
  const release = eco === null ? undefined : index.releases.get(eco.release);
  if (release === undefined) return result;
  const scratch = index.scratch;
  // Stamps wrap after 2^32 hosts: clear them then rather than mistake an old stamp for a new one.
  if (scratch.generation === 0xffffffff) {
    scratch.stamps.fill(0);
    scratch.generation = 0;
  }
  const pass: HostPass = {
    generation: ++scratch.generation,
    stamps: scratch.stamps,
    states: scratch.states as HostPass['states'],
    touched: [],
    versions: scratch.versions,
    binary: undefined,
    source: undefined,
    unjudged: false,
  };

  for (const pkg of host.packages) {
    const byBinary = release.byBinary.get(pkg.name);
    const bySource = release.bySource.size === 0 ? undefined : release.bySource.get(pkg.sourceName);
    if (byBinary === undefined && bySource === undefined) continue;
    pass.binary = undefined;
    pass.source = undefined;
    pass.unjudged = false;

    if (byBinary !== undefined) for (const t of byBinary.standard) if (fromFixedSource(pkg, t)) judge(pass, pkg, t);
    if (bySource !== undefined) for (const t of bySource.standard) judge(pass, pkg, t);
    if ((byBinary?.pro.length ?? 0) > 0 || (bySource?.pro.length ?? 0) > 0) {
      // A notice with a standard fix for this package needs no Pro fix for it.
      const standardUsns = new Set<number>();
      if (byBinary !== undefined) for (const t of byBinary.standard) if (fromFixedSource(pkg, t)) standardUsns.add(t.idRank);
      if (bySource !== undefined) for (const t of bySource.standard) standardUsns.add(t.idRank);
      if (byBinary !== undefined) for (const t of byBinary.pro) if (!standardUsns.has(t.idRank) && fromFixedSource(pkg, t)) judge(pass, pkg, t);
      if (bySource !== undefined) for (const t of bySource.pro) if (!standardUsns.has(t.idRank)) judge(pass, pkg, t);
    }
    if (pass.unjudged) result.unjudged.push({ name: pkg.name, arch: pkg.arch, version: pkg.version });
  }

  const missing: MissingState[] = [];
  pass.touched.sort((a, b) => a - b);
  for (const rank of pass.touched) {
    const state = pass.states[rank];
    pass.states[rank] = undefined; // do not keep findings alive in the scratch
    if (state === null || state === undefined) result.installed.push(index.usnsById[rank]!.id);
    else missing.push(state);
  }
  if (missing.length > 1) missing.sort((a, b) => a.target.newestRank - b.target.newestRank);
  // A loop that pushes rather than `map`, and two literals rather than a spread of the optional
  // field (same key order as ever): one array representation and one shape per kind of finding,
  // so the code reading them is optimised once.
  for (const state of missing) {
    const { usn } = state.target;
    const cves = state.cves instanceof Set ? [...state.cves].sort(compareCveIds) : state.cves.slice();
    const fixedVia = (state.pro ?? state.standard ?? state.target).fix.ecosystem;
    result.missing.push(
      state.pro === null
        ? { id: usn.id, title: usn.title, published: usn.published, cves, packages: state.packages, fixedVia }
        : { id: usn.id, title: usn.title, published: usn.published, cves, packages: state.packages, requires: 'ubuntu-pro', fixedVia },
    );
  }
  return result;
}

/** Judges one installed package against one fix target, recording the outcome for its notice. */
function judge(pass: HostPass, pkg: UbuntuInstalledPackage, target: UbuntuFixTarget): void {
  const text = target.bySource ? pkg.sourceVersion : pkg.version;
  const memo = (target.verdicts ??= new Map());
  let verdict = memo.get(text);
  if (verdict === undefined) {
    const installed = target.bySource ? (pass.source ??= pass.versions.get(text)) : (pass.binary ??= pass.versions.get(text));
    verdict = installed === null ? UNJUDGED : compareParsedDebVersions(installed, target.fixedParsed) < 0 ? BELOW : AT_OR_ABOVE;
    if (memo.size >= VERSIONS_PER_TARGET_KEPT) memo.clear();
    memo.set(text, verdict);
  }
  if (verdict === UNJUDGED) {
    pass.unjudged = true;
    return;
  }
  const rank = target.idRank;
  if (pass.stamps[rank] !== pass.generation) {
    pass.stamps[rank] = pass.generation;
    pass.states[rank] = null;
    pass.touched.push(rank);
  }
  if (verdict !== BELOW) return;
  let state = pass.states[rank];
  if (state === null || state === undefined) {
    state = { target, packages: [], cves: target.cves, standard: null, pro: null };
    pass.states[rank] = state;
  }
  // Two targets of one notice for the same package (a variant, a binary listed twice) make one entry.
  for (const p of state.packages) if (p.name === pkg.name && p.arch === pkg.arch) return;
  const entry: UbuntuFindingPackage = { name: pkg.name, arch: pkg.arch, installed: target.bySource ? pkg.sourceVersion : pkg.version, fixed: target.fixed, fixedVia: target.fix.ecosystem };
  if (target.pro) entry.requires = 'ubuntu-pro';
  state.packages.push(entry);
  // Targets of one fix share one list; only fixes with different lists need a union.
  if (state.cves !== target.cves) {
    if (!(state.cves instanceof Set)) state.cves = new Set(state.cves);
    for (const cve of target.cves) state.cves.add(cve);
  }
  if (target.pro) state.pro ??= target;
  else state.standard ??= target;
}
