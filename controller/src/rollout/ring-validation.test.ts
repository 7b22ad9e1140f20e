import { describe, expect, it } from 'vitest';
import { isTimeZone, validateHealth, validatePercents, validateWindows } from './ring-validation';

describe('ring validation', () => {
  it('accepts good windows and names the field of a bad one', () => {
    expect(() => validateWindows([{ cron: '0 2 * * 6', timeZone: 'Europe/Berlin', durationMin: 240 }])).not.toThrow();
    expect(() => validateWindows([{ cron: '0 2 * * 6', timeZone: 'UTC', durationMin: 60 }, { cron: 'not cron', timeZone: 'UTC', durationMin: 60 }])).toThrow(/windows\[1\]\.cron/);
    expect(() => validateWindows([{ cron: '0 2 * * 6', timeZone: 'Mars/Olympus', durationMin: 60 }])).toThrow(/windows\[0\]\.timeZone/);
    expect(() => validateWindows([{ cron: '0 2 * * 6', timeZone: 'UTC', durationMin: 0 }])).toThrow(/durationMin/);
  });

  it('knows IANA zones', () => {
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Nowhere/Nothing')).toBe(false);
  });

  it('requires shares to sum to 100 when assigning, at most 100 when editing', () => {
    const rings = [{ name: 'Test', percent: null }, { name: 'First', percent: 1 }, { name: 'Fast', percent: 9 }];
    expect(() => validatePercents([...rings, { name: 'Broad', percent: 90 }], true)).not.toThrow();
    expect(() => validatePercents([...rings, { name: 'Broad', percent: 89 }], false)).not.toThrow();
    expect(() => validatePercents([...rings, { name: 'Broad', percent: 89 }], true)).toThrow(/percent.*sum to 100.*got 99/);
    expect(() => validatePercents([...rings, { name: 'Broad', percent: 91 }], false)).toThrow(/got 101/);
  });

  it('takes a health policy with a known rollback, a grace of 1 minute to 7 days, alpha in (0, 0.2] and a watch of 0 to 90 days', () => {
    const ok = { rollback: 'none', rebootGraceMin: 30, alpha: 0.01, watchHours: 168 } as const;
    expect(validateHealth({ rollback: 'cohort', rebootGraceMin: 15, alpha: 0.2, watchHours: 0 })).toEqual({ rollback: 'cohort', rebootGraceMin: 15, alpha: 0.2, watchHours: 0 });
    expect(validateHealth({ ...ok, watchHours: 2160 }).watchHours).toBe(2160);
    expect(() => validateHealth({ ...ok, rollback: 'all' as 'none' })).toThrow(/health\.rollback/);
    expect(() => validateHealth({ ...ok, rebootGraceMin: 0 })).toThrow(/health\.rebootGraceMin/);
    expect(() => validateHealth({ ...ok, alpha: 0 })).toThrow(/health\.alpha/);
    expect(() => validateHealth({ ...ok, alpha: 0.25 })).toThrow(/health\.alpha/);
    expect(() => validateHealth({ ...ok, watchHours: 2161 })).toThrow(/health\.watchHours/);
    expect(() => validateHealth({ ...ok, watchHours: -1 })).toThrow(/health\.watchHours/);
    expect(() => validateHealth({ ...ok, watchHours: 1.5 })).toThrow(/health\.watchHours/);
  });
});
