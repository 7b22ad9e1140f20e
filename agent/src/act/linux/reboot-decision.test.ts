import { describe, expect, it } from 'vitest';
import { rebootDecision } from './reboot-decision';

describe('rebootDecision', () => {
  it('follows the policy', () => {
    expect(rebootDecision('never', true)).toBe(false);
    expect(rebootDecision('when-required', true)).toBe(true);
    expect(rebootDecision('when-required', false)).toBe(false);
    expect(rebootDecision('always', false)).toBe(true);
  });
});
