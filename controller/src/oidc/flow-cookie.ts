/**
 * The sign-on flow cookie: what the callback must check (state, nonce) and
 * prove (the PKCE verifier), kept in the browser between the redirect to the
 * identity provider and its way back.
 *
 * Why a cookie and not a database row: any replica may receive the callback
 * (no sticky sessions needed), nothing is written for a sign-on that is
 * never finished, and there is no table to prune. The cookie is sealed with
 * AES-256-GCM under a key derived (HKDF) from the OIDC client secret, which
 * every replica has and nobody outside does: the browser can neither read the
 * verifier nor make a cookie of its own. It expires after FLOW_TTL_SEC, is
 * HttpOnly, Secure, SameSite=Lax (the provider's redirect back is a
 * cross-site navigation, which Strict would strip) and scoped to the callback
 * path; the callback clears it. Replaying it is useless: the provider's
 * authorization code it belongs to can be redeemed only once.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** The cookie's name. */
export const FLOW_COOKIE = 'pf_oidc';
/** A sign-on not finished within this many seconds starts again. */
export const FLOW_TTL_SEC = 600;

/** What the callback needs from the start of the sign-on. */
export interface FlowState {
  state: string;
  nonce: string;
  codeVerifier: string;
}

const AAD = Buffer.from('patchfleet oidc flow v1');

/** The 32-byte sealing key for the client secret `secret`. */
export function flowKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('patchfleet'), Buffer.from('oidc flow cookie v1'), 32));
}

/** Seals `flow` to expire FLOW_TTL_SEC after `nowMs`; base64url, fit for a cookie. */
export function sealFlow(key: Buffer, flow: FlowState, nowMs: number): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(AAD);
  const plain = Buffer.from(JSON.stringify({ s: flow.state, n: flow.nonce, v: flow.codeVerifier, e: nowMs + FLOW_TTL_SEC * 1000 }));
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

/** The flow sealed in `cookie`, or why it cannot be used: not sealed with this key (or altered), or expired at `nowMs`. */
export function openFlow(key: Buffer, cookie: string, nowMs: number): FlowState | 'invalid' | 'expired' {
  const raw = Buffer.from(cookie, 'base64url');
  if (raw.length < 12 + 16 + 2 || raw.length > 4096) return 'invalid';
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12)).setAAD(AAD);
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
  } catch {
    // GCM refused the tag: another key, or a changed byte. Nothing to log; the caller audits the refusal.
    return 'invalid';
  }
  const v = JSON.parse(plain.toString('utf8')) as { s?: unknown; n?: unknown; v?: unknown; e?: unknown };
  if (typeof v.s !== 'string' || typeof v.n !== 'string' || typeof v.v !== 'string' || typeof v.e !== 'number') return 'invalid';
  if (v.e <= nowMs) return 'expired';
  return { state: v.s, nonce: v.n, codeVerifier: v.v };
}
