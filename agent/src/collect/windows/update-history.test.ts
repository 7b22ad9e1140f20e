import { describe, expect, it } from 'vitest';
import { buildPowerShellInvocation } from './powershell';
import { fixture } from './test-fixtures';
import { buildUpdateHistoryScript, hresultHex, kbFromTitle, parseUpdateHistory, parseUpdateHistoryJson, type UpdateHistory } from './update-history';

const CU = '2025-11 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5068861) (26100.7171)';
const CU_DE = '2025-11 Kumulatives Update für Windows 11 Version 24H2 für x64-basierte Systeme (KB5068861) (26100.7171)';
const DEFENDER = 'Windows Defender (77BDAF73-B396-481F-9042-AD358843EC24)';

describe('update history script', () => {
  it('is exactly this PowerShell', () => {
    const inv = buildPowerShellInvocation(buildUpdateHistoryScript(50), { env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64' });
    expect(Buffer.from(inv.args[7]!, 'base64').toString('utf16le')).toBe(
      [
        "$ErrorActionPreference = 'Stop'",
        "$ProgressPreference = 'SilentlyContinue'",
        '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false',
        '$pfResult = & {',
        '$searcher = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher()',
        '$total = $searcher.GetTotalHistoryCount()',
        '$entries = @()',
        'if ($total -gt 0) {',
        '$entries = @($searcher.QueryHistory(0, [Math]::Min($total, 50)) | ForEach-Object {',
        '[ordered]@{',
        'Operation = [int]$_.Operation',
        'ResultCode = [int]$_.ResultCode',
        'HResult = [int]$_.HResult',
        "Date = [DateTime]::SpecifyKind($_.Date, [DateTimeKind]::Utc).ToString('o')",
        'Title = $_.Title',
        'UpdateID = $_.UpdateIdentity.UpdateID',
        'RevisionNumber = $_.UpdateIdentity.RevisionNumber',
        'ClientApplicationID = $_.ClientApplicationID',
        '}',
        '})',
        '}',
        '[ordered]@{ TotalCount = $total; Entries = $entries }',
        '}',
        'ConvertTo-Json -InputObject $pfResult -Depth 4 -Compress',
      ].join('\n'),
    );
  });

  it('reads 200 entries by default and never fewer than one', () => {
    expect(buildUpdateHistoryScript()).toContain('[Math]::Min($total, 200)');
    expect(buildUpdateHistoryScript(0)).toContain('[Math]::Min($total, 1)');
  });
});

describe('parseUpdateHistoryJson', () => {
  it('5.1 en-US script output: operations, results, HRESULTs, UTC dates, KBs from titles', () => {
    expect(parseUpdateHistoryJson(fixture('update-history.ps51.en-US.json'))).toEqual<UpdateHistory>({
      totalCount: 57,
      entries: [
        { operation: 'install', result: 'succeeded', hresult: '0x00000000', date: '2025-11-12T08:41:55.000Z', title: CU, kb: 'KB5068861', updateId: 'b2e9c6d4-5a7f-4c1e-9b0d-3f6a8e2c1d47', revisionNumber: 1, clientApplicationId: 'UpdateOrchestrator' },
        { operation: 'install', result: 'failed', hresult: '0x800F0922', date: '2025-11-12T03:14:07.000Z', title: CU, kb: 'KB5068861', updateId: 'b2e9c6d4-5a7f-4c1e-9b0d-3f6a8e2c1d47', revisionNumber: 1, clientApplicationId: 'UpdateOrchestrator' },
        {
          operation: 'install',
          result: 'succeeded',
          hresult: '0x00000000',
          date: '2025-11-11T19:02:31.000Z',
          title: 'Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.441.94.0) - Current Channel (Broad)',
          kb: 'KB2267602',
          updateId: '3f1c0a9e-7d2b-4e85-a6c4-91b07e5d2f13',
          revisionNumber: 200,
          clientApplicationId: DEFENDER,
        },
        {
          operation: 'install',
          result: 'succeeded',
          hresult: '0x00000000',
          date: '2025-10-15T07:22:10.000Z',
          title: '2025-10 Cumulative Update for .NET Framework 3.5 and 4.8.1 for Windows 11, version 24H2 for x64 (KB5066131)',
          kb: 'KB5066131',
          updateId: 'c47d2e18-0b6a-4f39-8e51-2a9d6c3b7f04',
          revisionNumber: 1,
          clientApplicationId: 'UpdateOrchestrator',
        },
        { operation: 'install', result: 'succeeded', hresult: '0x00000000', date: '2025-10-02T14:45:00.000Z', title: 'Intel Corporation - Display - 32.0.101.6881', kb: null, updateId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', revisionNumber: 1, clientApplicationId: 'UpdateOrchestrator' },
        {
          operation: 'uninstall',
          result: 'succeeded',
          hresult: '0x00000000',
          date: '2025-09-20T10:00:00.000Z',
          title: '2025-09 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5065426) (26100.6584)',
          kb: 'KB5065426',
          updateId: 'd15e8b27-6c3a-4b90-9f14-7e2a5c8d0b63',
          revisionNumber: 1,
          clientApplicationId: 'wusa',
        },
        {
          operation: 'install',
          result: 'failed',
          hresult: '0x80240022',
          date: '2025-09-10T06:30:12.000Z',
          title: '2025-09 Update for Windows 11 Version 24H2 for x64-based Systems (KB5064401)',
          kb: 'KB5064401',
          updateId: '0e6f4d2b-8a1c-4e7f-b3d5-6c9a2e0f8b14',
          revisionNumber: 2,
          clientApplicationId: 'UpdateOrchestrator',
        },
      ],
    });
  });

  it('5.1 de-DE script output: German titles, succeeded with errors, aborted', () => {
    const h = parseUpdateHistoryJson(fixture('update-history.ps51.de-DE.json'));
    expect(h.totalCount).toBe(3);
    expect(h.entries.map((e) => [e.kb, e.result, e.hresult, e.date])).toEqual([
      ['KB5068861', 'succeeded', '0x00000000', '2025-11-12T09:05:44.000Z'],
      ['KB2267602', 'succeeded-with-errors', '0x00000000', '2025-11-11T16:20:00.000Z'],
      ['KB5066131', 'aborted', '0x8024402C', '2025-10-15T07:22:10.000Z'],
    ]);
    expect(h.entries[0]!.title).toBe(CU_DE);
  });

  it('raw 5.1 QueryHistory output: \\/Date()\\/ read as the instant it encodes, identity cut off by depth 2', () => {
    const h = parseUpdateHistoryJson(fixture('update-history.ps51.en-US.raw.json'));
    expect(h.totalCount).toBe(3);
    // WUA had 08:41:55Z; 5.1 treated that Unspecified value as New York time (UTC-5).
    expect(h.entries.map((e) => e.date)).toEqual(['2025-11-12T13:41:55.000Z', '2025-11-12T08:14:07.000Z', '2025-11-12T00:02:31.000Z']);
    expect(h.entries[1]).toMatchObject({ operation: 'install', result: 'failed', hresult: '0x800F0922', kb: 'KB5068861', updateId: null, revisionNumber: null });
    expect(h.entries[2]).toMatchObject({ kb: 'KB2267602', clientApplicationId: DEFENDER });
  });

  it('raw PowerShell 7 QueryHistory output: ISO without offset read as UTC, nested UpdateIdentity', () => {
    const h = parseUpdateHistoryJson(fixture('update-history.ps7.de-DE.raw.json'));
    expect(h.entries).toEqual([
      { operation: 'install', result: 'succeeded', hresult: '0x00000000', date: '2025-11-12T09:05:44.000Z', title: CU_DE, kb: 'KB5068861', updateId: 'b2e9c6d4-5a7f-4c1e-9b0d-3f6a8e2c1d47', revisionNumber: 1, clientApplicationId: 'UpdateOrchestrator' },
      {
        operation: 'install',
        result: 'succeeded',
        hresult: '0x00000000',
        date: '2025-11-11T16:20:00.123Z',
        title: 'Security Intelligence-Update für Microsoft Defender Antivirus – KB2267602 (Version 1.441.94.0) – Aktueller Kanal (Allgemein)',
        kb: 'KB2267602',
        updateId: '3f1c0a9e-7d2b-4e85-a6c4-91b07e5d2f13',
        revisionNumber: 200,
        clientApplicationId: DEFENDER,
      },
    ]);
  });

  it('one entry as a bare object, unknown codes, unreadable date', () => {
    expect(parseUpdateHistory({ Operation: 3, ResultCode: 9, HResult: 0, Date: 'gestern', Title: 'x' }).entries).toEqual([
      { operation: 'unknown', result: 'unknown', hresult: '0x00000000', date: null, title: 'x', kb: null, updateId: null, revisionNumber: null },
    ]);
    expect(parseUpdateHistory({ TotalCount: 0, Entries: [] })).toEqual({ totalCount: 0, entries: [] });
  });

  it('refuses what is not history', () => {
    expect(() => parseUpdateHistoryJson('"x"')).toThrow('update history JSON: expected an object or an array, got a string');
    expect(() => parseUpdateHistoryJson('[{"Title":"x"}]')).toThrow('update history JSON: entry 0 lacks a numeric Operation or ResultCode; is this QueryHistory output?');
    expect(() => parseUpdateHistoryJson('[1]')).toThrow('update history JSON: entry 0 is a number, expected an object');
  });
});

describe('hresultHex', () => {
  it('writes the signed Int32 COM gives as unsigned hex', () => {
    expect(hresultHex(-2145124318)).toBe('0x80240022');
    expect(hresultHex(-2146498270)).toBe('0x800F0922');
    expect(hresultHex(2149842978)).toBe('0x80240022');
    expect(hresultHex(0)).toBe('0x00000000');
    expect(hresultHex(1)).toBe('0x00000001');
  });
});

describe('kbFromTitle', () => {
  it('finds the KB in localized titles', () => {
    expect(kbFromTitle(CU)).toBe('KB5068861');
    expect(kbFromTitle(CU_DE)).toBe('KB5068861');
    expect(kbFromTitle('2025-11 x64 ベース システム用 Windows 11 Version 24H2 の累積更新プログラム (KB5068861) (26100.7171)')).toBe('KB5068861');
    expect(kbFromTitle('2025-11 Mise à jour cumulative pour Windows 11 Version 24H2 pour les systèmes x64 (KB5068861) (26100.7171)')).toBe('KB5068861');
    expect(kbFromTitle('Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.441.94.0)')).toBe('KB2267602');
    expect(kbFromTitle('Update (kb5068861)')).toBe('KB5068861');
  });

  it('is null without a KB, and ignores KB glued to other letters or digits', () => {
    expect(kbFromTitle('Intel Corporation - Display - 32.0.101.6881')).toBeNull();
    expect(kbFromTitle('WEBKB5068861')).toBeNull();
    expect(kbFromTitle('KB50688612345')).toBeNull();
    expect(kbFromTitle('')).toBeNull();
  });
});
