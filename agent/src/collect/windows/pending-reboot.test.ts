import { describe, expect, it } from 'vitest';
import { buildPendingRebootScript, parsePendingReboot, parsePendingRebootJson } from './pending-reboot';
import { buildPowerShellInvocation } from './powershell';
import { fixture } from './test-fixtures';

describe('pending reboot script', () => {
  it('is exactly this PowerShell', () => {
    const inv = buildPowerShellInvocation(buildPendingRebootScript(), { env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64' });
    expect(Buffer.from(inv.args[7]!, 'base64').toString('utf16le')).toBe(
      [
        "$ErrorActionPreference = 'Stop'",
        "$ProgressPreference = 'SilentlyContinue'",
        '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false',
        '$pfResult = & {',
        "$sm = Get-Item -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Session Manager'",
        "$nl = Get-Item -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\Netlogon'",
        "$cn = 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\ComputerName'",
        '$upd = $null',
        "if (Test-Path -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Updates') { $upd = (Get-Item -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Updates').GetValue('UpdateExeVolatile') }",
        "$pfro = @($sm.GetValue('PendingFileRenameOperations') | Where-Object { $_ }).Count",
        "$pfro2 = @($sm.GetValue('PendingFileRenameOperations2') | Where-Object { $_ }).Count",
        '[ordered]@{',
        "CbsRebootPending = Test-Path -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending'",
        "WindowsUpdateRebootRequired = Test-Path -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired'",
        'PendingFileRenameOperations = $pfro + $pfro2',
        'UpdateExeVolatile = $upd',
        `ActiveComputerName = (Get-Item -LiteralPath "$cn\\ActiveComputerName").GetValue('ComputerName')`,
        `ComputerName = (Get-Item -LiteralPath "$cn\\ComputerName").GetValue('ComputerName')`,
        "NetlogonJoinDomain = $null -ne $nl.GetValue('JoinDomain')",
        "NetlogonAvoidSpnSet = $null -ne $nl.GetValue('AvoidSpnSet')",
        '}',
        '}',
        'ConvertTo-Json -InputObject $pfResult -Depth 2 -Compress',
      ].join('\n'),
    );
  });
});

describe('parsePendingRebootJson', () => {
  it('nothing pending', () => {
    expect(parsePendingRebootJson(fixture('pending-reboot.ps51.clean.json'))).toEqual({ required: false, reasons: [] });
  });

  it('every check firing, one reason each', () => {
    expect(parsePendingRebootJson(fixture('pending-reboot.ps51.all.json'))).toEqual({
      required: true,
      reasons: [
        'Component Based Servicing: RebootPending',
        'Windows Update: RebootRequired',
        'Session Manager: PendingFileRenameOperations (4 entries)',
        'Updates: UpdateExeVolatile = 1',
        'computer rename pending: WS-0142 -> WS-0142-NEW',
        'Netlogon: domain join pending',
      ],
    });
  });

  it('a rename only; UpdateExeVolatile 0 is not pending', () => {
    expect(parsePendingRebootJson(fixture('pending-reboot.ps51.rename.json'))).toEqual({
      required: true,
      reasons: ['computer rename pending: PC-OLDNAME -> PC-NEWNAME'],
    });
  });

  it('computer names differing only in case are the same name', () => {
    expect(parsePendingReboot({ ActiveComputerName: 'ws-0142', ComputerName: 'WS-0142' })).toEqual({ required: false, reasons: [] });
  });

  it('missing fields are not pending; wrong types are bad input', () => {
    expect(parsePendingReboot({})).toEqual({ required: false, reasons: [] });
    expect(() => parsePendingReboot({ CbsRebootPending: 'yes' })).toThrow('pending reboot JSON: CbsRebootPending is a string, expected a boolean');
    expect(() => parsePendingReboot({ PendingFileRenameOperations: ['\\??\\C:\\x'] })).toThrow('pending reboot JSON: PendingFileRenameOperations is an array, expected an integer');
    expect(() => parsePendingRebootJson('[]')).toThrow('pending reboot JSON: expected an object, got an array');
  });
});
