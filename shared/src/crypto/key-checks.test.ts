import { createPublicKey, verify as rawVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodePublicKey, naclEd25519, nodeEd25519 } from './ed25519';
import { publicKeyProblem } from './key-checks';

const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const b64 = (h: string) => Buffer.from(h, 'hex').toString('base64');
const FF30 = 'ff'.repeat(30);

/** Every small-order point (libsodium's list), each with the x sign bit clear and set where that is a distinct encoding. */
const SMALL_ORDER = {
  'all zero (order 4)': '00'.repeat(32),
  'zero with sign bit (order 4)': `${'00'.repeat(31)}80`,
  'identity (order 1)': `01${'00'.repeat(31)}`,
  'y = p-1 (order 2)': `ec${FF30}7f`,
  'order 8 a': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'order 8 a, sign bit': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'order 8 b': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'order 8 b, sign bit': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
};
const NON_CANONICAL = {
  'y = p (0 again)': `ed${FF30}7f`,
  'y = p+1 (1 again)': `ee${FF30}7f`,
  'y = 2^255-1': `ff${FF30}7f`,
  'identity with sign bit (x = -0)': `01${'00'.repeat(30)}80`,
  'y = p-1 with sign bit (x = -0)': `ec${FF30}ff`,
};

describe('public key checks', () => {
  it('accepts real keys from both implementations, with the subgroup check', () => {
    for (let i = 0; i < 10; i += 1) {
      for (const impl of [nodeEd25519, naclEd25519]) {
        const { publicKey } = impl.generateKeyPair();
        expect(publicKeyProblem(Buffer.from(publicKey, 'base64'))).toBeUndefined();
      }
    }
  });

  it.each(Object.entries(SMALL_ORDER))('refuses the small-order point %s', (_name, h) => {
    expect(publicKeyProblem(hex(h))).toMatch(/small order|not canonically encoded/);
    expect(publicKeyProblem(hex(h), { subgroup: false })).toMatch(/small order|not canonically encoded/);
    expect(() => decodePublicKey(b64(h))).toThrow(/public key/);
  });

  it.each(Object.entries(NON_CANONICAL))('refuses the non-canonical encoding %s', (_name, h) => {
    expect(publicKeyProblem(hex(h))).toMatch(/not canonically encoded/);
  });

  it('refuses 32 bytes that are no curve point', () => {
    // y = 2: (y^2-1)/(dy^2+1) has no square root.
    expect(publicKeyProblem(hex(`02${'00'.repeat(31)}`))).toBe('is not a point on the curve');
  });
});

describe('the forged signature against an all-zero key', () => {
  const zeroKey = '00'.repeat(32);
  // R = identity, S = 0: [S]B = R + [k]A holds whenever [k]A is the identity, i.e. for k = 0 mod 4.
  const forged = Buffer.concat([hex(`01${'00'.repeat(31)}`), Buffer.alloc(32)]);
  const messages = Array.from({ length: 64 }, (_, i) => Buffer.from(`{"nonce":"${i}","purpose":"patchfleet-agent-auth"}`));

  it('verifies for some messages under plain OpenSSL (the attack is real)', () => {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(zeroKey, 'hex').toString('base64url') }, format: 'jwk' });
    expect(messages.filter((m) => rawVerify(null, m, key, forged)).length).toBeGreaterThan(0);
  });

  it('never verifies through either implementation', () => {
    for (const impl of [nodeEd25519, naclEd25519]) {
      expect(messages.filter((m) => impl.verify(m, forged.toString('base64'), b64(zeroKey))).length).toBe(0);
    }
  });

  it('refuses a signature whose S is not below L', () => {
    const { publicKey, secretKey } = nodeEd25519.generateKeyPair();
    const msg = Buffer.from('hello');
    const sig = Buffer.from(nodeEd25519.sign(msg, secretKey), 'base64');
    expect(nodeEd25519.verify(msg, sig.toString('base64'), publicKey)).toBe(true);
    const high = Buffer.from(sig);
    high.fill(0xff, 32, 63);
    high[63] = 0x1f;
    expect(nodeEd25519.verify(msg, high.toString('base64'), publicKey)).toBe(false);
    expect(naclEd25519.verify(msg, high.toString('base64'), publicKey)).toBe(false);
  });
});

describe('curve-point decoding', () => {
  // Reference by Euler's criterion, independent of the square-root chain: y encodes a point iff (y^2-1)/(dy^2+1) is a square (or 0).
  const P = 2n ** 255n - 19n;
  const powRef = (b: bigint, e: bigint): bigint => {
    let r = 1n;
    let x = ((b % P) + P) % P;
    for (let k = e; k > 0n; k >>= 1n) {
      if (k & 1n) r = (r * x) % P;
      x = (x * x) % P;
    }
    return r;
  };
  const D = (((-121665n * powRef(121666n, P - 2n)) % P) + P) % P;
  const onCurve = (bytes: Uint8Array): boolean => {
    let y = 0n;
    for (let i = 31; i >= 0; i -= 1) y = (y << 8n) | BigInt(bytes[i] as number);
    y &= (1n << 255n) - 1n;
    const x2 = (((y * y - 1n) % P + P) % P) * powRef((D * y * y + 1n) % P, P - 2n) % P;
    return x2 === 0n || powRef(x2, (P - 1n) / 2n) === 1n;
  };

  it('tells curve points from other 32-byte strings as Euler\'s criterion does', () => {
    let points = 0;
    for (let i = 0; i < 200; i += 1) {
      const bytes = new Uint8Array(Buffer.from(Array.from({ length: 32 }, (_, j) => (i * 131 + j * 71 + ((i * j) % 251)) & 0xff)));
      bytes[31] = (bytes[31] as number) & 0x7f; // keep y below 2^255 (and so, here, below p)
      const problem = publicKeyProblem(bytes, { subgroup: false });
      if (onCurve(bytes)) {
        points += 1;
        expect(problem).not.toBe('is not a point on the curve');
      } else expect(problem).toBe('is not a point on the curve');
    }
    // About half of all y values are points: both branches ran.
    expect(points).toBeGreaterThan(50);
    expect(points).toBeLessThan(150);
  });
});
