/** Webhook signatures as a receiver checks them, with a known vector. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeader, verifySignature } from './signature';

describe('webhook signatures', () => {
  it('is HMAC-SHA256 of "<t>.<body>" keyed with the whole secret string, as the README documents', () => {
    const body = '{"id":"evt_1","type":"rollout.halted"}';
    const header = signatureHeader('whsec_test', 1_700_000_000, body);
    expect(header).toBe(`t=1700000000,v1=${createHmac('sha256', 'whsec_test').update(`1700000000.${body}`).digest('hex')}`);
    expect(verifySignature('whsec_test', header, body, 1_700_000_100)).toBe(true);
  });

  it('refuses another secret, another body, a timestamp outside the tolerance, and malformed headers', () => {
    const body = '{"a":1}';
    const header = signatureHeader('whsec_a', 1000, body);
    expect(verifySignature('whsec_b', header, body, 1000)).toBe(false);
    expect(verifySignature('whsec_a', header, '{"a":2}', 1000)).toBe(false);
    expect(verifySignature('whsec_a', header, body, 1000 + 301)).toBe(false);
    expect(verifySignature('whsec_a', header, body, 1000 - 301)).toBe(false);
    expect(verifySignature('whsec_a', 'v1=abc', body, 1000)).toBe(false);
    expect(verifySignature('whsec_a', 't=1000,v1=zz', body, 1000)).toBe(false);
    // A second scheme beside v1 is ignored; any matching v1 counts.
    expect(verifySignature('whsec_a', `${header},v2=ffff`, body, 1000)).toBe(true);
  });

  it('makes secrets of 32 random bytes', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
