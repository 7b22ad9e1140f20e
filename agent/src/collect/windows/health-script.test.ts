import { describe, expect, it } from 'vitest';
import { buildHealthScript, healthXPath, HEALTH_QUERIES, psLiteral } from './health-script';
import { buildPowerShellInvocation, MAX_ENCODED_COMMAND_CHARS } from './powershell';

const FROM = Date.parse('2026-12-06T02:00:00.000Z');
const TO = Date.parse('2026-12-06T02:05:00.000Z');

describe('healthXPath', () => {
  it('selects the providers and ids in [from, to) with UTC ISO times, the end exclusive', () => {
    expect(healthXPath(HEALTH_QUERIES[0], FROM - 900_000, TO)).toBe(
      "*[System[Provider[@Name='Application Error' or @Name='Windows Error Reporting' or @Name='Application Hang'] and (EventID=1000 or EventID=1001 or EventID=1002) and TimeCreated[@SystemTime>='2026-12-06T01:45:00.000Z' and @SystemTime<'2026-12-06T02:05:00.000Z']]]",
    );
    expect(healthXPath(HEALTH_QUERIES[1], FROM, TO + 1)).toBe(
      "*[System[Provider[@Name='Microsoft-Windows-WER-SystemErrorReporting' or @Name='BugCheck' or @Name='Microsoft-Windows-Kernel-Power' or @Name='EventLog' or @Name='Service Control Manager'] and (EventID=1001 or EventID=41 or EventID=6008 or EventID=7023 or EventID=7031 or EventID=7034) and TimeCreated[@SystemTime>='2026-12-06T02:00:00.000Z' and @SystemTime<'2026-12-06T02:05:00.001Z']]]",
    );
  });

  it('quotes PowerShell literals by doubling single quotes', () => {
    expect(psLiteral("a'b")).toBe("'a''b'");
  });
});

describe('buildHealthScript', () => {
  const script = buildHealthScript({ from: FROM, to: TO });

  it('is exactly this PowerShell', () => {
    const inv = buildPowerShellInvocation(script, { env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64' });
    expect(inv.args.slice(0, 7)).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-OutputFormat', 'Text', '-EncodedCommand']);
    expect(inv.args[7]!.length).toBeLessThan(MAX_ENCODED_COMMAND_CHARS / 2);
    expect(Buffer.from(inv.args[7]!, 'base64').toString('utf16le')).toBe(
      [
        "$ErrorActionPreference = 'Stop'",
        "$ProgressPreference = 'SilentlyContinue'",
        '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false',
        '$pfResult = & {',
        'function ConvertTo-PfText($v) {',
        "if ($null -eq $v) { return '' }",
        'if ($v -is [byte[]]) { $s = [BitConverter]::ToString($v) } else { $s = [Convert]::ToString($v, [Globalization.CultureInfo]::InvariantCulture) }',
        'if ($s.Length -gt 512) { $s = $s.Substring(0, 512) }',
        '$s',
        '}',
        'function ConvertTo-PfEvent($e) {',
        '$data = @(foreach ($p in $e.Properties) { [string](ConvertTo-PfText $p.Value) })',
        '$bin = $null',
        "if ($e.ProviderName -eq 'Service Control Manager') { try { $bin = ([xml]$e.ToXml()).Event.EventData.Binary } catch { $bin = $null } }",
        '$msg = $e.Message',
        'if ($null -ne $msg -and $msg.Length -gt 512) { $msg = $msg.Substring(0, 512) }',
        '$time = $null',
        "if ($null -ne $e.TimeCreated) { $time = $e.TimeCreated.ToUniversalTime().ToString('o') }",
        '[ordered]@{ provider = $e.ProviderName; id = $e.Id; time = $time; record = $e.RecordId; data = $data; binary = $bin; message = $msg }',
        '}',
        'function Read-PfLog([string]$Log, [string]$XPath) {',
        '$r = [ordered]@{ log = $Log; ok = $false; truncated = $false; readErrors = 0; errorId = $null; error = $null; events = @() }',
        '$pfErr = $null',
        'try {',
        '$raw = @(Get-WinEvent -LogName $Log -FilterXPath $XPath -MaxEvents 2001 -ErrorAction SilentlyContinue -ErrorVariable pfErr)',
        '} catch {',
        '$r.errorId = $_.FullyQualifiedErrorId',
        '$r.error = $_.Exception.Message',
        'return $r',
        '}',
        "$bad = @($pfErr | Where-Object { $_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound,*' })",
        'if ($raw.Count -eq 0 -and $bad.Count -gt 0) {',
        '$r.errorId = $bad[0].FullyQualifiedErrorId',
        '$r.error = $bad[0].Exception.Message',
        'return $r',
        '}',
        '$r.ok = $true',
        '$r.readErrors = $bad.Count',
        '$r.truncated = $raw.Count -gt 2000',
        '$r.events = @(foreach ($e in ($raw | Select-Object -First 2000)) { ConvertTo-PfEvent $e })',
        '$r',
        '}',
        "$pfLog0 = Read-PfLog 'Application' '*[System[Provider[@Name=''Application Error'' or @Name=''Windows Error Reporting'' or @Name=''Application Hang''] and (EventID=1000 or EventID=1001 or EventID=1002) and TimeCreated[@SystemTime>=''2026-12-06T01:45:00.000Z'' and @SystemTime<''2026-12-06T02:05:00.000Z'']]]'",
        "$pfLog1 = Read-PfLog 'System' '*[System[Provider[@Name=''Microsoft-Windows-WER-SystemErrorReporting'' or @Name=''BugCheck'' or @Name=''Microsoft-Windows-Kernel-Power'' or @Name=''EventLog'' or @Name=''Service Control Manager''] and (EventID=1001 or EventID=41 or EventID=6008 or EventID=7023 or EventID=7031 or EventID=7034) and TimeCreated[@SystemTime>=''2026-12-06T01:45:00.000Z'' and @SystemTime<''2026-12-06T02:05:00.000Z'']]]'",
        '[ordered]@{',
        'schema = 1',
        'psVersion = $PSVersionTable.PSVersion.ToString()',
        "from = '2026-12-06T02:00:00.000Z'",
        "to = '2026-12-06T02:05:00.000Z'",
        'logs = @($pfLog0, $pfLog1)',
        '}',
        '}',
        'ConvertTo-Json -InputObject $pfResult -Depth 8 -Compress',
      ].join('\n'),
    );
  });

  it('never hands a time to PowerShell in a culture-dependent form', () => {
    expect(script).not.toMatch(/StartTime|EndTime|FilterHashtable|Get-Date|\[DateTime\]::Parse/);
    // The only time values are UTC ISO literals.
    const times = [...script.matchAll(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/g)].map((m) => m[0]);
    expect(new Set(times)).toEqual(new Set(['2026-12-06T01:45:00.000Z', '2026-12-06T02:05:00.000Z', '2026-12-06T02:00:00.000Z']));
  });
});
