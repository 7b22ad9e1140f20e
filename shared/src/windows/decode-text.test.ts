import { describe, expect, it } from 'vitest';
import { decodeShellOutput } from './decode-text';

const text = '[{"InstalledBy":"NT-AUTORITÄT\\\\SYSTEM"}]';
const utf16le = (s: string): Buffer => Buffer.from(s, 'utf16le');

describe('decodeShellOutput', () => {
  it('reads UTF-8 with and without a BOM', () => {
    expect(decodeShellOutput(Buffer.from(text, 'utf8'), 'x')).toBe(text);
    expect(decodeShellOutput(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]), 'x')).toBe(text);
  });

  it('reads UTF-16LE with a BOM (5.1 Out-File) and without one', () => {
    expect(decodeShellOutput(Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(text)]), 'x')).toBe(text);
    expect(decodeShellOutput(utf16le(text), 'x')).toBe(text);
  });

  it('reads UTF-16BE with a BOM', () => {
    const le = utf16le(text);
    const be = Buffer.alloc(le.length);
    for (let i = 0; i < le.length; i += 2) {
      be[i] = le[i + 1]!;
      be[i + 1] = le[i]!;
    }
    expect(decodeShellOutput(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'x')).toBe(text);
  });

  it('strips a BOM from a string', () => {
    expect(decodeShellOutput(`\uFEFF${text}`, 'x')).toBe(text);
    expect(decodeShellOutput(text, 'x')).toBe(text);
  });

  it('refuses bytes that are neither UTF-8 nor UTF-16 (an OEM code page) and cut-off UTF-16', () => {
    // "NT-AUTORITÄT" in code page 850: Ä is 0x8E, not valid UTF-8.
    const cp850 = Buffer.from([0x4e, 0x54, 0x2d, 0x41, 0x55, 0x54, 0x4f, 0x52, 0x49, 0x54, 0x8e, 0x54]);
    expect(() => decodeShellOutput(cp850, 'hotfix JSON')).toThrow('hotfix JSON: output is neither UTF-8 nor UTF-16 text');
    expect(() => decodeShellOutput(Buffer.from([0xff, 0xfe, 0x5b, 0x00, 0x7b]), 'x')).toThrow(/odd number of bytes \(3\)/);
  });

  it('decodes empty input as empty text', () => {
    expect(decodeShellOutput(new Uint8Array(), 'x')).toBe('');
  });
});
