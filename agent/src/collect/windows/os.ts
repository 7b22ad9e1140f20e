import { Errors, PfError } from '@patchfleet/shared/errors';
import { isJsonObject, jsonKind, parsePsJson, psInt, psProp, psString } from '@patchfleet/shared/windows';
import { wrapScriptForJson } from './powershell';

/** The Windows release running, from the registry. */
export interface WindowsOsFacts {
  /** "10.0.26100": major.minor.build, as `[Environment]::OSVersion` would give it. */
  version: string;
  /** "26100" */
  build: string;
  /** Update Build Revision, the number after the build ("26100.7171"); null when absent. */
  ubr: number | null;
  /** "Enterprise", "Professional", "ServerDatacenter", "ServerStandard"... */
  editionId: string | null;
  /** "Client", "Server" or "Server Core" (others are passed through). */
  installationType: string | null;
  /** "24H2"; older releases only have ReleaseId ("1809"). */
  displayVersion: string | null;
  /** ProductName exactly as in the registry. */
  productName: string | null;
  /** A display name: ProductName, corrected to "Windows 11" on Windows 11 (see windowsDisplayName). */
  name: string;
  /** PROCESSOR_ARCHITECTURE of the native OS: "AMD64", "ARM64" or "x86". */
  architecture: string;
  /** Win32_DeviceGuard.VirtualizationBasedSecurityStatus: 0 off, 1 enabled not running, 2 running; null unknown. */
  vbsStatus: number | null;
  /** Memory Management\HotPatchRestrictions (1 = CHPE disabled, needed for hotpatch on Arm64); null when absent. */
  hotPatchRestrictions: number | null;
}

/**
 * Body of the OS script. Reads HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion
 * with RegistryKey.GetValue (null for a missing value, where Get-ItemProperty
 * would throw under ErrorAction Stop). The architecture is
 * PROCESSOR_ARCHITEW6432 when set (a 32-bit process on 64-bit Windows), else
 * PROCESSOR_ARCHITECTURE. VBS state comes from the Win32_DeviceGuard class,
 * missing before Windows 10 / Server 2016: its failure is reported beside the
 * other facts instead of failing them.
 */
export const OS_SCRIPT_BODY = `
$cv = Get-Item -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'
$mm = Get-Item -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management'
$arch = $env:PROCESSOR_ARCHITEW6432
if (-not $arch) { $arch = $env:PROCESSOR_ARCHITECTURE }
$vbs = $null
$vbsError = $null
try { $vbs = (Get-CimInstance -Namespace 'root\\Microsoft\\Windows\\DeviceGuard' -ClassName Win32_DeviceGuard).VirtualizationBasedSecurityStatus } catch { $vbsError = $_.Exception.Message }
$r = [ordered]@{}
foreach ($n in 'CurrentMajorVersionNumber', 'CurrentMinorVersionNumber', 'CurrentVersion', 'CurrentBuild', 'CurrentBuildNumber', 'UBR', 'EditionID', 'InstallationType', 'DisplayVersion', 'ReleaseId', 'ProductName') { $r[$n] = $cv.GetValue($n) }
$r['ProcessorArchitecture'] = $arch
$r['VirtualizationBasedSecurityStatus'] = $vbs
$r['VbsError'] = $vbsError
$r['HotPatchRestrictions'] = $mm.GetValue('HotPatchRestrictions')
$r
`;

/** The standalone OS script: prints one JSON object of registry values. */
export function buildOsScript(): string {
  return wrapScriptForJson(OS_SCRIPT_BODY, 2);
}

/** OS facts from the OS script's JSON (text or bytes). */
export function parseOsJson(input: string | Uint8Array): WindowsOsFacts {
  return parseOsFacts(parsePsJson(input, 'OS JSON'));
}

/**
 * OS facts from the parsed OS script output. The build and the architecture
 * are required (PF_ERR_BAD_INPUT without them); the rest may be missing on
 * older releases and is then null.
 *
 * The version is built from CurrentMajorVersionNumber/CurrentMinorVersionNumber
 * (Windows 10 and later) because CurrentVersion stays "6.3" there for old
 * programs' sake; CurrentVersion is only used when those are absent.
 */
export function parseOsFacts(value: unknown): WindowsOsFacts {
  if (!isJsonObject(value)) throw new PfError(Errors.BAD_INPUT, `OS JSON: expected an object, got ${jsonKind(value)}`);
  const str = (k: string): string | null => psString(psProp(value, k))?.trim() || null;
  const build = str('CurrentBuildNumber') ?? str('CurrentBuild');
  if (!build || !/^\d+$/.test(build)) throw new PfError(Errors.BAD_INPUT, `OS JSON: CurrentBuildNumber/CurrentBuild missing or not a number (${JSON.stringify(build)})`);
  const architecture = str('ProcessorArchitecture');
  if (!architecture) throw new PfError(Errors.BAD_INPUT, 'OS JSON: ProcessorArchitecture missing');
  const major = psInt(psProp(value, 'CurrentMajorVersionNumber'));
  const minor = psInt(psProp(value, 'CurrentMinorVersionNumber'));
  const legacy = str('CurrentVersion');
  const majorMinor = major !== undefined && minor !== undefined ? `${major}.${minor}` : legacy && /^\d+\.\d+$/.test(legacy) ? legacy : '10.0';
  const installationType = str('InstallationType');
  const productName = str('ProductName');
  return {
    version: `${majorMinor}.${build}`,
    build,
    ubr: psInt(psProp(value, 'UBR')) ?? null,
    editionId: str('EditionID'),
    installationType,
    // ReleaseId is frozen at "2009" from 20H2 on; DisplayVersion replaced it.
    displayVersion: str('DisplayVersion') ?? str('ReleaseId'),
    productName,
    name: windowsDisplayName(productName, installationType, Number(build)),
    architecture,
    vbsStatus: psInt(psProp(value, 'VirtualizationBasedSecurityStatus')) ?? null,
    hotPatchRestrictions: psInt(psProp(value, 'HotPatchRestrictions')) ?? null,
  };
}

/**
 * A name for people. ProductName still says "Windows 10 Pro" on Windows 11
 * (Microsoft never changed the value), so client builds from 22000 on are
 * renamed; the OS is always identified by build number, never by this name.
 */
export function windowsDisplayName(productName: string | null, installationType: string | null, build: number): string {
  if (!productName) return `Windows (build ${build})`;
  if (installationType === 'Client' && build >= 22000) return productName.replace(/^Windows 10\b/, 'Windows 11');
  return productName;
}
