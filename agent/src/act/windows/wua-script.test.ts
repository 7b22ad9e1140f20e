import { describe, expect, it } from 'vitest';
import { buildPowerShellInvocation } from '../../collect/windows/powershell';
import { buildWuaInstallScript, wuaInstallScriptBody } from './wua-script';

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf16le');

describe('WUA install script', () => {
  const script = buildWuaInstallScript('KB5072033');

  it('round-trips through -EncodedCommand of powershell.exe 5.1', () => {
    const inv = buildPowerShellInvocation(script, { env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64' });
    expect(inv.file).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(inv.args.slice(0, 7)).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-OutputFormat', 'Text', '-EncodedCommand']);
    expect(decode(inv.args[7]!)).toBe(script);
  });

  it('embeds the KB only as a number literal, never as text from the command', () => {
    expect(script).not.toContain('KB5072033');
    expect(script.match(/5072033/g)).toHaveLength(2);
    expect(script).toContain('$kbText = [string]5072033\n');
    expect(script).toContain('Kb = 5072033;');
    // The number stands alone: no quote, letter or digit glued to it.
    for (const m of script.matchAll(/5072033/g)) {
      expect(script[m.index - 1]).toMatch(/[\] ]/);
      expect(script[m.index + 7]).toMatch(/[\n;]/);
    }
  });

  it('never builds a script from an invalid KB', () => {
    for (const kb of ["KB5072033'; Restart-Computer; '", 'KB5072033\nRestart-Computer', '5072033', 'KB1']) {
      expect(() => buildWuaInstallScript(kb)).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
    }
  });

  it('searches, accepts EULAs, downloads and installs through the WUA COM API', () => {
    const lines = script.split('\n');
    const at = (needle: string): number => {
      const i = lines.findIndex((l) => l.includes(needle));
      expect(i, needle).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      "$ErrorActionPreference = 'Stop'",
      'New-Object -ComObject Microsoft.Update.Session',
      "$session.ClientApplicationID = 'Patchfleet'",
      `$searcher.Search("IsInstalled=0 and Type='Software'")`,
      '@($u.KBArticleIDs) -contains $kbText',
      `$searcher.Search("IsInstalled=1 and Type='Software'")`,
      '$installer = $session.CreateUpdateInstaller()',
      'if ($installer.IsBusy)',
      'RebootRequiredBeforeInstallation',
      '$u.AcceptEula()',
      '$session.CreateUpdateDownloader()',
      '$downloader.Download()',
      '$installer.ForceQuiet = $true',
      '$installer.Install()',
      '$res.GetUpdateResult($i)',
      '} catch {',
      'ConvertTo-Json -InputObject $pfResult -Depth 4 -Compress',
    ].map(at);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('reports the innermost exception HResult, not the PowerShell wrapper one', () => {
    expect(script).toContain('while ($null -ne $e.InnerException) { $e = $e.InnerException }');
    expect(script).toContain('$out.HResult = [int]$e.HResult');
  });

  it('does not use the automatic variable $matches', () => {
    expect(wuaInstallScriptBody('KB5072033')).not.toMatch(/\$matches\b/i);
  });

  it('has balanced braces and parentheses', () => {
    const count = (c: string): number => script.split(c).length - 1;
    expect(count('{')).toBe(count('}'));
    expect(count('(')).toBe(count(')'));
  });
});
