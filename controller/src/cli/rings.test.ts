import { describe, expect, it } from 'vitest';
import { parseWindow, ringInputFromFlags } from './rings';

describe('rings CLI flags', () => {
  it('parses --window "cron;tz;minutes" and refuses other shapes', () => {
    expect(parseWindow('0 2 * * 6;Europe/Berlin;240')).toEqual({ cron: '0 2 * * 6', timeZone: 'Europe/Berlin', durationMin: 240 });
    expect(() => parseWindow('0 2 * * 6;UTC')).toThrow(/cron;time zone;minutes/);
    expect(() => parseWindow('0 2 * * 6;UTC;soon')).toThrow(/--window/);
  });

  it('sends only the settings given, keeping the rest of promotion and reboot', () => {
    expect(ringInputFromFlags({ deferralDays: '3', window: ['0 1 * * *;UTC;60', '0 3 * * 0;Asia/Tokyo;30'], percent: 'none' }, undefined)).toEqual({
      deferralDays: 3,
      percent: null,
      windows: [
        { cron: '0 1 * * *', timeZone: 'UTC', durationMin: 60 },
        { cron: '0 3 * * 0', timeZone: 'Asia/Tokyo', durationMin: 30 },
      ],
    });
    const current = { promotion: { minHostsDone: 5, maxFailureRate: 0.02 }, reboot: { policy: 'always', deadlineHours: 6 } } as never;
    expect(ringInputFromFlags({ maxFailureRate: '0.1', rebootDeadlineHours: '12', approval: true }, current)).toEqual({
      promotion: { minHostsDone: 5, maxFailureRate: 0.1 },
      reboot: { policy: 'always', deadlineHours: 12 },
      approvalRequired: true,
    });
    expect(() => ringInputFromFlags({ deadlineDays: '-1' }, undefined)).toThrow(/--deadline-days/);
    expect(() => ringInputFromFlags({ reboot: 'sometimes' }, undefined)).toThrow(/--reboot/);
  });

  it('sends the health policy fields given, and refuses a bad rollback policy or alpha', () => {
    expect(ringInputFromFlags({ rollback: 'cohort', alpha: '0.05' }, undefined)).toEqual({ health: { rollback: 'cohort', alpha: 0.05 } });
    expect(ringInputFromFlags({ rebootGraceMin: '45' }, undefined)).toEqual({ health: { rebootGraceMin: 45 } });
    expect(() => ringInputFromFlags({ rollback: 'all' }, undefined)).toThrow(/--rollback/);
    expect(() => ringInputFromFlags({ alpha: '0.5' }, undefined)).toThrow(/--alpha/);
  });
});
