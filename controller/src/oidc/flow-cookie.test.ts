import { describe, expect, it } from 'vitest';
import { FLOW_TTL_SEC, flowKey, openFlow, sealFlow } from './flow-cookie';

describe('OIDC flow cookie', () => {
  const key = flowKey('the client secret of the test');
  const flow = { state: 'st', nonce: 'no', codeVerifier: 've' };
  const T = 1_800_000_000_000;

  it('opens what it sealed, until it expires', () => {
    const sealed = sealFlow(key, flow, T);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('ve');
    expect(openFlow(key, sealed, T + FLOW_TTL_SEC * 1000 - 1)).toEqual(flow);
    expect(openFlow(key, sealed, T + FLOW_TTL_SEC * 1000)).toBe('expired');
  });

  it('refuses a changed byte, another key, and garbage', () => {
    const sealed = Buffer.from(sealFlow(key, flow, T), 'base64url');
    for (const at of [0, 12, sealed.length - 1]) {
      const changed = Buffer.from(sealed);
      changed[at] = changed[at]! ^ 1;
      expect(openFlow(key, changed.toString('base64url'), T)).toBe('invalid');
    }
    expect(openFlow(flowKey('another client secret!'), sealed.toString('base64url'), T)).toBe('invalid');
    expect(openFlow(key, 'abc', T)).toBe('invalid');
    expect(openFlow(key, '', T)).toBe('invalid');
  });
});
