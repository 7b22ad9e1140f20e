/**
 * The executor against fixture output and exit codes fed through a fake
 * runner: the exact programs and argv it runs, in order, and the results it
 * builds. Nothing is spawned.
 */
import { ManualClock } from '@patchfleet/shared/clock';
import { describe, expect, it } from 'vitest';
import { installKb, installMsu, restartHost, uninstallKb, type WindowsExecOptions } from './executor';
import { fakeExec, fixture, type FakeRun } from './test-fixtures';
import { rejection } from '@patchfleet/test/support/errors';

const SYS = 'C:\\Windows\\System32';
const PS = `${SYS}\\WindowsPowerShell\\v1.0\\powershell.exe`;
const MSU = 'C:\\ProgramData\\Patchfleet\\cache\\windows11.0-kb5072033-x64_3f9c2a4e.msu';
const LCU = 'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.4946.1.10';

function setup(...runs: FakeRun[]): { opts: WindowsExecOptions; calls: ReturnType<typeof fakeExec>['calls']; clock: ManualClock } {
  const { exec, calls } = fakeExec(...runs);
  const clock = new ManualClock(1_000);
  return { opts: { exec, clock, timeoutMs: 3_600_000, env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64' }, calls, clock };
}

describe('installKb', () => {
  it('runs the WUA script in powershell.exe 5.1 and reports the installed KB', async () => {
    const { opts, calls } = setup({ stdout: fixture('wua-install.ps51.en-US.succeeded-reboot.json') });
    const r = await installKb({ ...opts, kb: 'KB5072033' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.file).toBe(PS);
    expect(calls[0]?.timeoutMs).toBe(3_600_000);
    const script = Buffer.from(calls[0]!.args[7]!, 'base64').toString('utf16le');
    expect(script).toContain('$kbText = [string]5072033');
    expect(r).toMatchObject({ ok: true, replaced: [{ name: 'KB5072033', from: null, to: 'installed' }], rebootRequired: true, rebootInitiated: false, exitCode: 0, durationMs: 0 });
    expect(r.error).toBeUndefined();
    expect(r.output).toContain('"ResultCode":2');
  });

  it('replaces nothing when the KB is already installed', async () => {
    const { opts } = setup({ stdout: fixture('wua-install.ps51.en-US.already-installed.json') });
    expect(await installKb({ ...opts, kb: 'KB890830' })).toMatchObject({ ok: true, replaced: [], rebootRequired: false });
  });

  it('returns PF_ERR_WINDOWS_UPDATE_NOT_FOUND when no update carries the KB', async () => {
    const { opts } = setup({ stdout: fixture('wua-install.ps51.en-US.not-found.json') });
    const r = await installKb({ ...opts, kb: 'KB5072033' });
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('PF_ERR_WINDOWS_UPDATE_NOT_FOUND');
    expect(r.replaced).toEqual([]);
  });

  it('keeps the installed part of a result with errors', async () => {
    const { opts } = setup({ stdout: fixture('wua-install.ps7.en-US.succeeded-with-errors.json') });
    const r = await installKb({ ...opts, kb: 'KB5071961' });
    expect(r).toMatchObject({ ok: false, replaced: [{ name: 'KB5071961', from: null, to: 'installed' }] });
    expect(r.error?.code).toBe('PF_ERR_WINDOWS_UPDATE_NOT_APPLICABLE');
    expect(r.error?.details).toMatchObject({ hresult: '0x00000000', stage: 'install' });
  });

  it('refuses a result for another KB', async () => {
    const { opts } = setup({ stdout: fixture('wua-install.ps51.en-US.already-installed.json') });
    expect((await rejection(installKb({ ...opts, kb: 'KB5072033' }))).code).toBe('PF_ERR_BAD_INPUT');
  });

  it('refuses a bad KB before running anything', async () => {
    const { opts, calls } = setup();
    expect((await rejection(installKb({ ...opts, kb: "KB5072033'; Restart-Computer #" }))).code).toBe('PF_ERR_BAD_INPUT');
    expect(calls).toHaveLength(0);
  });

  it('throws PF_ERR_WINDOWS_UPDATE_TIMEOUT when PowerShell is killed', async () => {
    const { opts } = setup({ exitCode: null, timedOut: true });
    expect((await rejection(installKb({ ...opts, kb: 'KB5072033' }))).code).toBe('PF_ERR_WINDOWS_UPDATE_TIMEOUT');
  });

  it('throws PF_ERR_POWERSHELL_FAILED when the script itself fails', async () => {
    const { opts } = setup({ exitCode: 1, stderr: 'boom' });
    expect((await rejection(installKb({ ...opts, kb: 'KB5072033' }))).code).toBe('PF_ERR_POWERSHELL_FAILED');
  });

  it('measures the duration on the injected clock', async () => {
    const { exec } = fakeExec({ stdout: fixture('wua-install.ps51.en-US.succeeded-reboot.json') });
    const clock = new ManualClock(0);
    const slow: typeof exec = async (f, a, o) => {
      clock.advance(42_000);
      return exec(f, a, o);
    };
    const r = await installKb({ exec: slow, clock, timeoutMs: 1000, env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64', kb: 'KB5072033' });
    expect(r.durationMs).toBe(42_000);
  });
});

describe('installMsu', () => {
  it('runs wusa.exe and reads the KB from the file name', async () => {
    const { opts, calls } = setup({ exitCode: 3010 });
    const r = await installMsu({ ...opts, path: MSU });
    expect(calls.map((c) => [c.file, c.args])).toEqual([[`${SYS}\\wusa.exe`, [MSU, '/quiet', '/norestart']]]);
    expect(r).toMatchObject({ ok: true, replaced: [{ name: 'KB5072033', from: null, to: 'installed' }], rebootRequired: true, rebootInitiated: false, exitCode: 3010 });
    expect(r.output).toBe(`> wusa.exe ${MSU} /quiet /norestart`);
  });

  it('reports an already installed package as success without a change', async () => {
    const { opts } = setup({ exitCode: 2359302 });
    expect(await installMsu({ ...opts, path: MSU })).toMatchObject({ ok: true, replaced: [], rebootRequired: false });
  });

  it('reports a restart the installer started', async () => {
    const { opts } = setup({ exitCode: 1641 });
    expect(await installMsu({ ...opts, path: MSU })).toMatchObject({ ok: true, rebootRequired: true, rebootInitiated: true });
  });

  it('maps wusa failures to errors', async () => {
    for (const [code, err] of [
      [2149842967, 'PF_ERR_WINDOWS_UPDATE_NOT_APPLICABLE'],
      [1618, 'PF_ERR_WINDOWS_INSTALL_IN_PROGRESS'],
      [5, 'PF_ERR_WINDOWS_ACCESS_DENIED'],
      [87, 'PF_ERR_BAD_INPUT'],
      [0x80004005, 'PF_ERR_WINDOWS_UPDATE_FAILED'],
    ] as const) {
      const { opts } = setup({ exitCode: code });
      const r = await installMsu({ ...opts, path: MSU });
      expect(r.ok).toBe(false);
      expect(r.error?.code).toBe(err);
      expect(r.replaced).toEqual([]);
      expect(r.exitCode).toBe(code);
    }
  });

  it('uses DISM for a .cab, with the DISM error line in the message', async () => {
    const { opts, calls } = setup({ exitCode: 2148468766, stdout: fixture('dism-add.en-US.not-applicable.txt') });
    const r = await installMsu({ ...opts, path: 'C:\\patches\\ssu-26100.4940-x64.cab' });
    expect(calls[0]?.file).toBe(`${SYS}\\dism.exe`);
    expect(calls[0]?.args).toEqual(['/Online', '/Add-Package', '/PackagePath:C:\\patches\\ssu-26100.4940-x64.cab', '/Quiet', '/NoRestart']);
    expect(r.error?.code).toBe('PF_ERR_WINDOWS_UPDATE_NOT_APPLICABLE');
    expect(r.error?.message).toBe('dism.exe /Add-Package of ssu-26100.4940-x64.cab failed with exit code 0x800F081E (CBS_E_NOT_APPLICABLE): Error: 0x800f081e');
    expect(r.output).toContain('The specified package is not applicable to this image.');
  });

  it('uses DISM for a .msu when asked, and names a KB-less file by its name', async () => {
    const { opts, calls } = setup({ exitCode: 0 });
    const r = await installMsu({ ...opts, path: 'C:\\patches\\hotfix.msu', method: 'dism' });
    expect(calls[0]?.args[1]).toBe('/Add-Package');
    expect(r.replaced).toEqual([{ name: 'hotfix.msu', from: null, to: 'installed' }]);
  });

  it('refuses bad paths before running anything', async () => {
    const { opts, calls } = setup();
    for (const path of ['windows11.0-kb5072033-x64.msu', 'C:\\p\\x".msu', 'C:\\p\\x.msu\n/uninstall', 'C:\\p\\x.exe']) {
      expect((await rejection(installMsu({ ...opts, path }))).code).toBe('PF_ERR_BAD_INPUT');
    }
    expect((await rejection(installMsu({ ...opts, path: 'C:\\p\\x.cab', method: 'wusa' }))).code).toBe('PF_ERR_BAD_INPUT');
    expect(calls).toHaveLength(0);
  });

  it('throws on timeout and when wusa cannot start', async () => {
    const t = setup({ exitCode: null, timedOut: true });
    expect((await rejection(installMsu({ ...t.opts, path: MSU }))).code).toBe('PF_ERR_WINDOWS_UPDATE_TIMEOUT');
    const f = setup({ exitCode: null, failure: 'spawn ENOENT' });
    const err = await rejection(installMsu({ ...f.opts, path: MSU }));
    expect(err.code).toBe('PF_ERR_WINDOWS_UPDATE_FAILED');
    expect(err.message).toBe('wusa.exe could not run: spawn ENOENT');
  });

  it('accepts signed and unsigned HRESULT exit codes alike', async () => {
    const a = setup({ exitCode: -2145124329 });
    const b = setup({ exitCode: 2149842967 });
    const ra = await installMsu({ ...a.opts, path: MSU });
    const rb = await installMsu({ ...b.opts, path: MSU });
    expect(ra.error?.code).toBe('PF_ERR_WINDOWS_UPDATE_NOT_APPLICABLE');
    expect(ra.error?.message).toBe(rb.error?.message);
  });
});

describe('uninstallKb', () => {
  it('removes a KB with wusa.exe', async () => {
    const { opts, calls } = setup({ exitCode: 3010 });
    const r = await uninstallKb({ ...opts, kb: 'KB5072033' });
    expect(calls.map((c) => [c.file, c.args])).toEqual([[`${SYS}\\wusa.exe`, ['/uninstall', '/kb:5072033', '/quiet', '/norestart']]]);
    expect(r).toMatchObject({ ok: true, replaced: [{ name: 'KB5072033', from: 'installed', to: null }], rebootRequired: true });
  });

  it('falls back to DISM for the LCU of a combined package wusa cannot see', async () => {
    const { opts, calls } = setup({ exitCode: 2359303 }, { exitCode: 0, stdout: fixture('dism-packages.en-US.txt') }, { exitCode: 3010 });
    const r = await uninstallKb({ ...opts, kb: 'KB5063878', build: '26100.4946' });
    expect(calls.map((c) => [c.file, c.args])).toEqual([
      [`${SYS}\\wusa.exe`, ['/uninstall', '/kb:5063878', '/quiet', '/norestart']],
      [`${SYS}\\dism.exe`, ['/Online', '/English', '/Get-Packages', '/Format:Table']],
      [`${SYS}\\dism.exe`, ['/Online', '/Remove-Package', `/PackageName:${LCU}`, '/Quiet', '/NoRestart']],
    ]);
    expect(r).toMatchObject({ ok: true, replaced: [{ name: 'KB5063878', from: 'installed', to: null }], rebootRequired: true, exitCode: 3010 });
    expect(r.output).toContain(`> dism.exe /Online /Remove-Package /PackageName:${LCU} /Quiet /NoRestart`);
  });

  it('reports nothing to do when neither wusa nor DISM finds it installed', async () => {
    const { opts, calls } = setup({ exitCode: 2359303 }, { exitCode: 0, stdout: fixture('dism-packages.en-US.txt') });
    const r = await uninstallKb({ ...opts, kb: 'KB5062553', build: '26100.4652' });
    expect(calls).toHaveLength(2);
    expect(r).toMatchObject({ ok: true, replaced: [], rebootRequired: false });
    expect(r.output).toContain('No installed Package_for_RollupFix for build 26100.4652');
  });

  it('refuses to call "not installed" a success without the build', async () => {
    const { opts, calls } = setup({ exitCode: 2359303 });
    const r = await uninstallKb({ ...opts, kb: 'KB5063878' });
    expect(calls).toHaveLength(1);
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('PF_ERR_WINDOWS_UNINSTALL_UNSUPPORTED');
    expect(r.error?.message).toContain('0x00240007 (WU_S_ALREADY_UNINSTALLED)');
  });

  it('reports a permanent package DISM will not remove', async () => {
    const { opts } = setup({ exitCode: 2359303 }, { exitCode: 0, stdout: fixture('dism-packages.de-DE.txt') }, { exitCode: -2146498523 });
    const r = await uninstallKb({ ...opts, kb: 'KB5063878', build: '26100.4946' });
    expect(r).toMatchObject({ ok: false, replaced: [], exitCode: -2146498523 });
    expect(r.error?.code).toBe('PF_ERR_WINDOWS_UNINSTALL_UNSUPPORTED');
  });

  it('stops when DISM cannot list packages', async () => {
    const { opts, calls } = setup({ exitCode: 2359303 }, { exitCode: 740, stdout: fixture('dism-get-packages.en-US.elevation.txt') });
    const r = await uninstallKb({ ...opts, kb: 'KB5063878', build: '26100.4946' });
    expect(calls).toHaveLength(2);
    expect(r.error?.code).toBe('PF_ERR_WINDOWS_ACCESS_DENIED');
    expect(r.error?.message).toBe('dism.exe /Get-Packages failed with exit code 740 (ERROR_ELEVATION_REQUIRED): Error: 740');
  });

  it('does not fall back for other wusa failures', async () => {
    const { opts, calls } = setup({ exitCode: 1618 });
    const r = await uninstallKb({ ...opts, kb: 'KB5063878', build: '26100.4946' });
    expect(calls).toHaveLength(1);
    expect(r.error?.code).toBe('PF_ERR_WINDOWS_INSTALL_IN_PROGRESS');
  });

  it('refuses a bad KB or build before running anything', async () => {
    const { opts, calls } = setup();
    expect((await rejection(uninstallKb({ ...opts, kb: 'KB50' }))).code).toBe('PF_ERR_BAD_INPUT');
    expect((await rejection(uninstallKb({ ...opts, kb: 'KB5063878', build: '26100.4946 /Image:C:\\' }))).code).toBe('PF_ERR_BAD_INPUT');
    expect(calls).toHaveLength(0);
  });
});

describe('restartHost', () => {
  it('runs shutdown.exe /r with the reason and reason code', async () => {
    const { opts, calls } = setup({ exitCode: 0 });
    const r = await restartHost({ ...opts, delaySec: 120, reason: 'Patchfleet: restart after KB5072033' });
    expect(calls.map((c) => [c.file, c.args])).toEqual([[`${SYS}\\shutdown.exe`, ['/r', '/t', '120', '/c', 'Patchfleet: restart after KB5072033', '/d', 'p:2:17']]]);
    expect(r).toMatchObject({ ok: true, rebootInitiated: true, replaced: [] });
  });

  it('counts an already scheduled shutdown as started, and fails otherwise', async () => {
    const a = setup({ exitCode: 1190 });
    expect(await restartHost({ ...a.opts, delaySec: 0, reason: 'x' })).toMatchObject({ ok: true, rebootInitiated: true });
    const b = setup({ exitCode: 5 });
    const r = await restartHost({ ...b.opts, delaySec: 0, reason: 'x' });
    expect(r).toMatchObject({ ok: false, rebootInitiated: false });
    expect(r.error?.code).toBe('PF_ERR_WINDOWS_ACCESS_DENIED');
  });
});
