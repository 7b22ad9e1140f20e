/**
 * The MSRC product names a Windows host runs, from its build, installation
 * type and architecture, spelled as the CVRF product tree spells them
 * (`Windows 11 Version 24H2 for x64-based Systems`, `Windows Server 2025 (Server Core installation)`).
 */
import { parseWindowsBuild } from './windows-build';

/** What the product depends on. */
export interface WindowsProductFacts {
  /** `10.0.26100` (or `10.0.26100.7171`; a bare `26100` is accepted too). */
  build: string;
  /** `Client`, `Server` or `Server Core` (registry InstallationType); null or other when unknown. */
  installationType: string | null;
  /** `AMD64`/`x64`, `ARM64`, `x86` (PROCESSOR_ARCHITECTURE or similar). */
  arch: string;
}

/** Client releases by build number: MSRC's name before ` for <arch> Systems`. */
const CLIENT: ReadonlyMap<number, string> = new Map([
  [7601, 'Windows 7'], // suffixed with ` Service Pack 1`
  [9600, 'Windows 8.1'],
  [10240, 'Windows 10'],
  [14393, 'Windows 10 Version 1607'],
  [17763, 'Windows 10 Version 1809'],
  [19043, 'Windows 10 Version 21H1'],
  [19044, 'Windows 10 Version 21H2'],
  [19045, 'Windows 10 Version 22H2'],
  [22000, 'Windows 11 Version 21H2'],
  [22621, 'Windows 11 Version 22H2'],
  [22631, 'Windows 11 Version 23H2'],
  [26100, 'Windows 11 Version 24H2'],
  [26200, 'Windows 11 Version 25H2'],
]);

/** Server releases by build number; 2008 and 2008 R2 name the architecture and service pack. */
const SERVER: ReadonlyMap<number, string> = new Map([
  [6003, 'Windows Server 2008'],
  [7601, 'Windows Server 2008 R2'],
  [9200, 'Windows Server 2012'],
  [9600, 'Windows Server 2012 R2'],
  [14393, 'Windows Server 2016'],
  [17763, 'Windows Server 2019'],
  [20348, 'Windows Server 2022'],
  [25398, 'Windows Server 2022, 23H2 Edition'],
  [26100, 'Windows Server 2025'],
]);

const CORE = ' (Server Core installation)';

/** MSRC's architecture phrase: `x64-based`, `ARM64-based`, `32-bit`; null when unknown. */
export function msrcArchitecture(arch: string): 'x64-based' | 'ARM64-based' | '32-bit' | null {
  const a = arch.trim().toLowerCase();
  if (a === 'amd64' || a === 'x64' || a === 'x86_64' || a === 'x86-64' || a === 'em64t') return 'x64-based';
  if (a === 'arm64' || a === 'aarch64') return 'ARM64-based';
  if (a === 'x86' || a === 'ia32' || a === 'i386' || a === 'i686' || a === '32-bit') return '32-bit';
  return null;
}

function buildNumber(build: string): number | null {
  const trimmed = build.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  return parseWindowsBuild(trimmed)?.build ?? null;
}

function clientNames(build: number, arch: ReturnType<typeof msrcArchitecture>): string[] {
  const base = CLIENT.get(build);
  if (base === undefined) return [];
  const archs = arch === null ? (['x64-based', 'ARM64-based', '32-bit'] as const) : [arch];
  return archs.map((a) => (build === 7601 ? `${base} for ${a} Systems Service Pack 1` : `${base} for ${a} Systems`));
}

function serverNames(build: number, arch: ReturnType<typeof msrcArchitecture>, core: boolean | null): string[] {
  const base = SERVER.get(build);
  if (base === undefined) return [];
  let full: string[];
  if (build === 6003 || build === 7601) {
    const archs = arch === null || arch === 'ARM64-based' ? (['x64-based', '32-bit'] as const) : [arch];
    const pack = build === 6003 ? 'Service Pack 2' : 'Service Pack 1';
    full = archs.map((a) => `${base} for ${a} Systems ${pack}`);
  } else {
    full = [base];
  }
  // Windows Server 2022, 23H2 Edition only ships as Server Core.
  if (build === 25398) return full.map((n) => n + CORE);
  if (core === true) return full.map((n) => n + CORE);
  if (core === false) return full;
  return [...full, ...full.map((n) => n + CORE)];
}

/**
 * Candidate MSRC product names for a host, most likely first; [] when the
 * build is not a release MSRC still lists under a known name.
 *
 * Client and server releases share build numbers (26100 is Windows 11 24H2
 * and Windows Server 2025; 17763 is Windows 10 1809 and Server 2019), so the
 * installation type decides; when it is unknown both sets are returned, as
 * are all architectures when the architecture is unknown. Match the names
 * with `productKey` (MSRC has written both `version 21H2` and `Version 21H2`).
 */
export function windowsProductNames(host: WindowsProductFacts): string[] {
  const build = buildNumber(host.build);
  if (build === null) return [];
  const arch = msrcArchitecture(host.arch);
  const type = host.installationType?.trim().toLowerCase() ?? '';
  if (type === 'client') return clientNames(build, arch);
  if (type === 'server') return serverNames(build, arch, false);
  if (type === 'server core') return serverNames(build, arch, true);
  return [...clientNames(build, arch), ...serverNames(build, arch, null)];
}

/**
 * The key product names are compared by: the exact name, case-folded and with
 * runs of blanks made one. MSRC's capitalization has varied for one product
 * (`Windows 11 version 21H2` / `Version 21H2`, `Windows 8.1 for x64-based systems`).
 */
export function productKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}
