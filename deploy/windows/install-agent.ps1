#Requires -Version 5.1
<#
.SYNOPSIS
  Installs (or uninstalls) the Patchfleet agent on Windows from the controller's signed MSI.

.DESCRIPTION
  Install: downloads patchfleet-agent-<Version>-x64.msi from https://<server>/downloads/
  (or -MsiUrl), refuses it unless its SHA-256 equals -Sha256 and its Authenticode
  signature is Valid (optionally by the certificate -SignerThumbprint), then runs
    msiexec.exe /i "<msi>" /qn /norestart /l*v "<log>" SERVER="..." CA_FINGERPRINT="..." ENROLL_TOKEN="..."
  The MSI enrolls the agent as SYSTEM and starts the PatchfleetAgent service.
  Uninstall: msiexec.exe /x {ProductCode} /qn /norestart /l*v "<log>" [PURGE=1].

  The download from the controller itself is pinned to -CaFingerprint (SHA-256 of the
  controller's TLS certificate, as the agent pins it). The token is never printed;
  ENROLL_TOKEN is a hidden MSI property, so the verbose msiexec log does not show it.

  NEVER RUN ON WINDOWS: written for Windows PowerShell 5.1 and PowerShell 7 and checked
  only as text on Linux (test/deploy/windows-installer.test.ts).

.EXAMPLE
  .\install-agent.ps1 -Server wss://controller.example:8443 -Token pfe_... -CaFingerprint <hex> -Version 0.1.0 -Sha256 <hex>

.EXAMPLE
  .\install-agent.ps1 -Uninstall -Purge
#>
[CmdletBinding(DefaultParameterSetName = 'Version')]
param(
  [Parameter(Mandatory = $true, ParameterSetName = 'Version')]
  [Parameter(Mandatory = $true, ParameterSetName = 'Url')]
  [ValidatePattern('^wss://[A-Za-z0-9.-]+(:[0-9]{1,5})?$')]
  [string]$Server,

  # The enrollment token (pfe_...); default: the environment variable PATCHFLEET_ENROLL_TOKEN.
  [Parameter(ParameterSetName = 'Version')]
  [Parameter(ParameterSetName = 'Url')]
  [string]$Token = $env:PATCHFLEET_ENROLL_TOKEN,

  [Parameter(Mandatory = $true, ParameterSetName = 'Version')]
  [Parameter(Mandatory = $true, ParameterSetName = 'Url')]
  [ValidatePattern('^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$')]
  [string]$CaFingerprint,

  # SHA-256 (hex) of the MSI, as published with the release.
  [Parameter(Mandatory = $true, ParameterSetName = 'Version')]
  [Parameter(Mandatory = $true, ParameterSetName = 'Url')]
  [ValidatePattern('^[0-9A-Fa-f]{64}$')]
  [string]$Sha256,

  [Parameter(Mandatory = $true, ParameterSetName = 'Version')]
  [ValidatePattern('^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,5}$')]
  [string]$Version,

  [Parameter(Mandatory = $true, ParameterSetName = 'Url')]
  [ValidatePattern('^https://')]
  [string]$MsiUrl,

  # Thumbprint (SHA-1, as Windows shows it) of the certificate that must have signed the MSI.
  [Parameter(ParameterSetName = 'Version')]
  [Parameter(ParameterSetName = 'Url')]
  [ValidatePattern('^[0-9A-Fa-f]{40}$')]
  [string]$SignerThumbprint,

  [Parameter(Mandatory = $true, ParameterSetName = 'Uninstall')]
  [switch]$Uninstall,

  # With -Uninstall: also remove the agent's identity, outbox and logs under ProgramData.
  [Parameter(ParameterSetName = 'Uninstall')]
  [switch]$Purge,

  [ValidatePattern('^[^"]+$')]
  [string]$LogPath = (Join-Path $env:TEMP 'patchfleet-agent-msiexec.log')
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$UpgradeCode = '{E50BFCCD-C843-41A4-A9F7-5DD165155BE2}'
$ProductName = 'Patchfleet agent'

function Stop-Install([string]$Code, [string]$Message) {
  # One line, the same PF_ERR_* codes as the rest of Patchfleet; never the token.
  [Console]::Error.WriteLine("error ${Code}: $Message")
  exit 2
}

function Assert-Administrator {
  $principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
  if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Stop-Install 'PF_ERR_USAGE' 'run this script from an elevated (Administrator) PowerShell'
  }
}

function Get-MsiexecInstallArguments([string]$Msi, [string]$Log, [string]$Server, [string]$CaFingerprint, [string]$Token) {
  # Every value is validated above to hold no quote or space, so plain quoting is exact.
  return @('/i', "`"$Msi`"", '/qn', '/norestart', '/l*v', "`"$Log`"", "SERVER=`"$Server`"", "CA_FINGERPRINT=`"$CaFingerprint`"", "ENROLL_TOKEN=`"$Token`"")
}

function Get-MsiexecUninstallArguments([string]$ProductCode, [string]$Log, [bool]$Purge) {
  $list = @('/x', $ProductCode, '/qn', '/norestart', '/l*v', "`"$Log`"")
  if ($Purge) { $list += 'PURGE=1' }
  return $list
}

function Invoke-Msiexec([string[]]$Arguments) {
  $process = Start-Process -FilePath "$env:SystemRoot\System32\msiexec.exe" -ArgumentList ($Arguments -join ' ') -Wait -PassThru -WindowStyle Hidden
  $code = $process.ExitCode
  if ($code -eq 3010) { Write-Warning 'msiexec finished; Windows asks for a restart (3010)' }
  elseif ($code -ne 0) { Stop-Install 'PF_ERR_INSTALLER_FAILED' "msiexec exited with $code; see $LogPath" }
}

function Get-InstalledProductCode {
  # Windows Installer's own list of products sharing the MSI's UpgradeCode.
  $installer = New-Object -ComObject WindowsInstaller.Installer
  $codes = @($installer.RelatedProducts($UpgradeCode))
  if ($codes.Count -eq 0) { return $null }
  return $codes[0]
}

# Pins the controller's TLS certificate (SHA-256 of its DER form) for one request,
# as the agent does; works on .NET Framework (5.1) and .NET (7).
$PinSource = @'
using System;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
public static class PatchfleetPin {
  public static RemoteCertificateValidationCallback For(string expectedHex) {
    return delegate (object sender, X509Certificate certificate, X509Chain chain, SslPolicyErrors errors) {
      if (certificate == null) return false;
      using (SHA256 sha = SHA256.Create()) {
        string got = BitConverter.ToString(sha.ComputeHash(certificate.GetRawCertData())).Replace("-", "");
        return string.Equals(got, expectedHex, StringComparison.OrdinalIgnoreCase);
      }
    };
  }
}
'@

function Save-Msi([string]$Url, [string]$OutFile, [string]$PinHex) {
  [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
  $request = [Net.HttpWebRequest]::Create($Url)
  if ($PinHex) {
    if (-not ('PatchfleetPin' -as [type])) { Add-Type -TypeDefinition $PinSource }
    $request.ServerCertificateValidationCallback = [PatchfleetPin]::For($PinHex)
  }
  $response = $request.GetResponse()
  try {
    $in = $response.GetResponseStream()
    $out = [IO.File]::Create($OutFile)
    try { $in.CopyTo($out) } finally { $out.Dispose(); $in.Dispose() }
  } finally { $response.Dispose() }
}

if ($Uninstall) {
  Assert-Administrator
  $productCode = Get-InstalledProductCode
  if (-not $productCode) { Stop-Install 'PF_ERR_NOT_FOUND' "$ProductName is not installed" }
  Invoke-Msiexec (Get-MsiexecUninstallArguments $productCode $LogPath $Purge.IsPresent)
  Write-Output "$ProductName uninstalled$(if ($Purge) { ' (ProgramData state removed)' } else { ' (ProgramData state kept)' })"
  exit 0
}

if (-not $Token -or $Token -notmatch '^pfe_[A-Za-z0-9_-]{43}$') {
  Stop-Install 'PF_ERR_USAGE' 'pass -Token pfe_... (or set PATCHFLEET_ENROLL_TOKEN): an enrollment token from the controller'
}
Assert-Administrator
$fingerprint = ($CaFingerprint -replace ':', '').ToLowerInvariant()
$controllerBase = $Server -replace '^wss://', 'https://'
if ($PSCmdlet.ParameterSetName -eq 'Version') {
  $MsiUrl = "$controllerBase/downloads/patchfleet-agent-$Version-x64.msi"
}
# Pin only the controller; another https host is checked against the Windows trust store.
$pin = if ($MsiUrl.StartsWith("$controllerBase/")) { $fingerprint } else { $null }

$work = Join-Path $env:TEMP ('patchfleet-agent-' + [Guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $work | Out-Null
try {
  $msi = Join-Path $work ([IO.Path]::GetFileName(([Uri]$MsiUrl).AbsolutePath))
  if ($msi -notmatch '\.msi$') { Stop-Install 'PF_ERR_USAGE' "$MsiUrl does not name an .msi file" }
  Write-Output "downloading $MsiUrl"
  try { Save-Msi $MsiUrl $msi $pin }
  catch { Stop-Install 'PF_ERR_INSTALLER_DOWNLOAD' "could not download ${MsiUrl}: $($_.Exception.Message)" }

  $hash = (Get-FileHash -LiteralPath $msi -Algorithm SHA256).Hash
  if ($hash -ne $Sha256.ToUpperInvariant()) {
    Stop-Install 'PF_ERR_INSTALLER_INTEGRITY' "SHA-256 of the downloaded MSI is $hash, expected $($Sha256.ToUpperInvariant()); not installing"
  }
  $signature = Get-AuthenticodeSignature -LiteralPath $msi
  if ($signature.Status -ne 'Valid') {
    Stop-Install 'PF_ERR_INSTALLER_INTEGRITY' "Authenticode signature of the MSI is $($signature.Status): $($signature.StatusMessage); not installing"
  }
  if ($SignerThumbprint -and $signature.SignerCertificate.Thumbprint -ne $SignerThumbprint.ToUpperInvariant()) {
    Stop-Install 'PF_ERR_INSTALLER_INTEGRITY' "the MSI is signed by $($signature.SignerCertificate.Subject) ($($signature.SignerCertificate.Thumbprint)), expected $SignerThumbprint; not installing"
  }

  Invoke-Msiexec (Get-MsiexecInstallArguments $msi $LogPath $Server $fingerprint $Token)
  Write-Output "$ProductName installed and enrolled with $Server; service PatchfleetAgent (log of msiexec: $LogPath)"
} finally {
  Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
