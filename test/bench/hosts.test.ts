import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareDebVersions, debVersionLt, parseDebVersion } from '@patchfleet/shared/debversion';
import { parseDpkgListFile, parseHotfixFile } from '@patchfleet/controller/src/assess/inputs';
import { kbIndex, readCvrfFile } from '@patchfleet/controller/src/catalog/feeds/index';
import { generateHostList, generateHosts, syntheticHost, type SyntheticHost, type UbuntuHost, type WindowsHost } from './hosts';
import { versionAbove } from './ubuntu-hosts';
import { HOTPATCH_26100, WINDOWS_FAMILIES } from './windows-hosts';

const USN_DIR = new URL('../fixtures/advisories/usn/', import.meta.url);
const MSRC_DIR = new URL('../fixtures/advisories/msrc/', import.meta.url);

const hosts = generateHostList(600, { seed: 42 });
const ubuntu = hosts.filter((h): h is UbuntuHost => h.kind === 'ubuntu');
const windows = hosts.filter((h): h is WindowsHost => h.kind === 'windows');

describe('synthetic hosts: determinism', () => {
  it('gives the same hosts for the same seed, and other hosts for another', () => {
    expect(generateHostList(40, { seed: 42 })).toEqual(hosts.slice(0, 40));
    const other = generateHostList(40, { seed: 43 });
    expect(other).not.toEqual(hosts.slice(0, 40));
  });

  it('makes host i the same host however the run is split', () => {
    expect(syntheticHost(123, { seed: 42 })).toEqual(hosts[123]);
    expect([...generateHosts(10, { seed: 42 }, 300)]).toEqual(hosts.slice(300, 310));
  });

  it('is lazy: a billion hosts cost nothing until they are read', () => {
    const started = performance.now();
    const run = generateHosts(1e9, { seed: 42 });
    const first = run.next();
    expect(first.done).toBe(false);
    expect(first.value).toEqual(hosts[0]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('synthetic hosts: shape and size', () => {
  it('mixes Ubuntu and Windows hosts as asked', () => {
    expect(windows.length / hosts.length).toBeGreaterThan(0.3);
    expect(windows.length / hosts.length).toBeLessThan(0.5);
    expect(generateHostList(50, { seed: 1, windowsShare: 0 }).every((h) => h.kind === 'ubuntu')).toBe(true);
    expect(generateHostList(50, { seed: 1, windowsShare: 1 }).every((h) => h.kind === 'windows')).toBe(true);
  });

  it('gives Ubuntu hosts about 1,500 packages on 20.04, 22.04 and 24.04, each package once', () => {
    const sizes = ubuntu.map((h) => h.packages.length);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThan(1400);
    expect(mean).toBeLessThan(1600);
    expect(Math.min(...sizes)).toBeGreaterThan(1200);
    expect(Math.max(...sizes)).toBeLessThan(1800);
    expect(new Set(ubuntu.map((h) => h.release))).toEqual(new Set(['20.04', '22.04', '24.04']));
    for (const h of ubuntu) expect(new Set(h.packages.map((p) => `${p.name}:${p.arch}`)).size).toBe(h.packages.length);
    const smaller = generateHostList(30, { seed: 5, windowsShare: 0, packagesPerHost: 800 }) as UbuntuHost[];
    for (const h of smaller) expect(h.packages.length).toBeLessThan(1000);
  });

  it('gives every package a version and a source version that parse', () => {
    const versions = new Set(ubuntu.flatMap((h) => h.packages.flatMap((p) => [p.version, p.sourceVersion])));
    expect(versions.size).toBeGreaterThan(1000);
    for (const v of versions) expect(() => parseDebVersion(v), v).not.toThrow();
  });

  it('writes Ubuntu hosts that `assess --dpkg` reads back as they are', () => {
    const host = ubuntu[0]!;
    const text = host.packages.map((p) => `${p.name}:${p.arch}\t${p.version}\t${p.sourceName}\t${p.sourceVersion}`).join('\n');
    expect(parseDpkgListFile(text, 'host.tsv').map(({ manager: _m, ...p }) => p)).toEqual(host.packages);
  });

  it('gives Windows hosts a known build, a UBR and a hotfix list that `assess --hotfix` reads back', () => {
    const builds = new Set(WINDOWS_FAMILIES.map((f) => f.build));
    for (const h of windows) {
      expect(builds.has(h.build)).toBe(true);
      expect(Number.isInteger(h.ubr) && h.ubr > 0).toBe(true);
      expect(h.hotfixes.length).toBeLessThanOrEqual(8);
      for (const fix of h.hotfixes) expect(fix.kb).toMatch(/^KB\d{7}$/);
      if (h.hotpatchEnrolled) expect(['10.0.26100']).toContain(h.build);
    }
    expect(windows.some((h) => h.hotpatchEnrolled && h.hotfixes.some((f) => f.kb === HOTPATCH_26100.baseline.kb))).toBe(true);
    // As Get-HotFix | Select-Object ... | ConvertTo-Json would print them.
    const h = windows.find((w) => w.hotfixes.length >= 2)!;
    const json = JSON.stringify(
      h.hotfixes.map((f) => ({ HotFixID: f.kb, Description: f.description, InstalledOn: f.installedOn && usDate(f.installedOn), InstalledBy: f.installedBy })),
    );
    expect(parseHotfixFile(json, 'hotfix.json')).toEqual(h.hotfixes);
  });
});

describe('synthetic hosts: realism', () => {
  it('has a realistic share of Ubuntu hosts missing a realistic number of USNs', () => {
    const missing = ubuntu.map((h) => missingUsns(h).length);
    const behind = missing.filter((n) => n > 0).length / missing.length;
    const mean = missing.reduce((a, b) => a + b, 0) / missing.length;
    // About half the fleet is up to date; the rest miss a few to a couple of dozen of the 38 fixture USNs.
    expect(behind).toBeGreaterThan(0.3);
    expect(behind).toBeLessThan(0.7);
    expect(mean).toBeGreaterThan(1);
    expect(mean).toBeLessThan(15);
    expect(Math.max(...missing)).toBeGreaterThan(10);
  });

  it('has Windows hosts on every month, mostly the newest', () => {
    const newest = new Set(WINDOWS_FAMILIES.map((f) => `${f.build}.${f.updates.at(-1)!.ubr}`));
    const current = windows.filter((h) => newest.has(`${h.build}.${h.ubr}`) || (h.hotpatchEnrolled && h.ubr === 7392)).length;
    expect(current / windows.length).toBeGreaterThan(0.3);
    expect(current / windows.length).toBeLessThan(0.7);
  });

  it('places versions below, at and above a fix', () => {
    expect(versionAbove('1.9.9-1ubuntu2.5')).toBe('1.9.9-1ubuntu2.6');
    expect(versionAbove('1:2.37.2-4ubuntu3.3')).toBe('1:2.37.2-4ubuntu3.4');
    expect(compareDebVersions(versionAbove('1.0~rc1'), '1.0~rc1')).toBeGreaterThan(0);
    const sudo = ubuntu.filter((h) => h.release === '22.04').flatMap((h) => h.packages.filter((p) => p.name === 'sudo').map((p) => p.version));
    const fixed = '1.9.9-1ubuntu2.5';
    expect(sudo.some((v) => compareDebVersions(v, fixed) < 0)).toBe(true);
    expect(sudo.some((v) => compareDebVersions(v, fixed) === 0)).toBe(true);
    expect(sudo.some((v) => compareDebVersions(v, fixed) > 0)).toBe(true);
  });

  it('uses the cumulative updates and builds the MSRC fixtures publish', async () => {
    const builds = new Map<string, Set<string>>();
    for (const file of readdirSync(MSRC_DIR).filter((f) => f.endsWith('.xml'))) {
      for (const entry of kbIndex(await readCvrfFile(new URL(file, MSRC_DIR).pathname))) {
        const set = builds.get(`KB${entry.kb}`) ?? new Set<string>();
        for (const b of Object.values(entry.fixedBuildByProduct)) set.add(b);
        builds.set(`KB${entry.kb}`, set);
      }
    }
    for (const family of WINDOWS_FAMILIES) {
      for (const u of family.updates) expect(builds.get(u.kb), `${family.name} ${u.kb}`).toContain(`${family.build}.${u.ubr}`);
    }
    for (const h of HOTPATCH_26100.hotpatches) expect(builds.get(h.kb)).toContain(`10.0.26100.${h.ubr}`);
    expect(builds.has(HOTPATCH_26100.baseline.kb)).toBe(true);
  }, 60_000);
});

// M/d/yyyy, as WMI writes InstalledOn.
function usDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${Number(m)}/${Number(d)}/${y}`;
}

interface FixtureFix {
  usn: string;
  release: string;
  binaries: { name: string; version: string }[];
}

let fixtureFixes: FixtureFix[] | undefined;

// USN fixes of the fixtures for plain LTS releases, read straight from the OSV JSON (independent of the generator).
function usnFixes(): FixtureFix[] {
  fixtureFixes ??= readdirSync(USN_DIR)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const record = JSON.parse(readFileSync(new URL(f, USN_DIR), 'utf8')) as {
        id: string;
        affected: { package: { ecosystem: string }; ecosystem_specific?: { binaries?: { binary_name: string; binary_version: string }[] } }[];
      };
      return record.affected.flatMap((a) => {
        const release = /^Ubuntu:(\d\d\.\d\d):LTS$/.exec(a.package.ecosystem)?.[1];
        if (release === undefined) return [];
        return [{ usn: record.id, release, binaries: (a.ecosystem_specific?.binaries ?? []).map((b) => ({ name: b.binary_name, version: b.binary_version })) }];
      });
    });
  return fixtureFixes;
}

function missingUsns(host: SyntheticHost & { kind: 'ubuntu' }): string[] {
  const installed = new Map(host.packages.map((p) => [p.name, p.version]));
  return usnFixes()
    .filter((fix) => fix.release === host.release && fix.binaries.some((b) => installed.has(b.name) && debVersionLt(installed.get(b.name)!, b.version)))
    .map((fix) => fix.usn);
}
