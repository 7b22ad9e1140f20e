import { describe, expect, it } from 'vitest';
import { asciiOnly } from '@patchfleet/agent/scripts/executables';

describe('asciiOnly (the SEA main script is kept one byte a character)', () => {
  it('escapes the non-ASCII characters of regular-expression literals and strings without changing what they match or hold', () => {
    const code = 'module.exports = { deg: /[+-]([^°]*)/g, dash: /UTC\\s*(?:—|-)/, s: "née 😀" };';
    const escaped = asciiOnly(code);
    expect(/[\u0080-\uffff]/.test(escaped)).toBe(false);
    const load = (src: string) => {
      const m = { exports: {} as { deg: RegExp; dash: RegExp; s: string } };
      new Function('module', src)(m);
      return m.exports;
    };
    const before = load(code);
    const after = load(escaped);
    expect(after.s).toBe(before.s);
    expect(after.dash.test('UTC — x')).toBe(true);
    expect('+41°C'.match(after.deg)).toEqual('+41°C'.match(before.deg));
  });

  it('leaves pure ASCII alone', () => {
    expect(asciiOnly('const a = /[a-z]/u;')).toBe('const a = /[a-z]/u;');
  });
});
