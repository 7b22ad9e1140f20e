/**
 * The host-describing flags of `patchfleet assess`: which OS, and for
 * Windows the build, installation type and architecture. Each parser throws
 * PF_ERR_VALIDATION with a message that names the flag, quotes the value and
 * shows what is expected.
 */
import { PfError, Errors } from '@patchfleet/shared/errors';

/** What `--os` names. */
export type AssessOs = { kind: 'ubuntu'; release: string } | { kind: 'windows' };

/** Windows `InstallationType` as the registry spells it (and the agent reports it). */
export type WindowsInstallationType = 'Client' | 'Server' | 'Server Core';

export type WindowsArch = 'x64' | 'arm64' | 'x86';

/** A Windows build split as the catalog compares it: `10.0.26100` and the update build revision. */
export interface WindowsBuild {
  build: string;
  ubr: number;
}

const INSTALLATION_TYPES: Readonly<Record<string, WindowsInstallationType>> = { client: 'Client', server: 'Server', 'server-core': 'Server Core' };
// The names tools print for the same three architectures, so a pasted value works.
const ARCHES: Readonly<Record<string, WindowsArch>> = { x64: 'x64', amd64: 'x64', x86_64: 'x64', arm64: 'arm64', aarch64: 'arm64', x86: 'x86', i386: 'x86', i686: 'x86' };
// Build numbers and revisions fit in 32 bits in the registry (REG_DWORD).
const MAX_DWORD = 0xffff_ffff;

function badFlag(flag: string, value: string, expected: string): PfError {
  return new PfError(Errors.VALIDATION, `${flag} ${JSON.stringify(value.slice(0, 60))}: expected ${expected}`, { flag });
}

/** `ubuntu-24.04` -> `{ kind: 'ubuntu', release: '24.04' }`; `windows` -> `{ kind: 'windows' }`. Case is ignored. */
export function parseOsFlag(value: string): AssessOs {
  const v = value.trim().toLowerCase();
  if (v === 'windows') return { kind: 'windows' };
  const m = /^ubuntu-(\d{2})\.(\d{2})$/.exec(v);
  // Ubuntu releases are YY.04 or YY.10.
  if (m && (m[2] === '04' || m[2] === '10')) return { kind: 'ubuntu', release: `${m[1]}.${m[2]}` };
  throw badFlag('--os', value, 'ubuntu-YY.MM (e.g. ubuntu-24.04) or windows');
}

/**
 * `10.0.26100.4946` -> `{ build: '10.0.26100', ubr: 4946 }`: the four parts
 * `cmd /c ver` prints (`Microsoft Windows [Version 10.0.26100.4946]`). The
 * update build revision is required: it is what says which cumulative
 * update the host runs.
 */
export function parseBuildFlag(value: string): WindowsBuild {
  const v = value.trim();
  const expected = 'major.minor.build.revision, e.g. 10.0.26100.4946 (`cmd /c ver` prints it)';
  const m = /^(\d{1,2})\.(\d{1,2})\.(\d{1,6})(?:\.(\d{1,10}))?$/.exec(v);
  if (!m) throw badFlag('--build', value, expected);
  if (m[4] === undefined) throw badFlag('--build', value, `the update build revision too: ${expected}`);
  const build = Number(m[3]);
  const ubr = Number(m[4]);
  if (build > MAX_DWORD || ubr > MAX_DWORD) throw badFlag('--build', value, expected);
  return { build: `${Number(m[1])}.${Number(m[2])}.${build}`, ubr };
}

/** `client` | `server` | `server-core` -> the registry's `Client` | `Server` | `Server Core`. Case is ignored. */
export function parseWindowsType(value: string): WindowsInstallationType {
  const type = INSTALLATION_TYPES[value.trim().toLowerCase()];
  if (type === undefined) throw badFlag('--type', value, 'client, server or server-core');
  return type;
}

/** `x64` | `arm64` | `x86` (also amd64, x86_64, aarch64, i386, i686). Case is ignored. */
export function parseWindowsArch(value: string): WindowsArch {
  const arch = ARCHES[value.trim().toLowerCase()];
  if (arch === undefined) throw badFlag('--arch', value, 'x64, arm64 or x86');
  return arch;
}

/** The flags of `assess` that describe the host, as given on the command line. */
export interface AssessFlags {
  os?: string;
  dpkg?: string;
  build?: string;
  type?: string;
  arch?: string;
  hotfix?: string;
}

/** A validated description of the host to assess, and the file to read for it. */
export type AssessTarget =
  | { kind: 'ubuntu'; release: string; dpkgFile: string }
  | { kind: 'windows'; build: string; ubr: number; installationType: WindowsInstallationType; arch: WindowsArch; hotfixFile: string };

/**
 * Checks that the flags describe one host completely: `--os ubuntu-YY.MM`
 * with `--dpkg`, or `--os windows` with `--build`, `--type`, `--arch` and
 * `--hotfix`, and no flag of the other kind.
 */
export function parseAssessTarget(flags: AssessFlags): AssessTarget {
  if (flags.os === undefined) throw new PfError(Errors.VALIDATION, '--os is required: ubuntu-YY.MM (e.g. ubuntu-24.04) or windows', { flag: '--os' });
  const os = parseOsFlag(flags.os);
  const windowsOnly = (['build', 'type', 'arch', 'hotfix'] as const).filter((f) => flags[f] !== undefined);
  if (os.kind === 'ubuntu') {
    if (windowsOnly.length > 0) throw usage(`--${windowsOnly.join(', --')} ${windowsOnly.length > 1 ? 'go' : 'goes'} with --os windows, not --os ${flags.os}`);
    if (flags.dpkg === undefined) throw usage(`--os ${flags.os} needs --dpkg FILE, the output of dpkg-query (see --help)`);
    return { kind: 'ubuntu', release: os.release, dpkgFile: flags.dpkg };
  }
  if (flags.dpkg !== undefined) throw usage('--dpkg goes with --os ubuntu-YY.MM, not --os windows');
  const missing = (['build', 'type', 'arch', 'hotfix'] as const).filter((f) => flags[f] === undefined);
  if (missing.length > 0) throw usage(`--os windows needs --${missing.join(', --')}`);
  const { build, ubr } = parseBuildFlag(flags.build!);
  return { kind: 'windows', build, ubr, installationType: parseWindowsType(flags.type!), arch: parseWindowsArch(flags.arch!), hotfixFile: flags.hotfix! };
}

function usage(message: string): PfError {
  return new PfError(Errors.VALIDATION, message);
}
