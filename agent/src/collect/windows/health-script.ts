import { wrapScriptForJson } from './powershell';

/** Version of the JSON the health script prints; bump when its shape changes. */
export const HEALTH_SCRIPT_SCHEMA = 1;

/**
 * How far before the window the script also reads, as context only: events
 * there are never counted, but they let the parser see the partner of a
 * pair that straddles the window's start (a WER report whose Application
 * Error 1000 came just before, a 6008 whose Kernel-Power 41 was logged in
 * the previous window).
 */
export const HEALTH_LOOKBACK_MS = 15 * 60_000;

/** Most events read per log and window; more sets `truncated` (counts are then lower bounds). */
export const HEALTH_MAX_EVENTS_PER_LOG = 2000;

/** Longest insertion string and message the script writes (the wire limit for a message is 512). */
export const HEALTH_MAX_TEXT = 512;

/** What the script reads from each log: providers and event ids, exactly as the events' XML names them. */
export const HEALTH_QUERIES = [
  { log: 'Application', providers: ['Application Error', 'Windows Error Reporting', 'Application Hang'], ids: [1000, 1001, 1002] },
  {
    log: 'System',
    providers: ['Microsoft-Windows-WER-SystemErrorReporting', 'BugCheck', 'Microsoft-Windows-Kernel-Power', 'EventLog', 'Service Control Manager'],
    ids: [1001, 41, 6008, 7023, 7031, 7034],
  },
] as const;

/** A PowerShell single-quoted string literal: nothing inside is expanded; `'` is doubled. */
export function psLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * The event-log XPath for one log and the range [fromMs, toMs): the same
 * shape Event Viewer writes for a custom view, with the times as UTC ISO
 * 8601 built here, never by PowerShell.
 *
 * Why not `-FilterHashtable @{ StartTime = ...; EndTime = ... }`: Get-WinEvent
 * turns both values into text with `value.ToString()` and back with
 * `DateTime.Parse(text, CultureInfo.CurrentCulture)` (GetEventCommand.cs,
 * StringToDateTime) before writing this very XPath. A DateTime passed there
 * loses its milliseconds and its Kind (then read as local time); an ISO string
 * is parsed in the host culture's calendar (th-TH reads 2026 as a Buddhist
 * year). Writing the XPath ourselves is the only culture-free way, and it
 * lets the end be exclusive (`<`, where the hashtable writes `<=`).
 */
export function healthXPath(query: { providers: readonly string[]; ids: readonly number[] }, fromMs: number, toMs: number): string {
  const providers = query.providers.map((p) => `@Name='${p}'`).join(' or ');
  const ids = query.ids.map((id) => `EventID=${id}`).join(' or ');
  const from = new Date(fromMs).toISOString();
  const to = new Date(toMs).toISOString();
  return `*[System[Provider[${providers}] and (${ids}) and TimeCreated[@SystemTime>='${from}' and @SystemTime<'${to}']]]`;
}

/**
 * The health script for the window [fromMs, toMs), read with a lookback of
 * HEALTH_LOOKBACK_MS. Prints one line of JSON:
 *
 *     {"schema":1,"psVersion":"5.1...","from":"...Z","to":"...Z",
 *      "logs":[{"log":"Application","ok":true,"truncated":false,"readErrors":0,
 *               "errorId":null,"error":null,"events":[{"provider":"Application Error",
 *               "id":1000,"time":"2026-12-06T02:01:33.1234567Z","record":4711,
 *               "data":["OUTLOOK.EXE",...],"binary":null,"message":"..."}]}, ...]}
 *
 * Nothing the parser counts depends on the display language: provider
 * names, event ids, the time as UTC ISO 8601 written with the culture-free
 * "o" format, and the insertion strings (Properties[i].Value, numbers
 * written with the invariant culture, byte arrays as hex). `message` (the
 * localized rendering) is only shown. For Service Control Manager events
 * `binary` carries the event's binary data (hex), where SCM writes the
 * service's key name.
 *
 * Errors: Get-WinEvent reports "no events" as an error whose text is
 * localized; the script recognizes it by FullyQualifiedErrorId
 * (`NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand`)
 * and reports an empty, readable log. Any other error with no events read
 * (the log is missing: `NoMatchingLogsFound,...`; access denied; a corrupt
 * log) makes that log `ok:false` with the error's id and message. Errors on
 * single records while others were read (a message that cannot be
 * formatted) are counted in `readErrors` and do not fail the log.
 */
export function buildHealthScript(window: { from: number; to: number }): string {
  const reads = HEALTH_QUERIES.map(
    (q, i) => `$pfLog${i} = Read-PfLog ${psLiteral(q.log)} ${psLiteral(healthXPath(q, window.from - HEALTH_LOOKBACK_MS, window.to))}`,
  );
  const body = `
function ConvertTo-PfText($v) {
if ($null -eq $v) { return '' }
if ($v -is [byte[]]) { $s = [BitConverter]::ToString($v) } else { $s = [Convert]::ToString($v, [Globalization.CultureInfo]::InvariantCulture) }
if ($s.Length -gt ${HEALTH_MAX_TEXT}) { $s = $s.Substring(0, ${HEALTH_MAX_TEXT}) }
$s
}
function ConvertTo-PfEvent($e) {
$data = @(foreach ($p in $e.Properties) { [string](ConvertTo-PfText $p.Value) })
$bin = $null
if ($e.ProviderName -eq 'Service Control Manager') { try { $bin = ([xml]$e.ToXml()).Event.EventData.Binary } catch { $bin = $null } }
$msg = $e.Message
if ($null -ne $msg -and $msg.Length -gt ${HEALTH_MAX_TEXT}) { $msg = $msg.Substring(0, ${HEALTH_MAX_TEXT}) }
$time = $null
if ($null -ne $e.TimeCreated) { $time = $e.TimeCreated.ToUniversalTime().ToString('o') }
[ordered]@{ provider = $e.ProviderName; id = $e.Id; time = $time; record = $e.RecordId; data = $data; binary = $bin; message = $msg }
}
function Read-PfLog([string]$Log, [string]$XPath) {
$r = [ordered]@{ log = $Log; ok = $false; truncated = $false; readErrors = 0; errorId = $null; error = $null; events = @() }
$pfErr = $null
try {
$raw = @(Get-WinEvent -LogName $Log -FilterXPath $XPath -MaxEvents ${HEALTH_MAX_EVENTS_PER_LOG + 1} -ErrorAction SilentlyContinue -ErrorVariable pfErr)
} catch {
$r.errorId = $_.FullyQualifiedErrorId
$r.error = $_.Exception.Message
return $r
}
$bad = @($pfErr | Where-Object { $_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound,*' })
if ($raw.Count -eq 0 -and $bad.Count -gt 0) {
$r.errorId = $bad[0].FullyQualifiedErrorId
$r.error = $bad[0].Exception.Message
return $r
}
$r.ok = $true
$r.readErrors = $bad.Count
$r.truncated = $raw.Count -gt ${HEALTH_MAX_EVENTS_PER_LOG}
$r.events = @(foreach ($e in ($raw | Select-Object -First ${HEALTH_MAX_EVENTS_PER_LOG})) { ConvertTo-PfEvent $e })
$r
}
${reads.join('\n')}
[ordered]@{
schema = ${HEALTH_SCRIPT_SCHEMA}
psVersion = $PSVersionTable.PSVersion.ToString()
from = ${psLiteral(new Date(window.from).toISOString())}
to = ${psLiteral(new Date(window.to).toISOString())}
logs = @(${HEALTH_QUERIES.map((_, i) => `$pfLog${i}`).join(', ')})
}
`;
  return wrapScriptForJson(body, 8);
}
