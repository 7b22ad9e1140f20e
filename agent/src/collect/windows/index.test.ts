import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, makeFrame, type Inventory } from '@patchfleet/shared/protocol';
import { isPfError } from '@patchfleet/shared/errors';
import { buildInventoryScript, collectWindowsInventory, type WindowsHostFacts } from './index';
import { fixture, fixtureJson } from './test-fixtures';

const NOW = Date.parse('2025-11-13T08:52:13.500Z');

/** Validates the inventory as the controller will: as an `inventory` frame. */
function assertValidFrame(inv: Inventory): void {
  const frame = makeFrame('inventory', { seq: 1, kind: 'full', part: 0, parts: 1, packageCount: inv.packages.length, collectedAt: NOW, host: inv.host, packages: inv.packages }, NOW);
  expect(() => decodeFrame(encodeFrame(frame))).not.toThrow();
}

async function collect(stdout: string | Uint8Array, warnings: string[] = []): Promise<{ inv: Inventory; host: WindowsHostFacts; scripts: string[] }> {
  const scripts: string[] = [];
  const inv = await collectWindowsInventory({
    now: () => NOW,
    onWarning: (m) => warnings.push(m),
    run: async (s) => {
      scripts.push(s);
      return stdout;
    },
  });
  return { inv, host: inv.host as WindowsHostFacts, scripts };
}

describe('collectWindowsInventory', () => {
  it('runs the inventory script once and maps a healthy Windows 11 host', async () => {
    const warnings: string[] = [];
    const { inv, host, scripts } = await collect(fixture('inventory.ps51.en-US.json'), warnings);
    expect(scripts).toEqual([buildInventoryScript()]);
    expect(warnings).toEqual([]);
    assertValidFrame(inv);
    expect(host.hostname).toBe('WS-0142');
    expect(host.fqdn).toBe('ws-0142.corp.example.com');
    expect(host.os).toEqual({
      platform: 'windows',
      id: 'windows',
      name: 'Windows 11 Enterprise',
      version: '10.0.26100',
      codename: '24H2',
      kernel: '10.0.26100.7171',
      arch: 'AMD64',
      build: '26100',
      ubr: 7171,
    });
    expect(host.bootTime).toBe(Date.parse('2025-11-12T08:52:13.500Z'));
    expect(host.bootId).toBe('boot-2025-11-12T08:52:13.500Z');
    expect(host.uptimeSec).toBe(86_400);
    expect(host.pendingReboot).toEqual({ required: false, reasons: [] });
    expect(host.packageManagers).toEqual(['windows']);
    expect(host.windows).toMatchObject({
      edition: 'Enterprise',
      installationType: 'Client',
      displayVersion: '24H2',
      productName: 'Windows 10 Enterprise',
      hotpatchEnrolled: null,
      vbsStatus: 2,
      updateHistoryTotal: 57,
      psVersion: '5.1.26100.7019',
    });
    expect(host.windows.hotfixes).toHaveLength(4);
    expect(host.windows.updateHistory).toHaveLength(7);
    expect(host.windows.errors).toBeUndefined();
    expect(inv.packages).toEqual([
      { name: 'KB5054156', version: '2025-04-09', sourceName: 'KB5054156', sourceVersion: '2025-04-09', arch: 'AMD64', manager: 'windows' },
      { name: 'KB5066131', version: '2025-10-15', sourceName: 'KB5066131', sourceVersion: '2025-10-15', arch: 'AMD64', manager: 'windows' },
      { name: 'KB5068780', version: '2025-11-12', sourceName: 'KB5068780', sourceVersion: '2025-11-12', arch: 'AMD64', manager: 'windows' },
      { name: 'KB5068861', version: '2025-11-12', sourceName: 'KB5068861', sourceVersion: '2025-11-12', arch: 'AMD64', manager: 'windows' },
    ]);
  });

  it('reports what it has when update history failed, with the error and a warning', async () => {
    const warnings: string[] = [];
    const { inv, host } = await collect(fixture('inventory.ps51.de-DE.partial.json'), warnings);
    assertValidFrame(inv);
    expect(warnings).toEqual(['Windows updateHistory not collected: System.Runtime.InteropServices.COMException: Ausnahme von HRESULT: 0x80070422 (line 2)']);
    expect(host.windows.errors).toEqual({ updateHistory: 'System.Runtime.InteropServices.COMException: Ausnahme von HRESULT: 0x80070422 (line 2)' });
    expect(host.windows.updateHistory).toEqual([]);
    expect(host.windows.updateHistoryTotal).toBeNull();
    // VBS is off on this host: not enrolled, history or not.
    expect(host.windows.hotpatchEnrolled).toBe(false);
    expect(host.os).toMatchObject({ name: 'Windows Server 2022 Datacenter', version: '10.0.20348', kernel: '10.0.20348.4294', codename: '21H2' });
    expect(host.hardware.virtual).toBe(true);
    expect(host.pendingReboot).toEqual({ required: true, reasons: ['Component Based Servicing: RebootPending'] });
    // Two KBs without a date: version '0'.
    expect(inv.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['KB5066527@2025-10-14', 'KB5068787@2025-11-12', 'KB5031590@0', 'KB5012170@0', 'KB5065432@2025-09-13']);
  });

  it('falls back to Node facts when the machine part failed, and says pending reboot is unknown when that failed', async () => {
    const raw = fixtureJson('inventory.ps51.en-US.json') as Record<string, unknown>;
    raw['machine'] = { ok: false, ms: 3, error: 'Microsoft.Management.Infrastructure.CimException: Invalid class (line 2)' };
    raw['pendingReboot'] = { ok: false, ms: 1, error: 'System.Management.Automation.ItemNotFoundException: Cannot find path (line 3)' };
    const warnings: string[] = [];
    const { inv, host } = await collect(JSON.stringify(raw), warnings);
    assertValidFrame(inv);
    expect(warnings).toHaveLength(2);
    expect(host.hostname.length).toBeGreaterThan(0);
    expect(host.hardware).toEqual({ vendor: '', model: '', serial: '' });
    expect(host.memory.totalBytes).toBeGreaterThan(0);
    expect(host.bootId).toMatch(/^boot-\d{4}-\d{2}-\d{2}T/);
    expect(host.pendingReboot).toEqual({ required: false, reasons: ['pending reboot unknown: System.Management.Automation.ItemNotFoundException: Cannot find path (line 3)'] });
    expect(Object.keys(host.windows.errors ?? {})).toEqual(['machine', 'pendingReboot']);
  });

  it('fails, retryably, without the hotfix list or the OS facts: never a report with KBs missing', async () => {
    for (const part of ['hotfixes', 'os']) {
      const raw = fixtureJson('inventory.ps51.en-US.json') as Record<string, unknown>;
      raw[part] = { ok: false, ms: 5, error: 'System.UnauthorizedAccessException: Access denied (line 1)' };
      const err = await collect(JSON.stringify(raw)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPfError(err) && err.code, part).toBe('PF_ERR_COLLECT_FAILED');
      expect(isPfError(err) && err.retryable).toBe(true);
      expect(String((err as Error).message)).toContain('System.UnauthorizedAccessException: Access denied (line 1)');
    }
  });

  it('passes PowerShell failures and unreadable output on', async () => {
    const err = await collect('WARNING: something\r\n').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPfError(err) && err.code).toBe('PF_ERR_BAD_INPUT');
  });
});
