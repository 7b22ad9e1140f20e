import { describe, expect, it } from 'vitest';
import { openingText } from './openings';

describe('openingText', () => {
  it("words an opening in the window's own zone, across DST and midnight", () => {
    expect(openingText({ start: '2026-11-28T02:00:00.000Z', end: '2026-11-28T05:00:00.000Z', timeZone: 'Europe/Paris' })).toBe('Sat 28 Nov 2026, 03:00–06:00 Europe/Paris');
    expect(openingText({ start: '2026-07-04T01:00:00.000Z', end: '2026-07-04T04:00:00.000Z', timeZone: 'Europe/Paris' })).toBe('Sat 4 Jul 2026, 03:00–06:00 Europe/Paris');
    expect(openingText({ start: '2026-11-23T22:30:00.000Z', end: '2026-11-24T01:30:00.000Z', timeZone: 'UTC' })).toBe('Mon 23 Nov 2026, 22:30–Tue 24 Nov 2026 01:30 UTC');
  });
});
