import { describe, expect, it } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import { normalizeKb, parseHotFixJson, parseHotFixRecords, parseInstalledOn, type HotFix } from '@patchfleet/shared/windows';
import { buildHotFixScript, HOTFIX_SCRIPT_BODY } from './hotfix';
import { buildPowerShellInvocation } from './powershell';
import { fixture } from './test-fixtures';

const SYSTEM = 'NT AUTHORITY\\SYSTEM';
const SYSTEM_DE = 'NT-AUTORITÄT\\SYSTEM';

function badInput(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isPfError(err) && err.code === 'PF_ERR_BAD_INPUT') return err.message;
    throw err;
  }
  throw new Error('expected PF_ERR_BAD_INPUT');
}

describe('hotfix script', () => {
  it('is exactly this PowerShell, reading InstalledOn raw from WMI', () => {
    const inv = buildPowerShellInvocation(buildHotFixScript(), { env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64' });
    expect(Buffer.from(inv.args[7]!, 'base64').toString('utf16le')).toBe(
      [
        "$ErrorActionPreference = 'Stop'",
        "$ProgressPreference = 'SilentlyContinue'",
        '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false',
        '$pfResult = & {',
        ",@(Get-HotFix | Select-Object HotFixID, Description, @{ n = 'InstalledOn'; e = { $_.psBase.Properties['InstalledOn'].Value } }, InstalledBy)",
        '}',
        'ConvertTo-Json -InputObject $pfResult -Depth 3 -Compress',
      ].join('\n'),
    );
    expect(HOTFIX_SCRIPT_BODY.trim()).toMatch(/^,@\(Get-HotFix \| Select-Object HotFixID, Description, /);
  });
});

describe('parseHotFixJson: this collector\'s script output', () => {
  it('5.1 en-US: raw WMI dates (M/d/yyyy), empty InstalledBy left out', () => {
    expect(parseHotFixJson(fixture('hotfix.ps51.en-US.json'))).toEqual<HotFix[]>([
      { kb: 'KB5054156', description: 'Update', installedOn: '2025-04-09', installedBy: SYSTEM },
      { kb: 'KB5066131', description: 'Update', installedOn: '2025-10-15', installedBy: SYSTEM },
      { kb: 'KB5068780', description: 'Update', installedOn: '2025-11-12' },
      { kb: 'KB5068861', description: 'Security Update', installedOn: '2025-11-12', installedBy: SYSTEM },
    ]);
  });

  it('5.1 de-DE: localized names, empty and null InstalledOn, a KB listed twice', () => {
    expect(parseHotFixJson(fixture('hotfix.ps51.de-DE.json'))).toEqual<HotFix[]>([
      { kb: 'KB5066527', description: 'Update', installedOn: '2025-10-14', installedBy: SYSTEM_DE },
      { kb: 'KB5068787', description: 'Sicherheitsupdate', installedOn: '2025-11-12', installedBy: SYSTEM_DE },
      { kb: 'KB5031590', description: 'Update', installedOn: null },
      { kb: 'KB5012170', description: 'Sicherheitsupdate', installedOn: null, installedBy: SYSTEM_DE },
      // 9/13/2025: a day above 12, which 5.1's own InstalledOn property fails to parse on de-DE.
      { kb: 'KB5065432', description: 'Sicherheitsupdate', installedOn: '2025-09-13', installedBy: SYSTEM_DE },
    ]);
  });

  it('the same output with a UTF-8 BOM', () => {
    expect(parseHotFixJson(fixture('hotfix.ps51.en-US.utf8bom.json'))).toEqual(parseHotFixJson(fixture('hotfix.ps51.en-US.json')));
  });
});

describe('parseHotFixJson: output operators save and paste', () => {
  const selectEnUs: HotFix[] = [
    { kb: 'KB5054156', description: 'Update', installedOn: '2025-04-09', installedBy: SYSTEM },
    { kb: 'KB5066131', description: 'Update', installedOn: '2025-10-15', installedBy: "CORP\\o'brien" },
    { kb: 'KB5068861', description: 'Security Update', installedOn: '2025-11-12', installedBy: SYSTEM },
  ];

  it('5.1 Select-Object, pretty-printed, \\/Date()\\/ of local midnight on a UTC-4/-5 host, \\u0027 escapes', () => {
    expect(parseHotFixJson(fixture('hotfix.ps51.en-US.select.json'))).toEqual(selectEnUs);
  });

  it('the same saved by 5.1 Out-File: UTF-16LE with BOM, as a Buffer', () => {
    const bytes = fixture('hotfix.ps51.en-US.out-file.utf16le.json');
    expect([...bytes.subarray(0, 4)]).toEqual([0xff, 0xfe, 0x5b, 0x00]);
    expect(parseHotFixJson(bytes)).toEqual(selectEnUs);
  });

  it('a single hotfix: one object, not an array, DateTime wrapped as {value, DateTime}', () => {
    expect(parseHotFixJson(fixture('hotfix.ps51.en-US.single.json'))).toEqual([
      { kb: 'KB5068861', description: 'Security Update', installedOn: '2025-11-12', installedBy: SYSTEM },
    ]);
  });

  it('5.1 raw Get-HotFix (ManagementObject with __PATH, Scope...), "File 1" left out', () => {
    expect(parseHotFixJson(fixture('hotfix.ps51.en-US.raw.json'))).toEqual([
      { kb: 'KB5066586', description: 'Update', installedOn: '2025-10-14', installedBy: SYSTEM },
      { kb: 'KB5005112', description: 'Security Update', installedOn: '2021-08-11', installedBy: SYSTEM },
      { kb: 'KB5068791', description: 'Security Update', installedOn: '2025-11-12', installedBy: SYSTEM },
    ]);
  });

  it('5.1 raw Get-HotFix on fr-FR: reads the dates the output holds, culture bug included', () => {
    // WMI had 10/8/2025 (8 Oct), 9/23/2025 and 11/12/2025; 5.1's InstalledOn
    // property parsed them as d/M/y: 10 Aug, nothing, 11 Dec.
    expect(parseHotFixJson(fixture('hotfix.ps51.fr-FR.raw.json'))).toEqual([
      { kb: 'KB5066131', description: 'Mise à jour', installedOn: '2025-08-10', installedBy: 'AUTORITE NT\\Système' },
      { kb: 'KB5065426', description: 'Mise à jour de sécurité', installedOn: null, installedBy: 'AUTORITE NT\\Système' },
      { kb: 'KB5068861', description: 'Mise à jour de sécurité', installedOn: '2025-12-11', installedBy: 'AUTORITE NT\\Système' },
    ]);
  });

  it('PowerShell 7 Get-CimInstance (CimInstanceProperties...), ISO dates without offset, after a WARNING line', () => {
    expect(parseHotFixJson(fixture('hotfix.ps7.en-US.cim.json'))).toEqual([
      { kb: 'KB5054156', description: 'Update', installedOn: '2025-04-09', installedBy: SYSTEM },
      { kb: 'KB5066131', description: 'Update', installedOn: '2025-10-15', installedBy: 'S-1-5-18' },
      { kb: 'KB5068861', description: 'Security Update', installedOn: '2025-11-12', installedBy: SYSTEM },
    ]);
  });

  it('PowerShell 7 Select-Object on de-DE (7 parses InstalledOn culture-independently)', () => {
    expect(parseHotFixJson(fixture('hotfix.ps7.de-DE.select.json'))).toEqual([
      { kb: 'KB5066527', description: 'Update', installedOn: '2025-10-14', installedBy: SYSTEM_DE },
      { kb: 'KB5065432', description: 'Sicherheitsupdate', installedOn: '2025-09-13', installedBy: SYSTEM_DE },
      { kb: 'KB5068787', description: 'Sicherheitsupdate', installedOn: '2025-11-12', installedBy: SYSTEM_DE },
    ]);
  });

  it('keys in any case (Select-Object hotfixid, description)', () => {
    expect(parseHotFixJson('[{"hotfixid":"kb5068861","description":"Security Update"}]')).toEqual([
      { kb: 'KB5068861', description: 'Security Update', installedOn: null },
    ]);
  });

  it('an empty list and a null result', () => {
    expect(parseHotFixJson('[]')).toEqual([]);
    expect(parseHotFixRecords(null)).toEqual([]);
  });
});

describe('parseHotFixJson: bad input', () => {
  it('names what is wrong', () => {
    expect(badInput(() => parseHotFixJson(''))).toBe('hotfix JSON: output is empty, expected JSON');
    expect(badInput(() => parseHotFixJson('"KB5068861"'))).toBe('hotfix JSON: expected an array of hotfix objects, got a string');
    expect(badInput(() => parseHotFixJson('[{"HotFixID":"KB1"}, 5]'))).toBe('hotfix JSON: entry 1 is a number, expected an object');
    expect(badInput(() => parseHotFixJson('[{"Id":1,"ProcessName":"explorer"}]'))).toBe(
      'hotfix JSON: entry 0 has no HotFixID (keys: Id, ProcessName); is this Get-HotFix output?',
    );
  });

  it('gives the line and column of a syntax error', () => {
    const text = fixture('hotfix.ps51.en-US.select.json').toString('utf8').replace('"Update",\r\n        "InstalledOn"', '"Update"\r\n        "InstalledOn"');
    expect(badInput(() => parseHotFixJson(text))).toMatch(/^hotfix JSON: invalid JSON at line 5 column 9: /);
  });
});

describe('normalizeKb', () => {
  it('normalizes KB ids and rejects everything else', () => {
    expect(normalizeKb('KB5068861')).toBe('KB5068861');
    expect(normalizeKb(' kb5068861 ')).toBe('KB5068861');
    expect(normalizeKb('KB 5068861')).toBe('KB5068861');
    for (const id of ['File 1', 'Q147222', '', 'KB', 'KB5068861-v2', '5068861']) expect(normalizeKb(id), id).toBeNull();
  });
});

describe('parseInstalledOn', () => {
  it('reads every form InstalledOn takes', () => {
    expect(parseInstalledOn('11/12/2025')).toBe('2025-11-12');
    expect(parseInstalledOn('1/2/2025')).toBe('2025-01-02');
    // Before Windows 7, WMI gave a FILETIME in hex: 01d1c8e2c9a0e000 is 2016-06-17 UTC.
    expect(parseInstalledOn('01d1c8e2c9a0e000')).toBe('2016-06-17');
    expect(parseInstalledOn('20160617')).toBe('2016-06-17');
    expect(parseInstalledOn('/Date(1762923600000)/')).toBe('2025-11-12');
    expect(parseInstalledOn('2025-11-12T00:00:00')).toBe('2025-11-12');
  });

  it('is null for empty, impossible or unknown values', () => {
    for (const v of ['', '  ', null, undefined, '2/30/2025', '13/1/2025', '12.11.2025', 'gestern', 0]) expect(parseInstalledOn(v), String(v)).toBeNull();
  });
});
