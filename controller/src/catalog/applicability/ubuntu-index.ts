/**
 * The Ubuntu side of the catalog arranged for per-host lookups: built once per
 * catalog, so assessing a host costs one or two map lookups per installed package.
 */
import type { DebVersion } from '@patchfleet/shared/debversion';
import { compareCveIds } from '../feeds/formats';
import { parseUbuntuEcosystem } from '../feeds/usn-affected';
import type { Catalog, UsnAdvisory, UsnFix } from '../model';
import { compareUsnIds } from '../usn-advisory';
import { DebVersionCache } from './deb-version-cache';
import { type UbuntuReleaseEcosystems, ubuntuReleaseEcosystems } from './ubuntu-ecosystems';

/** One binary (or, for records without binaries, one source) fixed by one USN in one ecosystem. */
export interface UbuntuFixTarget {
  usn: UsnAdvisory;
  fix: UsnFix;
  /** `fix.sourcePackage`, kept on the target for the per-package check. */
  sourcePackage: string;
  /** `fix.ecosystem` without its variant, e.g. `Ubuntu:Pro:24.04:LTS` for `Ubuntu:Pro:24.04:LTS:Realtime:Kernel`. */
  baseEcosystem: string;
  /** Shipped through Ubuntu Pro only. */
  pro: boolean;
  /**
   * Version that carries the fix, as published. The binary's own version when
   * the record gives one (it keeps the binary's epoch, which dpkg's
   * `source:Version` drops: bsdutils `1:2.37.2-4ubuntu3.3` from util-linux
   * `2.37.2-4ubuntu3.3`); else the source's fixed version.
   */
  fixed: string;
  fixedParsed: DebVersion;
  /** True when `fixed` is the source version: compare the host's source version, not the binary's. */
  bySource: boolean;
  /** CVEs this fix closes in this release (the advisory's list when the record gives none), sorted; shared by the fix's targets. */
  cves: readonly string[];
  /** Position of the USN by id (`USN-6119-1` < `USN-10000-1`), so results sort without parsing ids. */
  idRank: number;
  /** Position of the USN by publication, newest first. */
  newestRank: number;
  /**
   * Memo of verdicts: installed version text (the binary's, or the source's
   * when `bySource`) -> below the fix, at or above it, or not a Debian
   * version. Hosts of a fleet mostly run the same few versions of a package,
   * so most judgements are one lookup, without parsing or comparing. Made on
   * first use (a catalog has many targets no host touches); bounded: emptied
   * when full.
   */
  verdicts: Map<string, Verdict> | null;
}

/** What an installed version is, judged against one fix. */
export const VERDICT = Object.freeze({ AT_OR_ABOVE: 0, BELOW: 1, UNJUDGED: 2 } as const);
export type Verdict = (typeof VERDICT)[keyof typeof VERDICT];

/** A fix left out of the index because its versions are not Debian versions. */
export interface UbuntuIndexProblem {
  usn: string;
  ecosystem: string;
  sourcePackage: string;
  reason: string;
}

/**
 * Reusable per-host bookkeeping, indexed by `idRank`: a stamp marks the
 * notices the current host touched, so no map is built per host.
 * Assessment is synchronous, so one scratch per index is never shared by two hosts at once.
 */
export interface UbuntuScratch {
  generation: number;
  stamps: Uint32Array;
  states: unknown[];
  /** Installed versions seen, parsed once for the whole fleet (bounded: cleared when full). */
  versions: DebVersionCache;
}

/** The fixes of one release for one binary (or source), split by archive. */
export interface UbuntuReleaseFixes {
  standard: UbuntuFixTarget[];
  pro: UbuntuFixTarget[];
}

/** The fixes that can apply to hosts of one release. */
export interface UbuntuReleaseIndex {
  /** Ecosystems a host of the release maps to (`ubuntuReleaseEcosystems`). */
  ecosystems: UbuntuReleaseEcosystems;
  /** Binary name -> fixes: one lookup per installed package. */
  byBinary: Map<string, UbuntuReleaseFixes>;
  /** Source name -> fixes, for records that list no binaries. */
  bySource: Map<string, UbuntuReleaseFixes>;
}

/** Per-catalog index of Ubuntu fixes; see `prepareUbuntuIndex`. */
export interface UbuntuIndex {
  readonly kind: 'ubuntu-index';
  /** Notices by `idRank`. */
  readonly usnsById: readonly UsnAdvisory[];
  readonly scratch: UbuntuScratch;
  /** Release (`24.04`) -> its fixes. */
  readonly releases: ReadonlyMap<string, UbuntuReleaseIndex>;
  /** Number of targets indexed. */
  readonly targets: number;
  readonly problems: readonly UbuntuIndexProblem[];
}

/** Distinct installed versions kept parsed: a fleet has far fewer than this; a flood of junk cannot grow it further. */
const INSTALLED_VERSIONS_KEPT = 200_000;

function push(map: Map<string, UbuntuReleaseFixes>, key: string, target: UbuntuFixTarget): void {
  let fixes = map.get(key);
  if (fixes === undefined) map.set(key, (fixes = { standard: [], pro: [] }));
  (target.pro ? fixes.pro : fixes.standard).push(target);
}

/**
 * Indexes every USN fix by ecosystem and binary name, versions parsed once.
 *
 * Left out: fixes without a fixed version (nothing to install), fixes of Pro
 * services with their own builds such as `FIPS-updates` (see `ubuntuEcosystems`),
 * and fixes whose versions do not parse (listed in `problems`). Variants such
 * as `Realtime:Kernel` are kept under their release's ecosystem: their
 * binaries (`linux-image-*-realtime`) and source (`linux-realtime`) are their
 * own, so matching on names keeps them to the hosts that run them.
 */
export function prepareUbuntuIndex(catalog: Pick<Catalog, 'usns'>): UbuntuIndex {
  const versions = new DebVersionCache();
  const releases = new Map<string, UbuntuReleaseIndex>();
  const problems: UbuntuIndexProblem[] = [];
  let targets = 0;
  const usnsById = [...catalog.usns].sort((a, b) => compareUsnIds(a.id, b.id));
  const idRank = new Map(usnsById.map((u, i) => [u, i]));
  const newestRank = new Map(
    [...catalog.usns].sort((a, b) => (a.published < b.published ? 1 : a.published > b.published ? -1 : compareUsnIds(a.id, b.id))).map((u, i) => [u, i]),
  );
  for (const usn of catalog.usns) {
    for (const fix of usn.fixes) {
      if (fix.fixedVersion === null || fix.proService !== null) continue;
      const problem = (reason: string): void => {
        problems.push({ usn: usn.id, ecosystem: fix.ecosystem, sourcePackage: fix.sourcePackage, reason });
      };
      const eco = parseUbuntuEcosystem(fix.ecosystem);
      if (eco === null || eco.proService !== null) {
        problem(`"${fix.ecosystem}" is not an ecosystem of a Ubuntu release`);
        continue;
      }
      const baseEcosystem = `Ubuntu:${eco.pro ? 'Pro:' : ''}${eco.release}${eco.lts ? ':LTS' : ''}`;
      const hostEcosystems = ubuntuReleaseEcosystems('ubuntu', eco.release);
      if (hostEcosystems === null || (baseEcosystem !== hostEcosystems.standard && baseEcosystem !== hostEcosystems.pro)) {
        problem(`"${fix.ecosystem}" is not an ecosystem hosts of Ubuntu ${eco.release} map to`);
        continue;
      }
      let release = releases.get(eco.release);
      if (release === undefined) releases.set(eco.release, (release = { ecosystems: hostEcosystems, byBinary: new Map(), bySource: new Map() }));
      const fixedSource = versions.get(fix.fixedVersion);
      if (fixedSource === null) {
        problem(`fixed version "${fix.fixedVersion}" is not a Debian version`);
        continue;
      }
      // cves_map can be empty where the notice does fix CVEs (USN-6719-1): empty means unknown.
      const cves = [...new Set(fix.cves !== null && fix.cves.length > 0 ? fix.cves : usn.cves)].sort(compareCveIds);
      // One literal shape for every target keeps the per-host loop's property reads monomorphic.
      const target = (fixed: string, fixedParsed: DebVersion, bySource: boolean): UbuntuFixTarget => ({
        usn,
        fix,
        sourcePackage: fix.sourcePackage,
        baseEcosystem,
        pro: eco.pro,
        fixed,
        fixedParsed,
        bySource,
        cves,
        idRank: idRank.get(usn)!,
        newestRank: newestRank.get(usn)!,
        verdicts: null,
      });
      if (fix.binaries.length === 0) {
        push(release.bySource, fix.sourcePackage, target(fix.fixedVersion, fixedSource, true));
        targets++;
        continue;
      }
      const seen = new Set<string>();
      for (const binary of fix.binaries) {
        const version = binary.version.trim();
        if (seen.has(`${binary.name}\u0000${version}`)) continue;
        seen.add(`${binary.name}\u0000${version}`);
        const parsed = version === '' ? null : versions.get(version);
        if (version !== '' && parsed === null) problem(`binary ${binary.name} version "${binary.version}" is not a Debian version; compared by source version`);
        push(release.byBinary, binary.name, parsed === null ? target(fix.fixedVersion, fixedSource, true) : target(version, parsed, false));
        targets++;
      }
    }
  }
  const scratch: UbuntuScratch = {
    generation: 0,
    stamps: new Uint32Array(usnsById.length),
    states: new Array<unknown>(usnsById.length),
    versions: new DebVersionCache(INSTALLED_VERSIONS_KEPT),
  };
  return { kind: 'ubuntu-index', usnsById, scratch, releases, targets, problems };
}
