import { describe, it, expect } from 'vitest';
import { digestsEqual, hashToken, normalizeFingerprint, randomToken, sha256Hex } from './tokens';

describe('randomToken', () => {
  it('has the prefix and 256 bits of base64url entropy', () => {
    const token = randomToken('pfe');
    expect(token).toMatch(/^pfe_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
  });

  it('never repeats', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => randomToken('pfa')));
    expect(tokens.size).toBe(200);
  });
});

describe('hashToken', () => {
  it('is the hex SHA-256 of the UTF-8 token', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('é')).toBe(sha256Hex(Buffer.from('é', 'utf8')));
  });

  it('differs for different tokens and does not contain the token', () => {
    const t = randomToken('pfe');
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).not.toBe(hashToken(`${t}x`));
    expect(hashToken(t)).not.toContain(t.slice(4));
  });
});

describe('digestsEqual', () => {
  it('compares digests, including ones of different lengths', () => {
    const a = hashToken('a');
    expect(digestsEqual(a, hashToken('a'))).toBe(true);
    expect(digestsEqual(a, hashToken('b'))).toBe(false);
    expect(digestsEqual(a, a.slice(0, 10))).toBe(false);
  });
});

describe('normalizeFingerprint', () => {
  it('lower-cases and strips colons and white space', () => {
    expect(normalizeFingerprint('AB:CD:0F')).toBe('abcd0f');
    expect(normalizeFingerprint(' ab cd\n0F\t')).toBe('abcd0f');
    expect(normalizeFingerprint('abcd0f')).toBe('abcd0f');
  });
});
