/**
 * Pure builders of the exact argv and environment for apt-get, apt-cache and
 * dpkg-query. Nothing here runs a process, so every flag is unit-tested.
 */
import { AgentErrors, PfError } from '../../errors';

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
  if (!NAME_RE.test(name)) throw new PfError(AgentErrors.BAD_INPUT, `invalid package name: ${JSON.stringify(name).slice(0, 100)}`);
}

/** Throws PF_ERR_BAD_INPUT unless `version` is a valid Debian version. */
export function assertPackageVersion(version: string): void {
  if (!VERSION_RE.test(version)) throw new PfError(AgentErrors.BAD_INPUT, `invalid package version: ${JSON.stringify(version).slice(0, 100)}`);
}

/** Common options of apt-get runs that change the system. */
export interface AptRunOptions {
  /** Extra `-o Key=Value` pairs (already split into argv words), e.g. a private sources list. */
  aptOptions?: readonly string[];
  /** Seconds apt waits for the dpkg lock before failing (apt >= 1.9.11). */
  lockTimeoutSec: number;
}

function lockOption(sec: number): string[] {
  if (!Number.isInteger(sec) || sec < 0) throw new PfError(AgentErrors.BAD_INPUT, `invalid lock timeout: ${sec}`);
  return ['-o', `DPkg::Lock::Timeout=${sec}`];
}

/** What every apt-get run that reaches dpkg starts with: caller options, lock wait, no config prompts. */
function dpkgRunOptions(opts: AptRunOptions): string[] {
  // prettier-ignore
  return [
    ...(opts.aptOptions ?? []),
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
  if (packages.length === 0) throw new PfError(AgentErrors.BAD_INPUT, 'no packages to install');
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
    env: { ...APT_ENV },
  };
}

/** `apt-get remove` of packages a rollback must take away (they were absent before the install). */
export function aptRemoveCommand(names: readonly string[], opts: AptRunOptions): Invocation {
  if (names.length === 0) throw new PfError(AgentErrors.BAD_INPUT, 'no packages to remove');
  names.forEach(assertPackageName);
  return {
    file: 'apt-get',
    args: [
      ...dpkgRunOptions(opts),
      'remove', '-y', '-q', '--', ...names,
    ],
    env: { ...APT_ENV },
  };
}

/** `apt-get update`; `aptOptions` limit it to one sources list and lists directory when given. */
export function aptUpdateCommand(opts: AptRunOptions): Invocation {
  return { file: 'apt-get', args: [...(opts.aptOptions ?? []), ...lockOption(opts.lockTimeoutSec), 'update', '-q'], env: { ...APT_ENV } };
}

/** `apt-cache madison`: every version the configured repositories offer (not the dpkg status file). */
export function aptMadisonCommand(names: readonly string[], aptOptions: readonly string[] = []): Invocation {
  if (names.length === 0) throw new PfError(AgentErrors.BAD_INPUT, 'no packages to look up');
  names.forEach(assertPackageName);
  return { file: 'apt-cache', args: [...aptOptions, 'madison', '--', ...names], env: { ...APT_ENV } };
}

/** Output format of {@link dpkgQueryCommand}: name, status abbreviation, version. */
export const DPKG_QUERY_FORMAT = '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n';

/** `dpkg-query -W` of the given names; exits 1 when some are unknown to dpkg, which is not an error. */
export function dpkgQueryCommand(names: readonly string[]): Invocation {
  if (names.length === 0) throw new PfError(AgentErrors.BAD_INPUT, 'no packages to query');
  names.forEach(assertPackageName);
  return { file: 'dpkg-query', args: ['-W', `-f=${DPKG_QUERY_FORMAT}`, '--', ...names], env: { ...APT_ENV } };
}
