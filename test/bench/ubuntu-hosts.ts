/**
 * Synthetic Ubuntu hosts for the assess benchmark: about 1,500 real
 * packages each, with the packages the USN fixtures name at versions below,
 * at and above their fixes, so hosts miss USNs in realistic numbers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { compareDebVersions } from '@patchfleet/shared/debversion';
import { parseDpkgListFile } from '@patchfleet/controller/src/assess/dpkg-list';
import { parseUsnOsv } from '@patchfleet/controller/src/catalog/feeds/usn-osv';
import type { UsnRecord } from '@patchfleet/controller/src/catalog/feeds/types';
import type { Rng } from './rng';

/** One installed package, as the agent reports it (less the manager). */
export interface HostPackage {
  readonly name: string;
  readonly version: string;
  readonly sourceName: string;
  readonly sourceVersion: string;
  readonly arch: string;
}

export interface UbuntuHost {
  kind: 'ubuntu';
  /** e.g. `24.04` */
  release: string;
  packages: HostPackage[];
}

/** How far behind on updates a host is: decides where on each package's version ladder it sits. */
export type PatchProfile = 'current' | 'lagging' | 'stale';

/**
 * Most fleets: about half the hosts patch on time, a third run some weeks
 * behind, a few are forgotten. (Vendor reports on patch latency put the
 * share of hosts a month or more behind between a third and a half.)
 */
export const PATCH_PROFILES: readonly (readonly [PatchProfile, number])[] = [
  ['current', 0.55],
  ['lagging', 0.3],
  ['stale', 0.15],
];

/** Releases with plain (non-Pro) fixes in the USN fixtures, weighted like a fleet in 2025. */
export const UBUNTU_RELEASES: readonly (readonly [string, number])[] = [
  ['24.04', 0.45],
  ['22.04', 0.4],
  ['20.04', 0.15],
];

const FIXTURES = new URL('../fixtures/advisories/usn/', import.meta.url);
const MACHINE_LIST = new URL('../../controller/src/assess/fixtures/dpkg-list.debian12.tsv', import.meta.url);
const EXTRAS_LIST = new URL('./fixtures/debian12-server-extras.tsv', import.meta.url);

// Chances that a host has a package: one a minimal machine has, one of the
// server-role extras, or one nothing here installs (a -dev or niche binary).
const CHANCE_COMMON = 0.97;
const CHANCE_EXTRA = 0.5;
const CHANCE_RARE = 0.1;
// Sources in Ubuntu Server's default install (apport, sudo, cloud-init's
// jinja2, ...) that a Debian machine lacks, so the lists above miss them.
const UBUNTU_DEFAULTS = new Set(['apport', 'sudo', 'busybox', 'jinja2', 'python-idna']);

/** A version ladder of one source package in one release: what a host can have installed. */
interface Ladder {
  sourceName: string;
  /** Affected and fixed versions, then one above the last fix, in dpkg order. */
  versions: string[];
  /** Index in `versions` of the newest fix. */
  topFixed: number;
  chance: number;
  binaries: { name: string; chance: number; epochPrefix: string; fixedAt: Map<string, string> }[];
}

interface Row {
  name: string;
  version: string;
  sourceName: string;
  sourceVersion: string;
}

/**
 * The package objects of one architecture, made once and shared by every
 * host (frozen): 10,000 hosts then hold 15 million references, not 15
 * million objects, and generating a host allocates almost nothing.
 */
interface ArchPackages {
  common: readonly HostPackage[];
  extras: readonly HostPackage[];
  /** Per ladder: per rung, per binary. */
  ladders: Map<Ladder, HostPackage[][]>;
}

/** Everything Ubuntu hosts are drawn from; load once with loadUbuntuPool and share. */
export interface UbuntuPool {
  ladders: ReadonlyMap<string, readonly Ladder[]>;
  /** Packages of the development machine that no USN names. */
  common: readonly Row[];
  /** Server-role packages that no USN names. */
  extras: readonly Row[];
  byArch: Map<string, ArchPackages>;
}

/** Reads the USN fixtures and the package lists (synchronously: a few hundred ms, once). */
export function loadUbuntuPool(): UbuntuPool {
  const records = readdirSync(FIXTURES)
    .filter((f) => /^USN-.*\.json$/.test(f))
    .sort()
    .map((f) => parseUsnOsv(JSON.parse(readFileSync(new URL(f, FIXTURES), 'utf8')), f));
  const machine = parseDpkgListFile(readFileSync(MACHINE_LIST), 'dpkg-list.debian12.tsv');
  const extras = parseDpkgListFile(readFileSync(EXTRAS_LIST), 'debian12-server-extras.tsv');

  const commonNames = new Set(machine.flatMap((p) => [baseName(p.name), p.sourceName]));
  const extraNames = new Set(extras.flatMap((p) => [baseName(p.name), p.sourceName]));
  const chanceOf = (...names: string[]) =>
    names.some((n) => commonNames.has(baseName(n)) || UBUNTU_DEFAULTS.has(n))
      ? CHANCE_COMMON
      : names.some((n) => extraNames.has(baseName(n)))
        ? CHANCE_EXTRA
        : CHANCE_RARE;

  const ladders = new Map<string, Ladder[]>();
  const usnNames = new Set<string>();
  for (const [release] of UBUNTU_RELEASES) {
    const list = buildLadders(records, release, chanceOf);
    ladders.set(release, list);
    for (const l of list) {
      usnNames.add(l.sourceName);
      for (const b of l.binaries) usnNames.add(b.name);
    }
  }
  // Debian versions of packages a USN names would decide applicability wrongly: those come from the ladders only.
  const unnamed = (p: Row) => !usnNames.has(p.name) && !usnNames.has(p.sourceName);
  const machineNames = new Set(machine.map((p) => p.name));
  return {
    ladders,
    common: dedupe(machine.filter(unnamed)),
    extras: dedupe(extras.filter((p) => unnamed(p) && !machineNames.has(p.name))),
    byArch: new Map(),
  };
}

/** One Ubuntu host of about `targetPackages` packages; see PATCH_PROFILES for how versions are chosen. */
export function ubuntuHost(rng: Rng, pool: UbuntuPool, targetPackages: number): UbuntuHost {
  const release = rng.weighted(UBUNTU_RELEASES);
  const arch = rng.chance(0.1) ? 'arm64' : 'amd64';
  const profile = rng.weighted(PATCH_PROFILES);
  const made = archPackages(pool, arch);
  const packages: HostPackage[] = [];
  for (const ladder of pool.ladders.get(release) ?? []) {
    if (!rng.chance(ladder.chance)) continue;
    const atRung = made.ladders.get(ladder)![rung(rng, ladder, profile)]!;
    ladder.binaries.forEach((bin, i) => {
      if (rng.chance(bin.chance)) packages.push(atRung[i]!);
    });
  }
  for (const p of made.common) if (rng.chance(CHANCE_COMMON)) packages.push(p);
  // Hosts differ in size by +-10% around the target; extras fill up to it.
  const target = targetPackages * (0.9 + 0.2 * rng.next());
  const extraChance = Math.min(1, Math.max(0, (target - packages.length) / Math.max(1, made.extras.length)));
  for (const p of made.extras) if (rng.chance(extraChance)) packages.push(p);
  return { kind: 'ubuntu', release, packages };
}

function archPackages(pool: UbuntuPool, arch: string): ArchPackages {
  let made = pool.byArch.get(arch);
  if (made !== undefined) return made;
  const pkg = (name: string, version: string, sourceName: string, sourceVersion: string): HostPackage => Object.freeze({ name, version, sourceName, sourceVersion, arch });
  const ladders = new Map<Ladder, HostPackage[][]>();
  for (const list of pool.ladders.values()) {
    for (const ladder of list) {
      ladders.set(
        ladder,
        ladder.versions.map((version) => ladder.binaries.map((bin) => pkg(bin.name, bin.fixedAt.get(version) ?? bin.epochPrefix + version, ladder.sourceName, version))),
      );
    }
  }
  made = {
    common: pool.common.map((r) => pkg(r.name, r.version, r.sourceName, r.sourceVersion)),
    extras: pool.extras.map((r) => pkg(r.name, r.version, r.sourceName, r.sourceVersion)),
    ladders,
  };
  pool.byArch.set(arch, made);
  return made;
}

function rung(rng: Rng, ladder: Ladder, profile: PatchProfile): number {
  const last = ladder.versions.length - 1;
  switch (profile) {
    case 'current':
      // On the newest fix, or on a later update that carries it.
      return rng.chance(0.8) ? ladder.topFixed : last;
    case 'lagging':
      // Anywhere from the newest fix down to two rungs below it.
      return Math.max(0, ladder.topFixed - rng.int(3));
    case 'stale':
      return rng.int(ladder.topFixed + 1);
  }
}

function buildLadders(records: readonly UsnRecord[], release: string, chanceOf: (...names: string[]) => number): Ladder[] {
  const bySource = new Map<string, { versions: string[]; fixes: string[]; binaries: Map<string, Map<string, string>> }>();
  for (const record of records) {
    for (const a of record.affected) {
      if (a.release !== release || a.pro || a.proService !== null || a.variant !== null || a.fixedVersion === null) continue;
      let entry = bySource.get(a.sourcePackage);
      if (entry === undefined) bySource.set(a.sourcePackage, (entry = { versions: [], fixes: [], binaries: new Map() }));
      entry.versions.push(...a.affectedVersions, a.fixedVersion);
      entry.fixes.push(a.fixedVersion);
      for (const b of a.binaries) {
        // Debug symbols live in a separate archive (ddebs) that hosts rarely enable.
        if (b.name.endsWith('-dbgsym')) continue;
        let fixedAt = entry.binaries.get(b.name);
        if (fixedAt === undefined) entry.binaries.set(b.name, (fixedAt = new Map()));
        fixedAt.set(a.fixedVersion, b.version);
      }
    }
  }
  const ladders: Ladder[] = [];
  for (const [sourceName, entry] of [...bySource].sort(([a], [b]) => a.localeCompare(b))) {
    if (entry.binaries.size === 0) continue;
    const versions = sortedUnique(entry.versions);
    const newestFix = sortedUnique(entry.fixes).at(-1)!;
    const topFixed = versions.findIndex((v) => compareDebVersions(v, newestFix) === 0);
    versions.push(versionAbove(newestFix));
    const binaries = [...entry.binaries]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, fixedAt]) => {
        // bsdutils carries an epoch its source (util-linux) does not: keep it on every rung.
        const binVersion = fixedAt.values().next().value!;
        const epoch = /^\d+:/.exec(binVersion)?.[0] ?? '';
        return { name, chance: chanceOf(name), epochPrefix: epoch !== '' && !newestFix.startsWith(epoch) ? epoch : '', fixedAt };
      });
    ladders.push({ sourceName, versions, topFixed, chance: chanceOf(sourceName, ...binaries.map((b) => b.name)), binaries });
  }
  return ladders;
}

function sortedUnique(versions: readonly string[]): string[] {
  const sorted = [...new Set(versions)].sort(compareDebVersions);
  return sorted.filter((v, i) => i === 0 || compareDebVersions(sorted[i - 1]!, v) !== 0);
}

/**
 * A version just above `v`, as the next update of the package would carry:
 * the last number in it plus one (`2.39-0ubuntu8.4` -> `2.39-0ubuntu8.5`).
 */
export function versionAbove(v: string): string {
  const bumped = v.replace(/(\d+)(\D*)$/, (_, n: string, rest: string) => `${Number(n) + 1}${rest}`);
  if (bumped !== v && compareDebVersions(bumped, v) > 0) return bumped;
  return `${v}.1`;
}

// Ubuntu 24.04 renamed libraries for 64-bit time_t (libssl3 -> libssl3t64); Debian 12 did not.
function baseName(name: string): string {
  return name.endsWith('t64') ? name.slice(0, -3) : name;
}

function dedupe(rows: readonly Row[]): Row[] {
  const byName = new Map<string, Row>();
  for (const row of rows) if (!byName.has(row.name)) byName.set(row.name, row);
  return [...byName.values()];
}
