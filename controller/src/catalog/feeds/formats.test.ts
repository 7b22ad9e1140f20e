import { describe, expect, it } from 'vitest';
import { describePlace } from './feed-errors';
import { compareCveIds, isCalendarDate, isCveId, isTimestamp } from './formats';

describe('feed value formats', () => {
  it('checks CVE ids', () => {
    expect(isCveId('CVE-2025-62215')).toBe(true);
    expect(isCveId('CVE-2017-1000353')).toBe(true);
    expect(isCveId('CVE-2025-123')).toBe(false);
    expect(isCveId('UBUNTU-CVE-2025-1234')).toBe(false);
    expect(isCveId('cve-2025-1234')).toBe(false);
  });

  it('orders CVE ids by year and number', () => {
    expect(['CVE-2024-10000', 'CVE-2023-99999', 'CVE-2024-9999'].sort(compareCveIds)).toEqual(['CVE-2023-99999', 'CVE-2024-9999', 'CVE-2024-10000']);
  });

  it('checks calendar dates, leap years included', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2025-02-29')).toBe(false);
    expect(isCalendarDate('2025-13-01')).toBe(false);
    expect(isCalendarDate('2025-1-01')).toBe(false);
    expect(isCalendarDate('2025-12-31')).toBe(true);
  });

  it('checks timestamps with and without a zone', () => {
    expect(isTimestamp('2023-10-03T18:04:23.013596Z', true)).toBe(true);
    expect(isTimestamp('2026-08-07T16:45:47.0648Z', true)).toBe(true);
    expect(isTimestamp('2025-11-11T08:00:00', true)).toBe(false);
    expect(isTimestamp('2025-11-11T08:00:00', false)).toBe(true);
    expect(isTimestamp('2025-11-11T24:00:00', false)).toBe(false);
    expect(isTimestamp('2025-11-31T08:00:00Z', true)).toBe(false);
  });

  it('renders error places', () => {
    expect(describePlace({ file: 'f.json' })).toBe('f.json');
    expect(describePlace({ file: 'f.json', record: 'USN-1-1', index: 2, path: 'id' })).toBe('f.json: record USN-1-1 (index 2), at id');
    expect(describePlace({ file: 'f.csv', line: 7 })).toBe('f.csv: line 7');
  });
});
