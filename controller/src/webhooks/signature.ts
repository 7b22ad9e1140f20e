/**
 * Webhook signatures: `X-Patchfleet-Signature: t=<unix seconds>,v1=<hex>`,
 * where hex is HMAC-SHA256 keyed with the webhook's whole secret string over
 * `<t>.<raw body>`. The timestamp inside the MAC lets receivers refuse
 * replays older than a few minutes; `v1` names the scheme so a later one can
 * be sent beside it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-patchfleet-signature';
export const EVENT_ID_HEADER = 'x-patchfleet-event-id';
export const EVENT_TYPE_HEADER = 'x-patchfleet-event';
export const DELIVERY_ID_HEADER = 'x-patchfleet-delivery';

/** A new webhook secret: `whsec_` and 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The hex HMAC of `<t>.<body>`. */
export function signatureOf(secret: string, unixSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
}

/** The header value for `body` sent at `unixSeconds`. */
export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},v1=${signatureOf(secret, unixSeconds, body)}`;
}

/**
 * What a receiver does: true when one `v1` of `header` is the MAC of `body`
 * and `t` is within `toleranceSec` of `nowSec`. Compared in constant time.
 */
export function verifySignature(secret: string, header: string, body: string, nowSec: number, toleranceSec = 300): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSec - t) > toleranceSec) return false;
  const want = Buffer.from(signatureOf(secret, t, body), 'hex');
  return parts.some(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v) && timingSafeEqual(Buffer.from(v, 'hex'), want));
}
