import { describe, expect, it } from 'vitest';
import { HOTFIX_SCRIPT_BODY } from './hotfix';
import { MACHINE_SCRIPT_BODY } from './hardware';
import { buildInventoryScript, parseInventoryJson, parseInventoryOutput } from './inventory-script';
import { OS_SCRIPT_BODY } from './os';
import { PENDING_REBOOT_SCRIPT_BODY } from './pending-reboot';
import { buildPowerShellInvocation, compactScript, MAX_ENCODED_COMMAND_CHARS } from './powershell';
import { fixture, fixtureJson } from './test-fixtures';
import { updateHistoryScriptBody } from './update-history';

describe('buildInventoryScript', () => {
  const script = buildInventoryScript();
  const lines = script.split('\n');

  it('wraps every part in Invoke-PfPart inside one script, under the command-line limit', () => {
    const inv = buildPowerShellInvocation(script, { env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64' });
    expect(Buffer.from(inv.args[7]!, 'base64').toString('utf16le')).toBe(script);
    expect(inv.args[7]!.length).toBeLessThan(MAX_ENCODED_COMMAND_CHARS / 2);
    expect(lines.slice(0, 5)).toEqual([
      "$ErrorActionPreference = 'Stop'",
      "$ProgressPreference = 'SilentlyContinue'",
      '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false',
      '$pfResult = & {',
      'function Invoke-PfPart([scriptblock]$Body) {',
    ]);
    expect(lines.at(-1)).toBe('ConvertTo-Json -InputObject $pfResult -Depth 8 -Compress');
    for (const [name, body] of [
      ['pfOs', OS_SCRIPT_BODY],
      ['pfMachine', MACHINE_SCRIPT_BODY],
      ['pfHotfixes', HOTFIX_SCRIPT_BODY],
      ['pfPendingReboot', PENDING_REBOOT_SCRIPT_BODY],
      ['pfUpdateHistory', updateHistoryScriptBody(200)],
    ] as const) {
      expect(script, name).toContain(`$${name} = Invoke-PfPart {\n${compactScript(body)}\n}`);
    }
  });

  it('catches each part on its own and reports its error with the line', () => {
    expect(lines).toContain(
      "catch { [ordered]@{ ok = $false; ms = $sw.ElapsedMilliseconds; error = ('{0}: {1} (line {2})' -f $_.Exception.GetType().FullName, $_.Exception.Message, $_.InvocationInfo.ScriptLineNumber) } }",
    );
    expect(lines).toContain('try { $d = & $Body; [ordered]@{ ok = $true; ms = $sw.ElapsedMilliseconds; data = $d } }');
  });

  it('prints one object naming each part and the schema', () => {
    const tail = lines.slice(lines.indexOf('schema = 1') - 1);
    expect(tail).toEqual([
      '[ordered]@{',
      'schema = 1',
      'psVersion = $PSVersionTable.PSVersion.ToString()',
      'os = $pfOs',
      'machine = $pfMachine',
      'hotfixes = $pfHotfixes',
      'pendingReboot = $pfPendingReboot',
      'updateHistory = $pfUpdateHistory',
      '}',
      '}',
      'ConvertTo-Json -InputObject $pfResult -Depth 8 -Compress',
    ]);
  });

  it('passes the history limit on', () => {
    expect(buildInventoryScript({ historyLimit: 25 })).toContain('[Math]::Min($total, 25)');
  });
});

describe('parseInventoryJson', () => {
  it('parses every part of a healthy host', () => {
    const out = parseInventoryJson(fixture('inventory.ps51.en-US.json'));
    expect(out.psVersion).toBe('5.1.26100.7019');
    expect(out.os).toMatchObject({ ok: true, ms: 41, data: { build: '26100', ubr: 7171, name: 'Windows 11 Enterprise' } });
    expect(out.machine).toMatchObject({ ok: true, data: { hostname: 'WS-0142' } });
    expect(out.hotfixes.ok && out.hotfixes.data.map((h) => h.kb)).toEqual(['KB5054156', 'KB5066131', 'KB5068780', 'KB5068861']);
    expect(out.pendingReboot).toEqual({ ok: true, ms: 9, data: { required: false, reasons: [] } });
    expect(out.updateHistory.ok && out.updateHistory.data.entries).toHaveLength(7);
  });

  it('keeps the other parts when one failed in PowerShell', () => {
    const out = parseInventoryJson(fixture('inventory.ps51.de-DE.partial.json'));
    expect(out.updateHistory).toEqual({ ok: false, ms: 1503, error: 'System.Runtime.InteropServices.COMException: Ausnahme von HRESULT: 0x80070422 (line 2)' });
    expect(out.hotfixes.ok && out.hotfixes.data).toHaveLength(5);
    expect(out.pendingReboot).toMatchObject({ ok: true, data: { required: true } });
  });

  it('turns a missing part or a part whose data does not parse into a failed part', () => {
    const raw = fixtureJson('inventory.ps51.en-US.json') as Record<string, Record<string, unknown>>;
    delete raw['machine'];
    raw['os']!['data'] = { ProcessorArchitecture: 'AMD64' };
    const out = parseInventoryOutput(raw);
    expect(out.machine).toEqual({ ok: false, ms: null, error: 'part machine missing from the output' });
    expect(out.os).toEqual({ ok: false, ms: 41, error: 'OS JSON: CurrentBuildNumber/CurrentBuild missing or not a number (null)' });
    expect(out.hotfixes.ok).toBe(true);
  });

  it('refuses output that is not the script\'s, or of another schema', () => {
    expect(() => parseInventoryJson('[]')).toThrow("inventory JSON: expected the inventory script's object, got an array");
    expect(() => parseInventoryJson('{"schema":2}')).toThrow('inventory JSON: schema 2, this agent reads 1');
  });
});
