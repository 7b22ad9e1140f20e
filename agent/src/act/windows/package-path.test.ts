import { describe, expect, it } from 'vitest';
import { assertPackagePath, packageFileName } from './package-path';

describe('assertPackagePath', () => {
  it('accepts absolute drive and UNC paths to .msu and .cab files', () => {
    expect(assertPackagePath('C:\\ProgramData\\Patchfleet\\cache\\windows11.0-kb5072033-x64_5a1f.msu')).toBe('msu');
    expect(assertPackagePath('D:\\Patches With Spaces\\Windows10.0-KB5072033-x64.MSU')).toBe('msu');
    expect(assertPackagePath('\\\\fileserver\\patches$\\ssu-26100.4940-x64.cab')).toBe('cab');
  });

  it('restricts the kinds when asked (wusa takes .msu only)', () => {
    expect(() => assertPackagePath('C:\\p\\x.cab', ['msu'])).toThrow(/expected a \.msu file/);
  });

  it.each([
    ['relative', 'patches\\x.msu'],
    ['drive-relative', 'C:x.msu'],
    ['rooted without drive', '\\patches\\x.msu'],
    ['device path', '\\\\?\\C:\\patches\\x.msu'],
    ['forward slashes', 'C:/patches/x.msu'],
    ['double quote', 'C:\\patches\\x".msu'],
    ['newline', 'C:\\patches\\x\n.msu'],
    ['carriage return', 'C:\\patches\\x.msu\r'],
    ['pipe', 'C:\\patches\\x|y.msu'],
    ['dot-dot', 'C:\\patches\\..\\Windows\\x.msu'],
    ['other extension', 'C:\\patches\\x.exe'],
    ['no extension', 'C:\\patches\\msu'],
    ['trailing dot', 'C:\\patches\\x.msu.'],
    ['empty', ''],
    ['too long', `C:\\${'a'.repeat(1100)}.msu`],
  ])('refuses a %s path with PF_ERR_BAD_INPUT', (_why, path) => {
    expect(() => assertPackagePath(path)).toThrow(expect.objectContaining({ code: 'PF_ERR_BAD_INPUT' }));
  });

  it('names the file of a path', () => {
    expect(packageFileName('C:\\a\\b\\windows11.0-kb5072033-x64.msu')).toBe('windows11.0-kb5072033-x64.msu');
  });
});
