import { beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, UsnAdvisory } from '../model';
import { dpkgLessThanAll, pairKey } from './dpkg-oracle';
import { fixtureCatalog, fixtureUsnRecords } from './fixture-catalog';
import { type UbuntuHost, type UbuntuInstalledPackage, assessUbuntu } from './ubuntu';
import { prepareUbuntuIndex } from './ubuntu-index';

let catalog: Catalog;
/** Source versions each record lists as affected, per `USN id \0 ecosystem \0 source`. */
const affectedVersions = new Map<string, string[]>();

beforeAll(async () => {
  catalog = await fixtureCatalog([]);
  for (const record of await fixtureUsnRecords()) {
    for (const a of record.affected) affectedVersions.set(`${record.id}\u0000${a.ecosystem}\u0000${a.sourcePackage}`, a.affectedVersions);
  }
});

function usn(id: string): UsnAdvisory {
  const found = catalog.usns.find((u) => u.id === id);
  if (found === undefined) throw new Error(`${id} is not in the fixtures`);
  return found;
}

function pkg(name: string, version: string, sourceName: string, sourceVersion = version.replace(/^\d+:/, ''), arch = 'amd64'): UbuntuInstalledPackage {
  return { name, version, sourceName, sourceVersion, arch };
}

// ---------------------------------------------------------------- the rule, judged by the real dpkg

const EPOCH = /^(\d+):/;

/** Installed versions around a fixed version: below it, equal, above it. */
function variantsAround(fixed: string, fixedSource: string, olderSources: string[]): string[] {
  const out = new Set<string>([`${fixed}~`, fixed, `${fixed}+1`, `${fixed}.1`]);
  const digits = /(\d+)(?!.*\d)/.exec(fixed);
  if (digits !== null && Number(digits[1]) > 0) out.add(fixed.slice(0, digits.index) + String(Number(digits[1]) - 1) + fixed.slice(digits.index + digits[1]!.length));
  const epoch = EPOCH.exec(fixed);
  // An installed binary without its epoch (what dpkg's source:Version looks like) sorts below.
  if (epoch !== null && epoch[1] !== '0') out.add(fixed.slice(epoch[0].length));
  // Real earlier versions of the source, carried over to the binary's epoch when the source has none.
  const last = olderSources.at(-1);
  if (last !== undefined) {
    const sourceEpoch = EPOCH.test(fixedSource);
    out.add(epoch !== null && !sourceEpoch ? `${epoch[0]}${last}` : last);
  }
  return [...out];
}

interface Case {
  label: string;
  host: UbuntuHost;
}

/** One host per USN, release, package variant kind: all binaries of the USN's fixes for that release. */
function casesFor(advisories: UsnAdvisory[]): Case[] {
  const cases: Case[] = [];
  for (const u of advisories) {
    const byRelease = new Map<string, UsnAdvisory['fixes']>();
    for (const fix of u.fixes) {
      if (fix.fixedVersion === null || fix.proService !== null) continue;
      byRelease.set(fix.release, [...(byRelease.get(fix.release) ?? []), fix]);
    }
    for (const [release, fixes] of byRelease) {
      const perBinary = fixes.flatMap((fix) =>
        fix.binaries.map((b) => ({ fix, b, variants: variantsAround(b.version, fix.fixedVersion!, affectedVersions.get(`${u.id}\u0000${fix.ecosystem}\u0000${fix.sourcePackage}`) ?? []) })),
      );
      const kinds = Math.max(...perBinary.map((p) => p.variants.length));
      for (let k = 0; k < kinds; k++) {
        const packages = new Map<string, UbuntuInstalledPackage>();
        for (const { fix, b, variants } of perBinary) {
          const version = variants[k % variants.length]!;
          const sourceVersion = EPOCH.test(fix.fixedVersion!) ? version : version.replace(EPOCH, '');
          packages.set(b.name, pkg(b.name, version, fix.sourcePackage, sourceVersion));
        }
        cases.push({ label: `${u.id} on ${release} #${k}`, host: { release, packages: [...packages.values()] } });
      }
    }
  }
  return cases;
}

interface Expected {
  missing: Map<string, { name: string; fixed: string; pro: boolean }[]>;
  applies: Set<string>;
}

/**
 * The rule read literally, with dpkg as the judge: a USN is missing when an
 * installed binary of an affected source is below the fix for the host's release;
 * the standard ecosystem's fix when the USN has one for the package, else Pro's.
 */
function expectedFor(host: UbuntuHost, lessThan: Map<string, boolean>): Expected {
  const lts = Number(host.release.slice(0, 2)) % 2 === 0 && host.release.endsWith('.04');
  const standard = lts ? `Ubuntu:${host.release}:LTS` : `Ubuntu:${host.release}`;
  const pro = `Ubuntu:Pro:${host.release}:LTS`;
  const expected: Expected = { missing: new Map(), applies: new Set() };
  for (const u of catalog.usns) {
    for (const p of host.packages) {
      const fixesIn = (ecosystem: string) =>
        u.fixes.filter((f) => f.ecosystem === ecosystem && f.fixedVersion !== null && f.sourcePackage === p.sourceName && f.binaries.some((b) => b.name === p.name));
      const std = fixesIn(standard);
      const chosen = std.length > 0 ? std.map((f) => ({ f, pro: false })) : lts ? fixesIn(pro).map((f) => ({ f, pro: true })) : [];
      for (const { f, pro: viaPro } of chosen) {
        for (const b of f.binaries.filter((x) => x.name === p.name)) {
          expected.applies.add(u.id);
          const lt = lessThan.get(pairKey(p.version, b.version));
          if (lt === undefined) throw new Error(`dpkg was not asked about ${p.version} < ${b.version}`);
          if (lt) expected.missing.set(u.id, [...(expected.missing.get(u.id) ?? []), { name: p.name, fixed: b.version, pro: viaPro }]);
        }
      }
    }
  }
  return expected;
}

describe('assessUbuntu on the real USN records, judged by dpkg', () => {
  it('finds exactly the USNs whose fixed binary versions dpkg puts above the installed ones', async () => {
    const cases = casesFor(catalog.usns);
    const pairs: [string, string][] = [];
    for (const { host } of cases) {
      for (const p of host.packages) {
        for (const u of catalog.usns) {
          for (const f of u.fixes) {
            if (f.release !== host.release) continue;
            for (const b of f.binaries) if (b.name === p.name) pairs.push([p.version, b.version]);
          }
        }
      }
    }
    const lessThan = await dpkgLessThanAll(pairs);
    const index = prepareUbuntuIndex(catalog);
    expect(index.problems).toEqual([]);
    let missingSeen = 0;
    let installedSeen = 0;
    for (const { label, host } of cases) {
      const expected = expectedFor(host, lessThan);
      const result = assessUbuntu(host, index);
      const got = new Map(result.missing.map((f) => [f.id, f]));
      expect([...got.keys()].sort(), label).toEqual([...expected.missing.keys()].sort());
      for (const [id, pkgs] of expected.missing) {
        const finding = got.get(id)!;
        expect(finding.packages.map((p) => [p.name, p.fixed, p.requires === 'ubuntu-pro']).sort(), `${label} ${id}`).toEqual(
          pkgs.map((p) => [p.name, p.fixed, p.pro]).sort(),
        );
        expect(finding.requires === 'ubuntu-pro', `${label} ${id}`).toBe(pkgs.some((p) => p.pro));
      }
      const satisfied = [...expected.applies].filter((id) => !expected.missing.has(id)).sort();
      expect([...result.installed].sort(), label).toEqual(satisfied);
      expect(result.unjudged).toEqual([]);
      missingSeen += got.size;
      installedSeen += result.installed.length;
    }
    // The variants must exercise both sides of every fix, not just one.
    expect(cases.length).toBeGreaterThan(300);
    expect(missingSeen).toBeGreaterThan(300);
    expect(installedSeen).toBeGreaterThan(300);
  }, 120_000);
});

describe('assessUbuntu: what the data asks for', () => {
  it('compares a binary that carries an epoch its source lacks with its own fixed version (bsdutils, USN-6719-1)', () => {
    const fix = usn('USN-6719-1').fixes.find((f) => f.release === '22.04')!;
    expect(fix.fixedVersion).toBe('2.37.2-4ubuntu3.3');
    expect(fix.binaries.find((b) => b.name === 'bsdutils')?.version).toBe('1:2.37.2-4ubuntu3.3');
    const below = assessUbuntu({ release: '22.04', packages: [pkg('bsdutils', '1:2.37.2-4ubuntu3.2', 'util-linux')] }, catalog);
    expect(below.missing.map((f) => f.id)).toEqual(['USN-6719-1']);
    expect(below.missing[0]!.packages).toEqual([
      { name: 'bsdutils', arch: 'amd64', installed: '1:2.37.2-4ubuntu3.2', fixed: '1:2.37.2-4ubuntu3.3', fixedVia: 'Ubuntu:22.04:LTS' },
    ]);
    const fixed = assessUbuntu({ release: '22.04', packages: [pkg('bsdutils', '1:2.37.2-4ubuntu3.3', 'util-linux')] }, catalog);
    expect(fixed.missing).toEqual([]);
    expect(fixed.installed).toEqual(['USN-6719-1']);
  });

  it('marks a fix published only through Ubuntu Pro (python-tornado on 22.04, USN-7150-1)', () => {
    const host = { release: '22.04', packages: [pkg('python3-tornado', '6.1.0-3', 'python-tornado', '6.1.0-3', 'all')] };
    const [finding, ...rest] = assessUbuntu(host, catalog).missing;
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ id: 'USN-7150-1', requires: 'ubuntu-pro', fixedVia: 'Ubuntu:Pro:22.04:LTS' });
    expect(finding!.packages).toEqual([
      { name: 'python3-tornado', arch: 'all', installed: '6.1.0-3', fixed: '6.1.0-3ubuntu0.1~esm1', fixedVia: 'Ubuntu:Pro:22.04:LTS', requires: 'ubuntu-pro' },
    ]);
    // The same notice on 24.04 is fixed in the standard archive.
    const noble = assessUbuntu({ release: '24.04', packages: [pkg('python3-tornado', '6.4.0-1', 'python-tornado', '6.4.0-1', 'all')] }, catalog);
    expect(noble.missing[0]).toMatchObject({ id: 'USN-7150-1', fixedVia: 'Ubuntu:24.04:LTS' });
    expect(noble.missing[0]).not.toHaveProperty('requires');
  });

  it('prefers the standard fix when a package is fixed in both the standard archive and Pro', () => {
    const real = usn('USN-7150-1');
    const std = real.fixes.find((f) => f.ecosystem === 'Ubuntu:24.04:LTS')!;
    // A Pro fix for the same release and package, with a higher version: it must not be used.
    const proTwin = { ...std, ecosystem: 'Ubuntu:Pro:24.04:LTS', pro: true, binaries: std.binaries.map((b) => ({ ...b, version: `${b.version}+esm9` })) };
    const both: Pick<Catalog, 'usns'> = { usns: [{ ...real, fixes: [proTwin, std] }] };
    const atStandardFix = assessUbuntu({ release: '24.04', packages: [pkg('python3-tornado', '6.4.0-1ubuntu0.1', 'python-tornado')] }, both);
    expect(atStandardFix.missing).toEqual([]);
    expect(atStandardFix.installed).toEqual(['USN-7150-1']);
    const below = assessUbuntu({ release: '24.04', packages: [pkg('python3-tornado', '6.4.0-1', 'python-tornado')] }, both);
    expect(below.missing[0]).toMatchObject({ fixedVia: 'Ubuntu:24.04:LTS', packages: [{ fixed: '6.4.0-1ubuntu0.1' }] });
    expect(below.missing[0]).not.toHaveProperty('requires');
  });

  it('ignores releases the notice does not cover (cups-browsed: USN-7042-1 is for 24.04 only)', () => {
    expect(usn('USN-7042-1').fixes.map((f) => f.release)).toEqual(['24.04']);
    const jammy = assessUbuntu({ release: '22.04', packages: [pkg('cups-browsed', '1.28.15-0ubuntu1', 'cups-filters')] }, catalog);
    expect(jammy.missing.map((f) => f.id)).not.toContain('USN-7042-1');
    expect(jammy.installed).not.toContain('USN-7042-1');
    // A release no record names at all.
    expect(assessUbuntu({ release: '23.04', packages: [pkg('sudo', '1.9.0-1', 'sudo')] }, catalog)).toEqual({ missing: [], installed: [], unjudged: [] });
  });

  it('ignores notices whose binaries are not installed', () => {
    const result = assessUbuntu({ release: '24.04', packages: [pkg('hello', '2.10-3build1', 'hello'), pkg('libsudo-dev-not-real', '1.0', 'sudo')] }, catalog);
    expect(result).toEqual({ missing: [], installed: [], unjudged: [] });
  });

  it('ignores a binary of the same name built from another source package', () => {
    const fromPpa = assessUbuntu({ release: '22.04', packages: [pkg('curl', '7.81.0-1', 'curl-vendor')] }, catalog);
    expect(fromPpa.missing).toEqual([]);
    // dpkg printing no source: the agent reports the binary's own name, and the package is judged.
    const noSource = assessUbuntu({ release: '22.04', packages: [pkg('libcurl4', '7.81.0-1', 'libcurl4')] }, catalog);
    expect(noSource.missing.map((f) => f.id)).toEqual(['USN-7012-1', 'USN-6718-1', 'USN-6429-1']);
  });

  it('judges each architecture of a multi-arch package', () => {
    const host = { release: '22.04', packages: [pkg('libc6', '2.35-0ubuntu3.6', 'glibc', '2.35-0ubuntu3.6', 'amd64'), pkg('libc6', '2.35-0ubuntu3.7', 'glibc', '2.35-0ubuntu3.7', 'i386')] };
    const result = assessUbuntu(host, catalog);
    const glibc = result.missing.find((f) => f.id === 'USN-6737-1');
    expect(glibc?.packages.map((p) => p.arch)).toEqual(['amd64']);
    expect(result.installed).toContain('USN-6409-1');
  });

  it('uses the per-release CVE list when the record gives one, else the notice\'s', () => {
    const curl = assessUbuntu({ release: '20.04', packages: [pkg('curl', '7.68.0-1ubuntu2.19', 'curl')] }, catalog);
    // USN-6429-1 fixes CVE-2023-38545 only where curl 8 shipped; 20.04's cves_map names CVE-2023-38546 alone.
    expect(curl.missing.find((f) => f.id === 'USN-6429-1')?.cves).toEqual(['CVE-2023-38546']);
    // USN-6719-1's cves_map lists nothing: the notice's CVE applies.
    const util = assessUbuntu({ release: '20.04', packages: [pkg('util-linux', '2.34-0.1ubuntu9.4', 'util-linux')] }, catalog);
    expect(util.missing.find((f) => f.id === 'USN-6719-1')?.cves).toEqual(['CVE-2024-28085']);
  });

  it('reports installed versions dpkg would reject instead of judging them', () => {
    const result = assessUbuntu({ release: '24.04', packages: [pkg('sudo', 'not a version', 'sudo')] }, catalog);
    expect(result.missing).toEqual([]);
    expect(result.unjudged).toEqual([{ name: 'sudo', arch: 'amd64', version: 'not a version' }]);
  });

  it('falls back to source versions for records that list no binaries', () => {
    const real = usn('USN-7604-1');
    const noBinaries: Pick<Catalog, 'usns'> = { usns: [{ ...real, fixes: real.fixes.map((f) => ({ ...f, binaries: [] })) }] };
    const below = assessUbuntu({ release: '24.04', packages: [pkg('sudo-ldap', '1.9.15p5-3ubuntu5', 'sudo')] }, noBinaries);
    expect(below.missing[0]?.packages).toEqual([
      { name: 'sudo-ldap', arch: 'amd64', installed: '1.9.15p5-3ubuntu5', fixed: '1.9.15p5-3ubuntu5.24.04.1', fixedVia: 'Ubuntu:24.04:LTS' },
    ]);
  });
});
