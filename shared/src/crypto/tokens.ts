import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random 256-bit secret with a readable prefix, e.g. `pfe_…` for enrollment tokens. */
export function randomToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/**
 * Stored form of a token. Tokens carry 256 bits of entropy, so a plain
 * SHA-256 is enough (a slow password hash buys nothing against brute force
 * of a 2^256 space) and lets the lookup be an index hit.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Normalises a certificate fingerprint: lower-case hex, colons and spaces removed. */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/[:\s]/g, '').toLowerCase();
}
