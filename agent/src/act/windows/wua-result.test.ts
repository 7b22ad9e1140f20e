import { describe, expect, it } from 'vitest';
import { fixture } from './test-fixtures';
import { parseWuaInstallJson, parseWuaInstallResult, wuaVerdict } from './wua-result';

const CU = '2025-12 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5072033) (26100.7462)';
const CU_DE = '2025-12 Kumulatives Update für Windows 11 Version 24H2 für x64-basierte Systeme (KB5072033) (26100.7462)';

describe('parseWuaInstallJson', () => {
  it('reads a successful install that needs a restart (5.1)', () => {
    const r = parseWuaInstallJson(fixture('wua-install.ps51.en-US.succeeded-reboot.json'));
    expect(r).toEqual({
      kb: 5072033,
      found: true,
      alreadyInstalled: false,
      stage: 'install',
      resultCode: 2,
      result: 'succeeded',
      hresult: '0x00000000',
      rebootRequired: true,
      title: CU,
      updates: [{ title: CU, updateId: '3f9c2a4e-8b1d-4c57-9e0a-6d2f71b8c405', revisionNumber: 1, result: 'succeeded', hresult: '0x00000000' }],
      error: null,
    });
    expect(wuaVerdict(r, 'KB5072033')).toEqual({ ok: true, installed: true });
  });

  it('reads "not offered" and "already installed"', () => {
    const none = parseWuaInstallJson(fixture('wua-install.ps51.en-US.not-found.json'));
    expect(none).toMatchObject({ found: false, alreadyInstalled: false, stage: 'search', resultCode: null, result: null, title: null, updates: [] });
    expect(wuaVerdict(none, 'KB5072033')).toMatchObject({ ok: false, installed: false, error: { def: { code: 'PF_ERR_WINDOWS_UPDATE_NOT_FOUND' } } });

    const msrt = parseWuaInstallJson(fixture('wua-install.ps51.en-US.already-installed.json'));
    expect(msrt).toMatchObject({ kb: 890830, found: false, alreadyInstalled: true, title: 'Windows Malicious Software Removal Tool x64 - v5.137 (KB890830)' });
    expect(wuaVerdict(msrt, 'KB890830')).toEqual({ ok: true, installed: false });
  });

  it('reads a failed install on a German host and maps its per-update HRESULT', () => {
    const r = parseWuaInstallJson(fixture('wua-install.ps51.de-DE.failed.json'));
    expect(r).toMatchObject({ stage: 'install', result: 'failed', hresult: '0x00000000', title: CU_DE });
    expect(r.updates[0]).toMatchObject({ title: CU_DE, result: 'failed', hresult: '0x800F081E' });
    const v = wuaVerdict(r, 'KB5072033');
    expect(v.ok).toBe(false);
    expect(v.error?.def.code).toBe('PF_ERR_WINDOWS_UPDATE_NOT_APPLICABLE');
    expect(v.error?.message).toContain('0x800F081E (CBS_E_NOT_APPLICABLE)');
  });

  it('reads an exception caught during the search', () => {
    const r = parseWuaInstallJson(fixture('wua-install.ps51.en-US.search-error.json'));
    expect(r).toMatchObject({ stage: 'search', found: false, hresult: '0x8024402C', error: 'Exception from HRESULT: 0x8024402C' });
    const v = wuaVerdict(r, 'KB5072033');
    expect(v.error?.def.code).toBe('PF_ERR_WINDOWS_UPDATE_FAILED');
    expect(v.error?.message).toBe('Windows Update search of KB5072033 failed with 0x8024402C: Exception from HRESULT: 0x8024402C');
  });

  it('reads a busy installer and a pending restart', () => {
    const busy = parseWuaInstallJson(fixture('wua-install.ps51.en-US.busy.json'));
    expect(busy).toMatchObject({ stage: 'busy', found: true, resultCode: null });
    expect(busy.updates[0]?.result).toBeNull();
    expect(wuaVerdict(busy, 'KB5072033').error?.def.code).toBe('PF_ERR_WINDOWS_INSTALL_IN_PROGRESS');

    const pending = parseWuaInstallJson(fixture('wua-install.ps7.de-DE.reboot-pending.pretty.json'));
    expect(pending).toMatchObject({ stage: 'reboot-pending', found: true, title: CU_DE });
    expect(wuaVerdict(pending, 'KB5072033').error?.def.code).toBe('PF_ERR_WINDOWS_REBOOT_PENDING');
  });

  it('reads a failed download', () => {
    const r = parseWuaInstallJson(fixture('wua-install.ps51.en-US.download-failed.json'));
    expect(r).toMatchObject({ stage: 'download', result: 'failed', hresult: '0x80246007', rebootRequired: false });
    const v = wuaVerdict(r, 'KB5072033');
    expect(v).toMatchObject({ ok: false, installed: false, error: { def: { code: 'PF_ERR_WINDOWS_UPDATE_FAILED' } } });
    expect(v.error?.message).toMatch(/^Windows Update download of KB5072033 ended failed, 0x80246007/);
  });

  it('reads the same two-update result from 5.1 (\\u0026 escapes) and 7', () => {
    const r51 = parseWuaInstallJson(fixture('wua-install.ps51.en-US.succeeded-with-errors.json'));
    const r7 = parseWuaInstallJson(fixture('wua-install.ps7.en-US.succeeded-with-errors.json'));
    expect(fixture('wua-install.ps51.en-US.succeeded-with-errors.json').toString()).toContain('\\u0026');
    expect(r51).toEqual(r7);
    expect(r7.updates.map((u) => [u.result, u.hresult])).toEqual([
      ['succeeded', '0x00000000'],
      ['failed', '0x80240017'],
    ]);
    expect(r7.updates[1]?.title).toContain('3.5, 4.8 & 4.8.1');
    const v = wuaVerdict(r7, 'KB5071961');
    expect(v).toMatchObject({ ok: false, installed: true, error: { def: { code: 'PF_ERR_WINDOWS_UPDATE_NOT_APPLICABLE' } } });
    expect(v.error?.message).toContain('ended succeeded-with-errors');
  });

  it('matches keys without case and reads a 5.1 {value, Count} list', () => {
    const r = parseWuaInstallResult({
      found: true,
      stage: 'install',
      resultcode: 2,
      updates: { value: [{ title: 'x', resultCode: 2, hresult: 0 }], Count: 1 },
    });
    expect(r).toMatchObject({ found: true, result: 'succeeded', updates: [{ title: 'x', result: 'succeeded' }] });
  });

  it('refuses output that is not the script result', () => {
    expect(() => parseWuaInstallJson('[]')).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
    expect(() => parseWuaInstallJson('{"TotalCount":3,"Entries":[]}')).toThrow(/missing Found or Stage/);
    expect(() => parseWuaInstallJson('{"Found":true,"Stage":"reboot"}')).toThrow(/missing Found or Stage/);
    expect(() => parseWuaInstallJson('')).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
  });
});
