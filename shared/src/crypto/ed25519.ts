/**
 * Ed25519 in two interchangeable implementations: node:crypto (fast, used on
 * hot paths) and tweetnacl (pure JS, for runtimes without Ed25519 in
 * node:crypto). Keys travel as base64: the public key is the raw 32 bytes,
 * the secret key is the 32-byte seed. Both implementations accept each
 * other's keys and signatures (Ed25519 signatures are deterministic).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import nacl from 'tweetnacl';
import { publicKeyProblem, signatureScalarCanonical } from './key-checks';

export interface KeyPair {
  /** base64 of the raw 32-byte public key */
  publicKey: string;
  /** base64 of the 32-byte seed */
  secretKey: string;
}

export interface Ed25519 {
  readonly name: 'node' | 'tweetnacl';
  generateKeyPair(): KeyPair;
  publicKeyOf(secretKey: string): string;
  sign(message: Uint8Array, secretKey: string): string;
  verify(message: Uint8Array, signature: string, publicKey: string): boolean;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** Decodes base64 and checks the length, so a truncated key is an error, not a wrong key. */
export function decodeKey(value: string, length: number, what: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new TypeError(`${what} is not base64`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== length) throw new TypeError(`${what} must be ${length} bytes, got ${bytes.length}`);
  return new Uint8Array(bytes);
}

/**
 * Decodes a public key and refuses the ones no honest key pair makes (small
 * order, not canonical, not on the curve; with `subgroup`, also outside the
 * prime-order subgroup): a small-order key lets a fixed forged signature
 * verify. Enrollment runs the full check; verification the cheap one.
 */
export function decodePublicKey(value: string, opts: { subgroup?: boolean } = {}): Uint8Array {
  const bytes = decodeKey(value, 32, 'public key');
  const problem = publicKeyProblem(bytes, opts);
  if (problem) throw new TypeError(`public key ${problem}`);
  return bytes;
}

/** A signature verification may even look at: 64 bytes with S < L. */
function decodeSignature(signature: string): Uint8Array {
  const sig = decodeKey(signature, 64, 'signature');
  if (!signatureScalarCanonical(sig)) throw new TypeError('signature scalar is not canonical');
  return sig;
}

const privateKeyCache = new Map<string, KeyObject>();
const publicKeyCache = new Map<string, KeyObject>();
const CACHE_LIMIT = 50_000;

function cached(cache: Map<string, KeyObject>, key: string, make: () => KeyObject): KeyObject {
  let k = cache.get(key);
  if (!k) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    k = make();
    cache.set(key, k);
  }
  return k;
}

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): SEQUENCE { version 0, AlgorithmIdentifier 1.3.101.112, OCTET STRING { OCTET STRING seed } }. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Imports the 32-byte seed as PKCS#8 DER: node:crypto derives the public half
 * itself, so no tweetnacl key derivation (~3 ms a key) runs on this path.
 */
function nodePrivateKey(secretKey: string): KeyObject {
  return cached(privateKeyCache, secretKey, () => {
    const seed = decodeKey(secretKey, 32, 'secret key');
    return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  });
}

function nodePublicKey(publicKey: string): KeyObject {
  return cached(publicKeyCache, publicKey, () =>
    createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(decodePublicKey(publicKey, { subgroup: false })) }, format: 'jwk' }),
  );
}

export const nodeEd25519: Ed25519 = {
  name: 'node',
  generateKeyPair() {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const pub = publicKey.export({ format: 'jwk' });
    return {
      publicKey: Buffer.from(pub.x as string, 'base64url').toString('base64'),
      secretKey: Buffer.from(jwk.d as string, 'base64url').toString('base64'),
    };
  },
  publicKeyOf(secretKey) {
    // SPKI DER of an Ed25519 key is a 12-byte header followed by the raw 32-byte key.
    const spki = createPublicKey(nodePrivateKey(secretKey)).export({ format: 'der', type: 'spki' });
    return spki.subarray(spki.length - 32).toString('base64');
  },
  sign(message, secretKey) {
    return b64(nodeSign(null, message, nodePrivateKey(secretKey)));
  },
  verify(message, signature, publicKey) {
    let sig: Uint8Array;
    let key: KeyObject;
    try {
      sig = decodeSignature(signature);
      key = nodePublicKey(publicKey);
    } catch {
      return false; // malformed input can never be a valid signature
    }
    return nodeVerify(null, message, key, sig);
  },
};

export const naclEd25519: Ed25519 = {
  name: 'tweetnacl',
  generateKeyPair() {
    const seed = nacl.randomBytes(32);
    return { publicKey: b64(nacl.sign.keyPair.fromSeed(seed).publicKey), secretKey: b64(seed) };
  },
  publicKeyOf(secretKey) {
    return b64(nacl.sign.keyPair.fromSeed(decodeKey(secretKey, 32, 'secret key')).publicKey);
  },
  sign(message, secretKey) {
    const pair = nacl.sign.keyPair.fromSeed(decodeKey(secretKey, 32, 'secret key'));
    return b64(nacl.sign.detached(message, pair.secretKey));
  },
  verify(message, signature, publicKey) {
    try {
      return nacl.sign.detached.verify(message, decodeSignature(signature), decodePublicKey(publicKey, { subgroup: false }));
    } catch {
      return false; // malformed input can never be a valid signature
    }
  },
};
