/**
 * Pure builders of the exact argv and environment for apt-get, apt-cache and
 * dpkg-query. Nothing here runs a process, so every flag is unit-tested.
 */
import { posix } from 'node:path';
import { assertHostPath, dpkgAdminDir, normaliseDpkgRoot } from '../../collect/dpkg-root-path';
import { Errors, PfError } from '@patchfleet/shared/errors';

/** One package at one exact version (`name=version` for apt-get). */
export interface PackageVersion {
  name: string;
  version: string;
}

/** A program, its arguments and the environment variables to set for it. */
export interface Invocation {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Environment of every apt/dpkg run: no debconf prompts, needrestart restarts
 * services itself instead of asking (Ubuntu), untranslated output we can parse.
 */
export const APT_ENV: Readonly<Record<string, string>> = Object.freeze({
  DEBIAN_FRONTEND: 'noninteractive',
  NEEDRESTART_MODE: 'a',
  LC_ALL: 'C',
});

// Debian policy 5.6.1 / 5.6.12. Checked so that a name or version can never be
// read by apt as an option (leading '-') or carry anything but a package spec.
const NAME_RE = /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9-]+)?$/;
const VERSION_RE = /^(?:\d+:)?[A-Za-z0-9][A-Za-z0-9.+~-]*(?:-[A-Za-z0-9.+~]+)?$/;

/** Throws PF_ERR_BAD_INPUT unless `name` is a valid Debian package name (optionally `:arch`). */
export function assertPackageName(name: string): void {
  if (!NAME_RE.test(name)) throw new PfError(Errors.BAD_INPUT, `invalid package name: ${JSON.stringify(name).slice(0, 100)}`);
}

/** Throws PF_ERR_BAD_INPUT unless `version` is a valid Debian version. */
export function assertPackageVersion(version: string): void {
  if (!VERSION_RE.test(version)) throw new PfError(Errors.BAD_INPUT, `invalid package version: ${JSON.stringify(version).slice(0, 100)}`);
}

/** Which apt configuration and which dpkg database a command works on. */
export interface AptTarget {
  /** Extra `-o Key=Value` pairs (already split into argv words), e.g. a private sources list. */
  aptOptions?: readonly string[];
  /** apt.conf-style file read first (`-c`): private sources, lists and cache of a test or air-gapped site. */
  aptConfigFile?: string;
  /**
   * Isolated dpkg root (see {@link dpkgRootAptOptions}). Absent: the machine's
   * own database, and argv exactly as without this option.
   */
  dpkgRoot?: string;
}

/** Common options of apt-get runs that change the system. */
export interface AptRunOptions extends AptTarget {
  /** Seconds apt waits for the dpkg lock before failing (apt >= 1.9.11). */
  lockTimeoutSec: number;
}

/**
 * apt options that make apt and dpkg treat `root` as the whole system:
 * apt reads (and locks, since apt takes `lock-frontend` and `lock` next to the
 * status file) `<root>/var/lib/dpkg/status`; dpkg runs with `--root`, which
 * also moves its database and `lock` to `<root>/var/lib/dpkg`. apt's own
 * per-host state moves into the root too: package lists and the archive cache
 * (apt-get update and install take `lists/lock` and `archives/lock` without
 * waiting, so agents sharing them would fail each other), the auto-installed
 * marks and apt's and dpkg's logs (otherwise written to the machine's). These
 * come after `-c`, so they override the lists and cache of a shared config file.
 */
export function dpkgRootAptOptions(root: string): string[] {
  const r = normaliseDpkgRoot(root);
  const at = (p: string) => posix.join(r, p);
  // prettier-ignore
  return [
    '-o', `Dir::State::status=${at('var/lib/dpkg/status')}`,
    '-o', `Dir::State::extended_states=${at('var/lib/apt/extended_states')}`,
    '-o', `Dir::State::Lists=${at('var/lib/apt/lists')}`,
    '-o', `Dir::Cache=${at('var/cache/apt')}`,
    '-o', `Dir::Log=${at('var/log/apt')}`,
    '-o', `DPkg::Options::=--root=${r}`,
    '-o', `DPkg::Options::=--log=${at('var/log/dpkg.log')}`,
  ];
}

/** `-c file`, root options, then the caller's `-o` words (so those still win); empty by default. */
function targetOptions(target: AptTarget): string[] {
  if (target.aptConfigFile !== undefined) assertHostPath('apt config file', target.aptConfigFile);
  return [
    ...(target.aptConfigFile !== undefined ? ['-c', target.aptConfigFile] : []),
    ...(target.dpkgRoot !== undefined ? dpkgRootAptOptions(target.dpkgRoot) : []),
    ...(target.aptOptions ?? []),
  ];
}

/**
 * Environment of apt under a root: DPKG_ROOT makes debconf's
 * dpkg-preconfigure (an apt hook of the machine's config that cannot be
 * cleared with `-o`) read `<root>/etc/debconf.conf` (written by
 * initDpkgRoot) and the root's database, instead of locking the machine's
 * /var/cache/debconf while another agent may be configuring real packages.
 */
function targetEnv(target: AptTarget): Record<string, string> {
  return target.dpkgRoot !== undefined ? { ...APT_ENV, DPKG_ROOT: normaliseDpkgRoot(target.dpkgRoot) } : { ...APT_ENV };
}

function lockOption(sec: number): string[] {
  if (!Number.isInteger(sec) || sec < 0) throw new PfError(Errors.BAD_INPUT, `invalid lock timeout: ${sec}`);
  return ['-o', `DPkg::Lock::Timeout=${sec}`];
}

/** What every apt-get run that reaches dpkg starts with: caller options, lock wait, no config prompts. */
function dpkgRunOptions(opts: AptRunOptions): string[] {
  // prettier-ignore
  return [
    ...targetOptions(opts),
    ...lockOption(opts.lockTimeoutSec),
    '-o', 'Dpkg::Options::=--force-confdef',
    '-o', 'Dpkg::Options::=--force-confold',
  ];
}

/**
 * `apt-get install` of exact versions. `--no-install-recommends`: moving an
 * installed package to a fixed version must not pull in new packages the host
 * never had. Config files: keep the admin's (`confold`), take the default
 * when unmodified (`confdef`), so dpkg never prompts. `--allow-downgrades` is
 * only for rollback: a normal install must never silently go backwards.
 */
export function aptInstallCommand(
  packages: readonly PackageVersion[],
  opts: AptRunOptions & { allowDowngrades?: boolean },
): Invocation {
  if (packages.length === 0) throw new PfError(Errors.BAD_INPUT, 'no packages to install');
  for (const p of packages) {
    assertPackageName(p.name);
    assertPackageVersion(p.version);
  }
  return {
    file: 'apt-get',
    args: [
      ...dpkgRunOptions(opts),
      'install', '-y', '-q', '--no-install-recommends',
      ...(opts.allowDowngrades === true ? ['--allow-downgrades'] : []),
      // `--` ends options: specs were validated, this is a second guard.
      '--',
      ...packages.map((p) => `${p.name}=${p.version}`),
    ],
    env: targetEnv(opts),
  };
}

/** `apt-get remove` of packages a rollback must take away (they were absent before the install). */
export function aptRemoveCommand(names: readonly string[], opts: AptRunOptions): Invocation {
  if (names.length === 0) throw new PfError(Errors.BAD_INPUT, 'no packages to remove');
  names.forEach(assertPackageName);
  return {
    file: 'apt-get',
    args: [
      ...dpkgRunOptions(opts),
      'remove', '-y', '-q', '--', ...names,
    ],
    env: targetEnv(opts),
  };
}

/** `apt-get update`; `aptOptions` limit it to one sources list and lists directory when given. */
export function aptUpdateCommand(opts: AptRunOptions): Invocation {
  return { file: 'apt-get', args: [...targetOptions(opts), ...lockOption(opts.lockTimeoutSec), 'update', '-q'], env: targetEnv(opts) };
}

/**
 * `apt-cache madison`: every version the configured repositories offer (not
 * the dpkg status file). `target` may be bare `-o` words (the older form).
 */
export function aptMadisonCommand(names: readonly string[], target: AptTarget | readonly string[] = {}): Invocation {
  if (names.length === 0) throw new PfError(Errors.BAD_INPUT, 'no packages to look up');
  names.forEach(assertPackageName);
  const t: AptTarget = isWords(target) ? { aptOptions: target } : target;
  return { file: 'apt-cache', args: [...targetOptions(t), 'madison', '--', ...names], env: targetEnv(t) };
}

function isWords(target: AptTarget | readonly string[]): target is readonly string[] {
  return Array.isArray(target);
}

/** Output format of {@link dpkgQueryCommand}: name, status abbreviation, version. */
export const DPKG_QUERY_FORMAT = '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n';

/**
 * `dpkg-query -W` of the given names, in the database of `dpkgRoot` when
 * given; exits 1 when some are unknown to dpkg, which is not an error.
 */
export function dpkgQueryCommand(names: readonly string[], target: Pick<AptTarget, 'dpkgRoot'> = {}): Invocation {
  if (names.length === 0) throw new PfError(Errors.BAD_INPUT, 'no packages to query');
  names.forEach(assertPackageName);
  const admin = target.dpkgRoot !== undefined ? [`--admindir=${dpkgAdminDir(target.dpkgRoot)}`] : [];
  return { file: 'dpkg-query', args: [...admin, '-W', `-f=${DPKG_QUERY_FORMAT}`, '--', ...names], env: { ...APT_ENV } };
}
