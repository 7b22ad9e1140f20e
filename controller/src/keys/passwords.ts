/**
 * Password hashing with scrypt (node:crypto), stored as
 * `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url>` so the cost can rise
 * later without invalidating old hashes. Verification takes the same time
 * whether or not a user exists (verifyAgainstNobody), so sign-in does not
 * tell which names are taken.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { PfError, Errors } from '@patchfleet/shared/errors';

const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;
/** scrypt needs 128 * N * r bytes; leave room above the default 32 MiB cap. */
const MAX_MEM = 128 * 2 ** LOG_N * R * 2;

/** Passwords shorter than this are refused; longer than the maximum too (scrypt of megabytes is a denial of service). */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LEN, { N: 2 ** logN, r, p, maxmem: MAX_MEM }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Refuses a password that is too short, too long or only spaces, with a message that says which. */
export function checkPasswordPolicy(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) throw new PfError(Errors.WEAK_PASSWORD, `a password needs at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) throw new PfError(Errors.WEAK_PASSWORD, `a password has at most ${PASSWORD_MAX_LENGTH} characters`);
  if (password.trim().length === 0) throw new PfError(Errors.WEAK_PASSWORD, 'a password cannot be only spaces');
}

/** The stored form of `password`: a fresh salt and scrypt at the current cost. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, LOG_N, R, P);
  return `scrypt$${LOG_N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True when `password` matches `stored`; false for a wrong password or a stored value this code does not read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (!Number.isInteger(logN) || logN < 10 || logN > 20 || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 4) return false;
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (expected.length !== KEY_LEN) return false;
  const key = await derive(password, Buffer.from(parts[4] ?? '', 'base64url'), logN, r, p);
  return timingSafeEqual(key, expected);
}

let nobody: Promise<string> | undefined;

/** Spends the time of one verification for a name that has no password, so timing does not reveal it. */
export async function verifyAgainstNobody(password: string): Promise<false> {
  nobody ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await nobody);
  return false;
}

/** A random initial password (24 base64url characters, 144 bits). */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
