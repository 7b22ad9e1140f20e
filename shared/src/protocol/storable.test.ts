import { describe, it, expect } from 'vitest';
import { sampleHost, samplePackages } from '@patchfleet/test/support/inventory';
import { decodeFrame } from './codec';
import { findUnstorable, toStorable } from './storable';

describe('findUnstorable', () => {
  it('accepts ordinary text, including paired surrogates (emoji) and other control characters', () => {
    expect(findUnstorable({ a: 'caf\u00e9 \ud83d\ude80', b: ['x\ty\u0001'], n: 3.5, t: true, z: null })).toBeUndefined();
  });

  it('names the path of a NUL in a nested string, never the value', () => {
    const hit = findUnstorable({ packages: [{ name: 'ok' }, { name: 'ok', version: '1.0\u0000secret' }] });
    expect(hit).toEqual({ path: '/packages/1/version', reason: 'holds a NUL character (U+0000)' });
    expect(JSON.stringify(hit)).not.toContain('secret');
  });

  it('finds a NUL in an object key and unpaired surrogates of both kinds', () => {
    expect(findUnstorable({ host: { ['ti\u0000pm']: 1 } })).toEqual({ path: '/host/(a key)', reason: 'holds a NUL character (U+0000)' });
    expect(findUnstorable({ s: 'a\ud800b' })?.reason).toMatch(/unpaired/);
    expect(findUnstorable({ s: 'a\udc00' })?.reason).toMatch(/unpaired/);
    expect(findUnstorable({ s: '\ud800' })?.path).toBe('/s');
  });

  it('finds them in frames decoded from the wire, where JSON escapes put them', () => {
    const frame = { v: 3, type: 'inventory', id: 'f1', ts: 1, seq: 1, kind: 'full', part: 0, parts: 1, packageCount: 2, collectedAt: 1, packages: samplePackages(2), host: sampleHost() };
    const text = JSON.stringify(frame).replace('"version":"', '"version":"\\u0000');
    expect(findUnstorable(decodeFrame(text))?.path).toBe('/packages/0/version');
    const lone = JSON.stringify(frame).replace('"hostname":"', '"hostname":"\\ud800');
    expect(findUnstorable(decodeFrame(lone))?.path).toBe('/host/hostname');
    expect(findUnstorable(decodeFrame(JSON.stringify(frame)))).toBeUndefined();
  });
});

describe('toStorable', () => {
  it('replaces NULs and unpaired surrogates in strings and keys, keeps pairs and everything else', () => {
    const input = { a: 'x\u0000y', ['k\u0000']: ['\uD800', '\uDC00z', '\uD83D\uDE00'], n: 3, b: true, z: null };
    const out = toStorable(input);
    expect(out).toEqual({ a: 'x\uFFFDy', ['k\uFFFD']: ['\uFFFD', '\uFFFDz', '\uD83D\uDE00'], n: 3, b: true, z: null });
    expect(findUnstorable(out)).toBeUndefined();
    expect(findUnstorable(input)).toBeDefined();
  });
});

