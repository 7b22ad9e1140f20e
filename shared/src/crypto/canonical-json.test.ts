import { describe, it, expect } from 'vitest';
import { canonicalBytes, canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts object keys whatever the insertion order', () => {
    expect(canonicalJson({ b: 1, a: 2, c: 3 })).toBe('{"a":2,"b":1,"c":3}');
    expect(canonicalJson({ c: 3, a: 2, b: 1 })).toBe(canonicalJson({ a: 2, b: 1, c: 3 }));
  });

  it('sorts keys by UTF-16 code units, not by locale', () => {
    // 'B' (0x42) < 'a' (0x61) < 'é' (0xe9) < '😀' (0xd83d...) ; locale order would put 'a' before 'B'.
    expect(canonicalJson({ a: 1, é: 2, B: 3, '😀': 4, '': 5 })).toBe('{"":5,"B":3,"a":1,"é":2,"😀":4}');
  });

  it('sorts keys at every level of nesting and keeps array order', () => {
    const value = { z: [3, 1, { y: true, x: null }], a: { d: 'x', c: { f: 1, e: [] } } };
    expect(canonicalJson(value)).toBe('{"a":{"c":{"e":[],"f":1},"d":"x"},"z":[3,1,{"x":null,"y":true}]}');
  });

  it('writes no insignificant white space and numbers as JSON does', () => {
    expect(canonicalJson([1, 1.5, -0, 1e21, 0.1, -7])).toBe('[1,1.5,0,1e+21,0.1,-7]');
    expect(canonicalJson({ s: 'a b' })).toBe('{"s":"a b"}');
  });

  it('escapes strings as JSON.stringify does and keeps unicode as is', () => {
    expect(canonicalJson('line\n"quoted"\\ tab\t')).toBe('"line\\n\\"quoted\\"\\\\ tab\\t"');
    expect(canonicalJson({ name: 'Zoë 東京 😀' })).toBe('{"name":"Zoë 東京 😀"}');
    expect(canonicalJson('\u0001')).toBe('"\\u0001"');
  });

  it('encodes to UTF-8 bytes', () => {
    const bytes = canonicalBytes({ k: 'é😀' });
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from('{"k":"é😀"}', 'utf8').toString('hex'));
    expect(bytes.length).toBe(8 + 2 + 4);
  });

  it('encodes scalars at the top level', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(false)).toBe('false');
    expect(canonicalJson(42)).toBe('42');
    expect(canonicalJson('x')).toBe('"x"');
  });

  it('skips object members whose value is undefined', () => {
    expect(canonicalJson({ a: 1, b: undefined, c: { d: undefined } })).toBe('{"a":1,"c":{}}');
  });

  it('refuses undefined inside an array', () => {
    expect(() => canonicalJson([1, undefined, 2])).toThrow(TypeError);
    expect(() => canonicalJson(undefined)).toThrow(/undefined/);
  });

  it('refuses NaN and the infinities, also nested', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/non-finite/);
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow(/non-finite/);
    expect(() => canonicalJson([Number.NEGATIVE_INFINITY])).toThrow(/non-finite/);
  });

  it('refuses bigint, functions and symbols', () => {
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
    expect(() => canonicalJson({ n: 10n })).toThrow(/bigint/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
    expect(() => canonicalJson([Symbol('s')])).toThrow(/symbol/);
  });

  it('refuses cycles but accepts the same object twice in a tree', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
    const arr: unknown[] = [];
    arr.push({ inner: arr });
    expect(() => canonicalJson(arr)).toThrow(/cycle/);

    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });
});
