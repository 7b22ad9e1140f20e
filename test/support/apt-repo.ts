/**
 * A local flat apt repository for tests that run real apt-get: one small
 * package in several versions, plus an apt config file that points apt at
 * this repository only, with lists and cache in the same temp dir, so the
 * machine's sources, lists and cache are never read or written.
 *
 * Several agents may use one config file. Without a dpkg root they share its
 * lists and cache, and `apt-get update` fails at once when another holds
 * `lists/lock`: run those one at a time. With a dpkg root the agent moves
 * lists and cache into the root (dpkgRootAptOptions), so agents on different
 * roots update and install in parallel.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalAptRepoOptions {
  /** Parent of the repository's temp dir; default the OS temp dir. */
  dir?: string;
  /** Test packages start with `pf-test-` (TEST_PACKAGE_PREFIX in ./dpkg). */
  packageName: string;
  /** Versions built at once; more can be added with `addVersion`. */
  versions: readonly string[];
}

export interface LocalAptRepo {
  /** Temp dir holding everything below; removed by `cleanup`. */
  dir: string;
  /** The flat repository (.deb files and Packages). */
  repoDir: string;
  /** apt.conf-style file for `-c` (ExecOptions.aptConfigFile). */
  aptConfigFile: string;
  /** The same settings as `-o` words (ExecOptions.aptOptions). */
  aptOptions: string[];
  packageName: string;
  /** Path of the file each version installs, relative to `/` (or a dpkg root). */
  versionFile: string;
  /** Builds another version's .deb and rescans. */
  addVersion(version: string): void;
  /** Deletes a version's .deb and rescans; agents see it after `apt-get update`. */
  removeVersion(version: string): void;
  /** Rewrites the Packages index from the .deb files present. */
  rescan(): void;
  cleanup(): void;
}

/**
 * Builds the repository with dpkg-deb and dpkg-scanpackages (package dpkg-dev).
 * Each version installs only `/usr/share/<name>/version` (holding the version)
 * and has no maintainer scripts, so it installs the same into a dpkg root.
 */
export function buildLocalAptRepo(opts: LocalAptRepoOptions): LocalAptRepo {
  const { packageName } = opts;
  const dir = mkdtempSync(join(opts.dir ?? tmpdir(), 'pf-apt-'));
  const repoDir = join(dir, 'repo');
  for (const sub of ['repo', 'build', 'lists/partial', 'cache/archives/partial']) mkdirSync(join(dir, sub), { recursive: true });
  const versionFile = `usr/share/${packageName}/version`;

  const settings: [string, string][] = [
    ['Dir::Etc::sourcelist', join(dir, 'sources.list')],
    ['Dir::Etc::sourceparts', '-'],
    ['Dir::State::Lists', join(dir, 'lists')],
    ['APT::Get::List-Cleanup', '0'],
    // Keep the machine's package cache (built from its real sources) untouched.
    ['Dir::Cache', join(dir, 'cache')],
    // The temp dir is not readable by the _apt user; fetching as root is fine here.
    ['APT::Sandbox::User', 'root'],
  ];
  writeFileSync(join(dir, 'sources.list'), `deb [trusted=yes] file:${repoDir} ./\n`);
  const aptConfigFile = join(dir, 'apt.conf');
  writeFileSync(aptConfigFile, settings.map(([k, v]) => `${k} "${v}";\n`).join(''));
  const aptOptions = settings.flatMap(([k, v]) => ['-o', `${k}=${v}`]);

  const debPath = (version: string) => join(repoDir, `${packageName}_${version}_all.deb`);
  const buildDeb = (version: string): void => {
    const root = join(dir, 'build', version);
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    mkdirSync(join(root, 'usr/share', packageName), { recursive: true });
    writeFileSync(
      join(root, 'DEBIAN/control'),
      `Package: ${packageName}\nVersion: ${version}\nArchitecture: all\nMaintainer: Patchfleet Tests <tests@patchfleet.invalid>\nDescription: Patchfleet test package\n`,
    );
    writeFileSync(join(root, versionFile), `${version}\n`);
    execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, debPath(version)], { stdio: 'pipe' });
  };
  const rescan = (): void => {
    const packages = execFileSync('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(join(repoDir, 'Packages'), packages);
  };

  try {
    opts.versions.forEach(buildDeb);
    rescan();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    repoDir,
    aptConfigFile,
    aptOptions,
    packageName,
    versionFile,
    addVersion: (version) => {
      buildDeb(version);
      rescan();
    },
    removeVersion: (version) => {
      rmSync(debPath(version));
      rescan();
    },
    rescan,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
