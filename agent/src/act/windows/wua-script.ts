/**
 * The PowerShell script that installs one KB through the Windows Update
 * Agent COM API, run with -EncodedCommand by Windows PowerShell 5.1.
 */
import { wrapScriptForJson } from '../../collect/windows/powershell';
import { parseKb } from './kb';

/** Name the WUA history shows as the client that installed the update. */
export const WUA_CLIENT_ID = 'Patchfleet';

/**
 * Body of the install script for `kb` (validated by parseKb; only its digits,
 * as a number literal, appear in the script, so nothing from the command can
 * become PowerShell code).
 *
 * - Searches `IsInstalled=0 and Type='Software'` (drivers are never matched
 *   by KB) and takes every update whose KBArticleIDs holds the number: one KB
 *   can be several updates (e.g. .NET for two framework versions).
 * - None: searches `IsInstalled=1` to tell "already installed" from "not
 *   offered to this host".
 * - Stops before downloading when the installer is busy or a restart must
 *   happen first; the JSON says which (`Stage`).
 * - Accepts each EULA (the agent installs unattended), downloads, installs
 *   with ForceQuiet, and reports overall and per-update ResultCode
 *   (OperationResultCode 0..5) and HResult, and RebootRequired.
 * - Any COM exception is caught and reported with the innermost exception's
 *   HResult (PowerShell wraps COMException in MethodInvocationException,
 *   whose own HResult says nothing), so the script always prints one object
 *   and exits 0 unless PowerShell itself fails.
 * `$picked` is not named `$matches`, an automatic variable -match overwrites.
 */
export function wuaInstallScriptBody(kb: string): string {
  const { number } = parseKb(kb);
  return `
$kbText = [string]${number}
$out = [ordered]@{ Kb = ${number}; Found = $false; AlreadyInstalled = $false; Stage = 'search'; ResultCode = $null; HResult = 0; RebootRequired = $false; Title = $null; Updates = @(); Error = $null }
try {
$session = New-Object -ComObject Microsoft.Update.Session
$session.ClientApplicationID = '${WUA_CLIENT_ID}'
$searcher = $session.CreateUpdateSearcher()
$picked = New-Object -ComObject Microsoft.Update.UpdateColl
foreach ($u in $searcher.Search("IsInstalled=0 and Type='Software'").Updates) {
if (@($u.KBArticleIDs) -contains $kbText) { [void]$picked.Add($u) }
}
if ($picked.Count -eq 0) {
foreach ($u in $searcher.Search("IsInstalled=1 and Type='Software'").Updates) {
if (@($u.KBArticleIDs) -contains $kbText) { $out.AlreadyInstalled = $true; $out.Title = $u.Title }
}
} else {
$out.Found = $true
$out.Title = $picked.Item(0).Title
$out.Updates = @(foreach ($u in $picked) { [ordered]@{ Title = $u.Title; UpdateID = $u.Identity.UpdateID; RevisionNumber = $u.Identity.RevisionNumber; ResultCode = $null; HResult = 0 } })
$installer = $session.CreateUpdateInstaller()
if ($installer.IsBusy) { $out.Stage = 'busy' }
elseif ($installer.RebootRequiredBeforeInstallation) { $out.Stage = 'reboot-pending' }
else {
foreach ($u in $picked) { if (-not $u.EulaAccepted) { $u.AcceptEula() } }
$out.Stage = 'download'
$downloader = $session.CreateUpdateDownloader()
$downloader.Updates = $picked
$res = $downloader.Download()
if ($res.ResultCode -eq 2 -or $res.ResultCode -eq 3) {
$out.Stage = 'install'
$installer.Updates = $picked
$installer.ForceQuiet = $true
$res = $installer.Install()
$out.RebootRequired = [bool]$res.RebootRequired
}
$out.ResultCode = [int]$res.ResultCode
$out.HResult = [int]$res.HResult
for ($i = 0; $i -lt $picked.Count; $i++) {
$r = $res.GetUpdateResult($i)
$out.Updates[$i].ResultCode = [int]$r.ResultCode
$out.Updates[$i].HResult = [int]$r.HResult
}
}
}
} catch {
$e = $_.Exception
while ($null -ne $e.InnerException) { $e = $e.InnerException }
$out.Error = $e.Message
$out.HResult = [int]$e.HResult
}
$out
`;
}

/** The complete install script: prints the result as one line of JSON (see parseWuaInstallJson). */
export function buildWuaInstallScript(kb: string): string {
  return wrapScriptForJson(wuaInstallScriptBody(kb), 4);
}
