import { describe, expect, it } from 'vitest';
import { windowsRebootDecision } from './reboot-decision';

describe('windowsRebootDecision', () => {
  it.each([
    ['never', false, 'none'],
    ['never', true, 'none'],
    ['when-required', false, 'none'],
    ['when-required', true, 'reboot'],
    ['always', false, 'reboot'],
    ['always', true, 'reboot'],
  ] as const)('policy %s, reboot required %s: %s', (policy, rebootRequired, action) => {
    expect(windowsRebootDecision(policy, { rebootRequired })).toBe(action);
  });

  it('never restarts twice when the installer already started a restart (exit 1641)', () => {
    for (const policy of ['never', 'when-required', 'always'] as const) {
      expect(windowsRebootDecision(policy, { rebootRequired: true, rebootInitiated: true })).toBe('already-initiated');
    }
  });
});
