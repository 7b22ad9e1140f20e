import { describe, it, expect } from 'vitest';
import { Backoff } from './backoff';
import { ControllerRotation, FAILOVER_JITTER_MS, reconnectDelay } from './link';

describe('Backoff', () => {
  it('doubles the cap each attempt up to the maximum (random pinned to its top)', () => {
    const b = new Backoff(1000, 60_000, () => 0.999999);
    const delays = Array.from({ length: 9 }, () => b.next());
    expect(delays).toEqual([999, 1999, 3999, 7999, 15_999, 31_999, 59_999, 59_999, 59_999]);
  });

  it('is full jitter: the delay is random * cap, from zero up', () => {
    const b = new Backoff(1000, 60_000, () => 0);
    expect([b.next(), b.next(), b.next()]).toEqual([0, 0, 0]);
    const half = new Backoff(1000, 60_000, () => 0.5);
    expect([half.next(), half.next(), half.next()]).toEqual([500, 1000, 2000]);
  });

  it('stays within [0, cap) with the real random source', () => {
    const b = new Backoff(100, 1000);
    for (let attempt = 0; attempt < 50; attempt++) {
      const cap = Math.min(1000, 100 * 2 ** attempt);
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(cap);
      expect(Number.isInteger(d)).toBe(true);
    }
  });

  it('does not overflow after very many attempts', () => {
    const b = new Backoff(1000, 60_000, () => 0.5);
    for (let i = 0; i < 10_000; i++) b.next();
    expect(b.next()).toBe(30_000);
  });

  it('reset starts over from the base', () => {
    const b = new Backoff(1000, 60_000, () => 0.5);
    b.next();
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(500);
    expect(b.next()).toBe(1000);
  });

  it('defaults to 1 s growing to 60 s', () => {
    const b = new Backoff(undefined, undefined, () => 0.999999);
    expect(b.next()).toBe(999);
    for (let i = 0; i < 20; i++) b.next();
    expect(b.next()).toBe(59_999);
  });
});

describe('reconnectDelay', () => {
  it('keeps the back-off when the controller named no wait', () => {
    expect(reconnectDelay(1234, undefined, () => 0.9)).toBe(1234);
  });

  it("waits at least a full controller's retryAfter, plus up to half of it as jitter", () => {
    expect(reconnectDelay(500, 60_000, () => 0)).toBe(60_000);
    expect(reconnectDelay(500, 60_000, () => 0.999)).toBe(89_970);
    // A longer back-off (many failures before) is kept.
    expect(reconnectDelay(120_000, 60_000, () => 0)).toBe(120_000);
  });
});

describe('ControllerRotation', () => {
  const A = 'wss://a:8443/api/v1/agent/ws';
  const B = 'wss://b:8443/api/v1/agent/ws';

  it('with one controller is the plain back-off, honouring a full controller\'s wait', () => {
    const r = new ControllerRotation([A], new Backoff(1000, 60_000, () => 0.5), () => 0.5);
    expect([r.next({ authenticated: false }), r.next({ authenticated: false }), r.next({ authenticated: false })]).toEqual([500, 1000, 2000]);
    expect(r.current).toBe(A);
    expect(r.next({ authenticated: false, retryAfterMs: 10_000 })).toBe(12_500);
    expect(r.next({ authenticated: true })).toBe(500);
  });

  it('moves to the next replica after a short random wait, and backs off only when every replica failed in a row', () => {
    const r = new ControllerRotation([A, B], new Backoff(1000, 60_000, () => 0.5), () => 0.5);
    expect(r.current).toBe(A);
    // A went away after a session: B next, within the failover jitter.
    expect(r.next({ authenticated: true })).toBe(FAILOVER_JITTER_MS / 2);
    expect(r.current).toBe(B);
    // B refuses too: both failed in a row, so the back-off applies before A again.
    expect(r.next({ authenticated: false })).toBe(FAILOVER_JITTER_MS / 2);
    expect(r.current).toBe(A);
    expect(r.next({ authenticated: false })).toBe(500);
    expect(r.current).toBe(B);
    // Both full: the second of the round waits the asked time.
    expect(r.next({ authenticated: false, retryAfterMs: 30_000 })).toBe(FAILOVER_JITTER_MS / 2);
    expect(r.next({ authenticated: false, retryAfterMs: 30_000 })).toBe(37_500);
  });
});
