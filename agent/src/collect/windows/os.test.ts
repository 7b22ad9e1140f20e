import { describe, expect, it } from 'vitest';
import { buildOsScript, OS_SCRIPT_BODY, parseOsFacts, parseOsJson, windowsDisplayName, type WindowsOsFacts } from './os';
import { buildPowerShellInvocation, compactScript } from './powershell';
import { fixture } from './test-fixtures';

describe('OS script', () => {
  it('is exactly this PowerShell', () => {
    const inv = buildPowerShellInvocation(buildOsScript(), { env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64' });
    expect(Buffer.from(inv.args[7]!, 'base64').toString('utf16le')).toBe(
      [
        "$ErrorActionPreference = 'Stop'",
        "$ProgressPreference = 'SilentlyContinue'",
        '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false',
        '$pfResult = & {',
        "$cv = Get-Item -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'",
        "$mm = Get-Item -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management'",
        '$arch = $env:PROCESSOR_ARCHITEW6432',
        'if (-not $arch) { $arch = $env:PROCESSOR_ARCHITECTURE }',
        '$vbs = $null',
        '$vbsError = $null',
        "try { $vbs = (Get-CimInstance -Namespace 'root\\Microsoft\\Windows\\DeviceGuard' -ClassName Win32_DeviceGuard).VirtualizationBasedSecurityStatus } catch { $vbsError = $_.Exception.Message }",
        '$r = [ordered]@{}',
        "foreach ($n in 'CurrentMajorVersionNumber', 'CurrentMinorVersionNumber', 'CurrentVersion', 'CurrentBuild', 'CurrentBuildNumber', 'UBR', 'EditionID', 'InstallationType', 'DisplayVersion', 'ReleaseId', 'ProductName') { $r[$n] = $cv.GetValue($n) }",
        "$r['ProcessorArchitecture'] = $arch",
        "$r['VirtualizationBasedSecurityStatus'] = $vbs",
        "$r['VbsError'] = $vbsError",
        "$r['HotPatchRestrictions'] = $mm.GetValue('HotPatchRestrictions')",
        '$r',
        '}',
        'ConvertTo-Json -InputObject $pfResult -Depth 2 -Compress',
      ].join('\n'),
    );
    expect(compactScript(OS_SCRIPT_BODY).split('\n')).toHaveLength(14);
  });
});

describe('parseOsJson', () => {
  it('Windows 11 24H2: ProductName still says Windows 10, the name does not', () => {
    expect(parseOsJson(fixture('os.ps51.en-US.win11-24h2.json'))).toEqual<WindowsOsFacts>({
      version: '10.0.26100',
      build: '26100',
      ubr: 7171,
      editionId: 'Enterprise',
      installationType: 'Client',
      displayVersion: '24H2',
      productName: 'Windows 10 Enterprise',
      name: 'Windows 11 Enterprise',
      architecture: 'AMD64',
      vbsStatus: 2,
      hotPatchRestrictions: null,
    });
  });

  it('Windows 11 on Arm64 with CHPE disabled for hotpatch', () => {
    expect(parseOsJson(fixture('os.ps51.en-US.win11-24h2-arm64.json'))).toMatchObject({ architecture: 'ARM64', hotPatchRestrictions: 1, vbsStatus: 2, name: 'Windows 11 Enterprise' });
  });

  it('Windows Server 2022 Server Core, de-DE host (registry values are not localized)', () => {
    expect(parseOsJson(fixture('os.ps51.de-DE.server2022-core.json'))).toEqual<WindowsOsFacts>({
      version: '10.0.20348',
      build: '20348',
      ubr: 4294,
      editionId: 'ServerDatacenter',
      installationType: 'Server Core',
      displayVersion: '21H2',
      productName: 'Windows Server 2022 Datacenter',
      name: 'Windows Server 2022 Datacenter',
      architecture: 'AMD64',
      vbsStatus: 0,
      hotPatchRestrictions: null,
    });
  });

  it('Windows Server 2012 R2: no major/minor numbers, no UBR, no DisplayVersion, no Device Guard class', () => {
    expect(parseOsJson(fixture('os.ps51.en-US.server2012r2.json'))).toEqual<WindowsOsFacts>({
      version: '6.3.9600',
      build: '9600',
      ubr: null,
      editionId: 'ServerStandard',
      installationType: 'Server',
      displayVersion: null,
      productName: 'Windows Server 2012 R2 Standard',
      name: 'Windows Server 2012 R2 Standard',
      architecture: 'AMD64',
      vbsStatus: null,
      hotPatchRestrictions: null,
    });
  });

  it('uses ReleaseId when DisplayVersion is missing (1607 to 2004) and CurrentBuild when CurrentBuildNumber is', () => {
    expect(parseOsFacts({ CurrentMajorVersionNumber: 10, CurrentMinorVersionNumber: 0, CurrentBuild: '17763', UBR: 7919, ReleaseId: '1809', ProcessorArchitecture: 'AMD64' })).toMatchObject({
      version: '10.0.17763',
      build: '17763',
      displayVersion: '1809',
      name: 'Windows (build 17763)',
    });
  });

  it('refuses output without a build or an architecture', () => {
    expect(() => parseOsFacts({ ProcessorArchitecture: 'AMD64' })).toThrow('OS JSON: CurrentBuildNumber/CurrentBuild missing or not a number (null)');
    expect(() => parseOsFacts({ CurrentBuild: '26100' })).toThrow('OS JSON: ProcessorArchitecture missing');
    expect(() => parseOsJson('[]')).toThrow('OS JSON: expected an object, got an array');
  });
});

describe('windowsDisplayName', () => {
  it('renames only Windows 11 clients', () => {
    expect(windowsDisplayName('Windows 10 Pro', 'Client', 22631)).toBe('Windows 11 Pro');
    expect(windowsDisplayName('Windows 10 Pro', 'Client', 19045)).toBe('Windows 10 Pro');
    expect(windowsDisplayName('Windows Server 2025 Standard', 'Server', 26100)).toBe('Windows Server 2025 Standard');
    expect(windowsDisplayName('Windows 10 Enterprise LTSC 2024', 'Client', 26100)).toBe('Windows 11 Enterprise LTSC 2024');
  });
});
