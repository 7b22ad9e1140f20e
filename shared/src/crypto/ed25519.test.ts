import { describe, it, expect } from 'vitest';
import { decodeKey, naclEd25519, nodeEd25519, type Ed25519 } from './ed25519';

const impls: { maker: Ed25519; other: Ed25519; label: string }[] = [
  { maker: nodeEd25519, other: naclEd25519, label: 'node:crypto, used by tweetnacl' },
  { maker: naclEd25519, other: nodeEd25519, label: 'tweetnacl, used by node:crypto' },
];

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Flips one bit of the decoded bytes and re-encodes (flipping a base64 character may only touch padding bits). */
function flipBit(b64: string, byteIndex: number, bit = 0): string {
  const raw = Buffer.from(b64, 'base64');
  raw[byteIndex] = (raw[byteIndex] as number) ^ (1 << bit);
  return raw.toString('base64');
}

// RFC 8032, section 7.1, TEST 2: a known answer ties both implementations to the standard, not just to each other.
const RFC8032 = {
  secretKey: Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex').toString('base64'),
  publicKey: Buffer.from('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', 'hex').toString('base64'),
  message: Uint8Array.from([0x72]),
  signature: Buffer.from(
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    'hex',
  ).toString('base64'),
};

describe('Ed25519 implementations', () => {
  it.each([nodeEd25519, naclEd25519])('$name matches the RFC 8032 test vector', (impl) => {
    expect(impl.publicKeyOf(RFC8032.secretKey)).toBe(RFC8032.publicKey);
    expect(impl.sign(RFC8032.message, RFC8032.secretKey)).toBe(RFC8032.signature);
    expect(impl.verify(RFC8032.message, RFC8032.signature, RFC8032.publicKey)).toBe(true);
  });

  it.each([nodeEd25519, naclEd25519])('$name makes 32-byte base64 keys that fit together', (impl) => {
    const a = impl.generateKeyPair();
    const b = impl.generateKeyPair();
    expect(Buffer.from(a.publicKey, 'base64')).toHaveLength(32);
    expect(Buffer.from(a.secretKey, 'base64')).toHaveLength(32);
    expect(a.secretKey).not.toBe(b.secretKey);
    expect(impl.publicKeyOf(a.secretKey)).toBe(a.publicKey);
  });

  describe.each(impls)('keys of $label', ({ maker, other }) => {
    const pair = maker.generateKeyPair();
    const message = bytes('{"action":"install","commandId":"c-1"}');

    it('derive the same public key in both implementations', () => {
      expect(other.publicKeyOf(pair.secretKey)).toBe(pair.publicKey);
    });

    it('produce identical (deterministic) signatures in both implementations', () => {
      expect(other.sign(message, pair.secretKey)).toBe(maker.sign(message, pair.secretKey));
    });

    it(`a signature by ${maker.name} verifies with ${other.name}, and the reverse`, () => {
      const byMaker = maker.sign(message, pair.secretKey);
      const byOther = other.sign(message, pair.secretKey);
      expect(other.verify(message, byMaker, pair.publicKey)).toBe(true);
      expect(maker.verify(message, byOther, pair.publicKey)).toBe(true);
      expect(Buffer.from(byMaker, 'base64')).toHaveLength(64);
    });

    it('a flipped bit in the message is refused by both', () => {
      const sig = maker.sign(message, pair.secretKey);
      const tampered = Uint8Array.from(message);
      tampered[5] = (tampered[5] as number) ^ 0x01;
      expect(maker.verify(tampered, sig, pair.publicKey)).toBe(false);
      expect(other.verify(tampered, sig, pair.publicKey)).toBe(false);
    });

    it('a flipped bit anywhere in the signature is refused by both', () => {
      const sig = maker.sign(message, pair.secretKey);
      for (const index of [0, 31, 32, 63]) {
        const bad = flipBit(sig, index, index % 8);
        expect(other.verify(message, bad, pair.publicKey)).toBe(false);
        expect(maker.verify(message, bad, pair.publicKey)).toBe(false);
      }
    });

    it('a flipped bit in the public key is refused by both', () => {
      const sig = maker.sign(message, pair.secretKey);
      for (const index of [0, 17, 31]) {
        const badKey = flipBit(pair.publicKey, index, 3);
        expect(other.verify(message, sig, badKey)).toBe(false);
        expect(maker.verify(message, sig, badKey)).toBe(false);
      }
    });

    it("another key pair's public key does not verify", () => {
      const stranger = other.generateKeyPair();
      const sig = maker.sign(message, pair.secretKey);
      expect(other.verify(message, sig, stranger.publicKey)).toBe(false);
      expect(maker.verify(message, sig, stranger.publicKey)).toBe(false);
    });
  });

  describe.each([nodeEd25519, naclEd25519])('$name with malformed input', (impl) => {
    const pair = impl.generateKeyPair();
    const message = bytes('hello');
    const sig = impl.sign(message, pair.secretKey);

    it('verify returns false (never throws) for malformed signatures', () => {
      expect(impl.verify(message, 'not base64!', pair.publicKey)).toBe(false);
      expect(impl.verify(message, '', pair.publicKey)).toBe(false);
      expect(impl.verify(message, sig.slice(0, 40), pair.publicKey)).toBe(false); // truncated
      expect(impl.verify(message, Buffer.concat([Buffer.from(sig, 'base64'), Buffer.from([0])]).toString('base64'), pair.publicKey)).toBe(false);
      expect(impl.verify(message, sig.replace(/[A-Za-z]/, '-'), pair.publicKey)).toBe(false); // base64url alphabet
    });

    it('verify returns false for malformed or wrong-length public keys', () => {
      expect(impl.verify(message, sig, 'žluťoučký kůň')).toBe(false);
      expect(impl.verify(message, sig, Buffer.alloc(31, 7).toString('base64'))).toBe(false);
      expect(impl.verify(message, sig, Buffer.alloc(33, 7).toString('base64'))).toBe(false);
      expect(impl.verify(message, sig, '')).toBe(false);
    });

    it('verify returns false for public keys that are not points on the curve', () => {
      expect(impl.verify(message, sig, Buffer.alloc(32, 0).toString('base64'))).toBe(false);
      expect(impl.verify(message, sig, Buffer.alloc(32, 0xff).toString('base64'))).toBe(false);
    });

    it('sign and publicKeyOf throw on a malformed or wrong-length secret key', () => {
      expect(() => impl.sign(message, 'not base64!')).toThrow(/not base64/);
      expect(() => impl.sign(message, Buffer.alloc(64, 1).toString('base64'))).toThrow(/32 bytes/);
      expect(() => impl.publicKeyOf(Buffer.alloc(16, 1).toString('base64'))).toThrow(/32 bytes/);
    });
  });
});

describe('decodeKey', () => {
  it('returns the bytes of a well-formed key of the right length', () => {
    const raw = Buffer.alloc(32, 9);
    expect(Buffer.from(decodeKey(raw.toString('base64'), 32, 'k')).equals(raw)).toBe(true);
  });

  it('names what was wrong', () => {
    expect(() => decodeKey('abc$', 32, 'public key')).toThrow('public key is not base64');
    expect(() => decodeKey(Buffer.alloc(30).toString('base64'), 32, 'public key')).toThrow('public key must be 32 bytes, got 30');
    expect(() => decodeKey('AAAA===', 3, 'x')).toThrow(/not base64/);
  });
});
