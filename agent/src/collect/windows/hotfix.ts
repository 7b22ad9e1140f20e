import { wrapScriptForJson } from './powershell';

/**
 * Body of the hotfix script (see wrapScriptForJson).
 *
 * InstalledOn is read raw from WMI (`psBase.Properties`), not through the
 * InstalledOn ScriptProperty that types.ps1xml puts on Get-HotFix results:
 * in Windows PowerShell 5.1 that property runs `[DateTime]::Parse($raw)` in
 * the current culture, while WMI writes the date as M/d/yyyy whatever the
 * locale. On a de-DE or fr-FR host "9/1/2023" becomes 9 January and
 * "9/13/2023" throws, so the column comes out wrong or empty. (PowerShell 7
 * fixed the property by parsing with an invariant DateTimeFormatInfo.) The raw
 * string is parsed here instead, the same way on every host.
 */
export const HOTFIX_SCRIPT_BODY = `
,@(Get-HotFix | Select-Object HotFixID, Description, @{ n = 'InstalledOn'; e = { $_.psBase.Properties['InstalledOn'].Value } }, InstalledBy)
`;

/** The standalone hotfix script: prints a JSON array of HotFixID, Description, InstalledOn (raw), InstalledBy. */
export function buildHotFixScript(): string {
  return wrapScriptForJson(HOTFIX_SCRIPT_BODY, 3);
}
