import { describe, expect, it } from 'vitest';
import {
  assertPackageName,
  dismAddPackageCommand,
  dismGetPackagesCommand,
  dismRemovePackageCommand,
  wusaInstallCommand,
  wusaUninstallCommand,
} from './servicing-commands';

const opts = { env: { SystemRoot: 'C:\\Windows' }, processArch: 'x64' };
const MSU = 'C:\\ProgramData\\Patchfleet\\cache\\windows11.0-kb5072033-x64.msu';
const LCU = 'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.4946.1.10';

describe('wusa.exe', () => {
  it('installs a .msu quietly without restarting', () => {
    expect(wusaInstallCommand(MSU, opts)).toEqual({ file: 'C:\\Windows\\System32\\wusa.exe', args: [MSU, '/quiet', '/norestart'] });
  });

  it('passes a path with spaces as one argument, unquoted (Node quotes it on Windows)', () => {
    const path = 'D:\\Patch Cache\\windows11.0-kb5072033-x64.msu';
    expect(wusaInstallCommand(path, opts).args[0]).toBe(path);
  });

  it('uninstalls by KB number', () => {
    expect(wusaUninstallCommand('KB5072033', opts)).toEqual({ file: 'C:\\Windows\\System32\\wusa.exe', args: ['/uninstall', '/kb:5072033', '/quiet', '/norestart'] });
  });

  it('runs the 64-bit wusa.exe through Sysnative from a 32-bit agent on 64-bit Windows', () => {
    expect(wusaUninstallCommand('KB5072033', { env: { SystemRoot: 'C:\\Windows', PROCESSOR_ARCHITEW6432: 'AMD64' }, processArch: 'ia32' }).file).toBe('C:\\Windows\\Sysnative\\wusa.exe');
  });

  it('refuses a .cab, a bad path or a bad KB', () => {
    expect(() => wusaInstallCommand('C:\\p\\x.cab', opts)).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
    expect(() => wusaInstallCommand('C:\\p\\x".msu', opts)).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
    expect(() => wusaUninstallCommand('5072033', opts)).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
  });
});

describe('dism.exe', () => {
  it('adds a package', () => {
    expect(dismAddPackageCommand(MSU, opts)).toEqual({ file: 'C:\\Windows\\System32\\dism.exe', args: ['/Online', '/Add-Package', `/PackagePath:${MSU}`, '/Quiet', '/NoRestart'] });
    expect(dismAddPackageCommand('C:\\p\\ssu.cab', opts).args[2]).toBe('/PackagePath:C:\\p\\ssu.cab');
  });

  it('lists packages as an English table', () => {
    expect(dismGetPackagesCommand({ env: { SystemRoot: 'D:\\WINNT\\' }, processArch: 'x64' })).toEqual({
      file: 'D:\\WINNT\\System32\\dism.exe',
      args: ['/Online', '/English', '/Get-Packages', '/Format:Table'],
    });
  });

  it('removes a package by name', () => {
    expect(dismRemovePackageCommand(LCU, opts)).toEqual({ file: 'C:\\Windows\\System32\\dism.exe', args: ['/Online', '/Remove-Package', `/PackageName:${LCU}`, '/Quiet', '/NoRestart'] });
  });

  it('accepts package identities with and without a language', () => {
    expect(() => assertPackageName('Microsoft-Windows-Client-LanguagePack-Package~31bf3856ad364e35~amd64~de-DE~10.0.26100.4946')).not.toThrow();
    expect(() => assertPackageName('Package_for_ServicingStack_4940~31bf3856ad364e35~amd64~~26100.4940.1.1')).not.toThrow();
  });

  it.each(['', 'Package_for_RollupFix', `${LCU} /Quiet`, `${LCU}"`, `/Image:C:\\x`, `${LCU}\n`, 'Package_for_RollupFix~31bf3856ad364e3~amd64~~26100.4946.1.10'])(
    'refuses package name %j',
    (name) => {
      expect(() => dismRemovePackageCommand(name, opts)).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
    },
  );
});
