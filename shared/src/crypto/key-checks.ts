/**
 * Checks on Ed25519 public keys before they are trusted. OpenSSL (and so
 * node:crypto) verifies against any 32 bytes that decode to a point: a
 * small-order key such as all zeros lets one fixed forged signature verify
 * for a share of all messages. An honest key is the canonical encoding of a
 * point of the prime-order subgroup, so anything else is refused.
 *
 * BigInt arithmetic, RFC 8032 section 5.1.3 decoding (one exponentiation by
 * ref10's addition chain, products reduced by folding 2^255 = 19). The subgroup check
 * (a multiplication by L) runs at enrollment; verification runs the cheap
 * checks once per cached key.
 */

const P = 2n ** 255n - 19n;
const MASK_255 = (1n << 255n) - 1n;
/** Order of the prime-order subgroup. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

interface Point {
  x: bigint;
  y: bigint;
}

/** Extended coordinates (x = X/Z, y = Y/Z, xy = T/Z): additions without inversions. */
interface Extended {
  X: bigint;
  Y: bigint;
  Z: bigint;
  T: bigint;
}
const IDENTITY: Extended = { X: 0n, Y: 1n, Z: 1n, T: 0n };
const D2 = mod(2n * D);

function mod(a: bigint): bigint {
  const r = a % P;
  return r >= 0n ? r : r + P;
}

/**
 * a mod p for 0 <= a < 2^512 (a product of two reduced values) without a
 * division: 2^255 = 19 (mod p), folded twice. Some 3.5 times faster than `%`
 * on these sizes, and verification decodes every key it has not seen.
 */
function reduce(a: bigint): bigint {
  let r = (a & MASK_255) + 19n * (a >> 255n);
  r = (r & MASK_255) + 19n * (r >> 255n);
  return r >= P ? r - P : r;
}

function pow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = reduce(result * b);
    b = reduce(b * b);
    e >>= 1n;
  }
  return result;
}

/** z^(2^k): k squarings. */
function square(z: bigint, k: number): bigint {
  let r = z;
  for (let i = 0; i < k; i += 1) r = reduce(r * r);
  return r;
}

/** z^((p-5)/8) = z^(2^252-3) by ref10's addition chain: 252 squarings and 11 multiplications. */
function pow22523(z: bigint): bigint {
  const z2 = reduce(z * z);
  const z9 = reduce(z * square(z2, 2));
  const z11 = reduce(z2 * z9);
  const z5_0 = reduce(z9 * reduce(z11 * z11)); // z^(2^5-1)
  const z10_0 = reduce(square(z5_0, 5) * z5_0);
  const z20_0 = reduce(square(z10_0, 10) * z10_0);
  const z40_0 = reduce(square(z20_0, 20) * z20_0);
  const z50_0 = reduce(square(z40_0, 10) * z10_0);
  const z100_0 = reduce(square(z50_0, 50) * z50_0);
  const z200_0 = reduce(square(z100_0, 100) * z100_0);
  const z250_0 = reduce(square(z200_0, 50) * z50_0);
  return reduce(square(z250_0, 2) * z);
}

function inv(a: bigint): bigint {
  return pow(a, P - 2n);
}

/** Complete addition for a = -1 (add-2008-hwcd-3): no exceptional cases on the curve. */
function add(p: Extended, q: Extended): Extended {
  const a = mod((p.Y - p.X) * (q.Y - q.X));
  const b = mod((p.Y + p.X) * (q.Y + q.X));
  const c = mod(p.T * D2 * q.T);
  const d = mod(p.Z * 2n * q.Z);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return { X: mod(e * f), Y: mod(g * h), Z: mod(f * g), T: mod(e * h) };
}

function multiply(p: Point, k: bigint): Extended {
  let result = IDENTITY;
  let addend: Extended = { X: p.x, Y: p.y, Z: 1n, T: mod(p.x * p.y) };
  let e = k;
  while (e > 0n) {
    if (e & 1n) result = add(result, addend);
    addend = add(addend, addend);
    e >>= 1n;
  }
  return result;
}

const isIdentity = (p: Extended): boolean => p.X === 0n && p.Y === p.Z;

/** Why these 32 bytes are not a canonical encoding of a curve point, or the point. */
function decodePoint(bytes: Uint8Array): Point | string {
  if (bytes.length !== 32) return `must be 32 bytes, got ${bytes.length}`;
  let y = 0n;
  for (let i = 31; i >= 0; i -= 1) y = (y << 8n) | BigInt(bytes[i] as number);
  const sign = y >> 255n;
  y &= (1n << 255n) - 1n;
  if (y >= P) return 'is not canonically encoded (y >= p)';
  const y2 = reduce(y * y);
  const u = mod(y2 - 1n);
  const v = reduce(D * y2 + 1n);
  // x = sqrt(u/v) with one exponentiation (RFC 8032, 5.1.3): x = u v^3 (u v^7)^((p-5)/8).
  const v3 = reduce(reduce(v * v) * v);
  let x = reduce(reduce(u * v3) * pow22523(reduce(u * reduce(reduce(v3 * v3) * v))));
  const vx2 = reduce(v * reduce(x * x));
  if (vx2 !== u) {
    if (vx2 !== mod(-u)) return 'is not a point on the curve';
    x = reduce(x * SQRT_M1);
  }
  if (x === 0n && sign === 1n) return 'is not canonically encoded (negative zero x)';
  if ((x & 1n) !== sign) x = P - x;
  return { x, y };
}

/**
 * Why `bytes` may not be used as an Ed25519 public key, or undefined when it
 * may: it must decode canonically to a point that is not of small order
 * ([8]A != identity) and lies in the prime-order subgroup ([L]A = identity),
 * unless `subgroup` is false (then only the cheap checks run).
 */
export function publicKeyProblem(bytes: Uint8Array, opts: { subgroup?: boolean } = {}): string | undefined {
  const point = decodePoint(bytes);
  if (typeof point === 'string') return point;
  if (isIdentity(multiply(point, 8n))) return 'has small order';
  if (opts.subgroup !== false && !isIdentity(multiply(point, L))) return 'is not in the prime-order subgroup';
  return undefined;
}

/** True when the 64-byte signature's scalar S is below L (RFC 8032 requires it; anything else is malleated). */
export function signatureScalarCanonical(signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  let s = 0n;
  for (let i = 63; i >= 32; i -= 1) s = (s << 8n) | BigInt(signature[i] as number);
  return s < L;
}
