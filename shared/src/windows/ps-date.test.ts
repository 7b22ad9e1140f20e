import { describe, expect, it } from 'vitest';
import { psInstant, psLocalDate, readPsDateTime } from './ps-date';

// 5.1 writes a date-only value (local midnight) converted to UTC.
const midnight = (iso: string, offsetHours: number): string => `/Date(${Date.parse(`${iso}T00:00:00Z`) - offsetHours * 3_600_000})/`;

describe('readPsDateTime', () => {
  it('reads 5.1 \\/Date(ms)\\/ (after JSON.parse) as an instant, with or without a WCF offset', () => {
    expect(readPsDateTime('/Date(1693519200000)/')).toEqual({ kind: 'instant', epochMs: 1693519200000 });
    expect(readPsDateTime('/Date(1693519200000+0200)/')).toEqual({ kind: 'instant', epochMs: 1693519200000 });
    expect(readPsDateTime('/Date(-86400000)/')).toEqual({ kind: 'instant', epochMs: -86400000 });
  });

  it('reads PowerShell 7 ISO 8601 by DateTime.Kind', () => {
    expect(readPsDateTime('2023-09-01T00:00:00')).toEqual({ kind: 'wall', year: 2023, month: 9, day: 1, hour: 0, minute: 0, second: 0, ms: 0, offsetMinutes: null });
    expect(readPsDateTime('2023-09-01T10:15:30.1234567+02:00')).toEqual({ kind: 'wall', year: 2023, month: 9, day: 1, hour: 10, minute: 15, second: 30, ms: 123, offsetMinutes: 120 });
    expect(readPsDateTime('2023-09-01T10:15:30-05:30')).toMatchObject({ offsetMinutes: -330 });
    expect(readPsDateTime('2023-09-01T10:15:30Z')).toEqual({ kind: 'instant', epochMs: Date.parse('2023-09-01T10:15:30Z') });
  });

  it('unwraps the {value, DateTime} object of a PSObject-wrapped DateTime', () => {
    expect(readPsDateTime({ value: '/Date(0)/', DateTime: 'Thursday, January 1, 1970 1:00:00 AM' })).toEqual({ kind: 'instant', epochMs: 0 });
    expect(readPsDateTime({ value: '2023-09-01T00:00:00', DisplayHint: 2, DateTime: 'Freitag, 1. September 2023 00:00:00' })).toMatchObject({ kind: 'wall', day: 1 });
  });

  it('rejects other text and impossible dates', () => {
    for (const bad of ['9/1/2023', 'Friday, September 1, 2023', '2023-02-30T00:00:00', '2023-13-01', '2023-09-01T24:00:00', '', 42, null]) {
      expect(readPsDateTime(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('psLocalDate', () => {
  it('recovers the local date from 5.1 instants for hosts from UTC-11 to UTC+11', () => {
    for (const offset of [-11, -5, -4, 0, 1, 2, 5.5, 9, 11]) {
      expect(psLocalDate(midnight('2025-11-12', offset)), `UTC${offset}`).toBe('2025-11-12');
    }
  });

  it('reads one day early for hosts at UTC+12 and beyond (the offset is not in the value)', () => {
    expect(psLocalDate(midnight('2025-11-12', 13))).toBe('2025-11-11');
  });

  it('takes the date of a wall-clock value as written, never shifted by its offset', () => {
    expect(psLocalDate('2025-11-12T00:00:00')).toBe('2025-11-12');
    expect(psLocalDate('2025-11-12T00:00:00+02:00')).toBe('2025-11-12');
    expect(psLocalDate('2025-11-12T00:00:00-08:00')).toBe('2025-11-12');
    expect(psLocalDate('2025-11-12')).toBe('2025-11-12');
  });

  it('is undefined for what is not a DateTime', () => {
    expect(psLocalDate('11/12/2025')).toBeUndefined();
    expect(psLocalDate(undefined)).toBeUndefined();
  });
});

describe('psInstant', () => {
  it('gives ISO UTC for instants and offset values', () => {
    expect(psInstant('/Date(1762935727000)/', 'unknown')).toBe('2025-11-12T08:22:07.000Z');
    expect(psInstant('2025-11-12T09:22:07+01:00', 'unknown')).toBe('2025-11-12T08:22:07.000Z');
    expect(psInstant('2025-11-12T08:22:07.5000000Z', 'unknown')).toBe('2025-11-12T08:22:07.500Z');
  });

  it('reads a value without offset as UTC only when told so', () => {
    expect(psInstant('2025-11-12T08:22:07', 'utc')).toBe('2025-11-12T08:22:07.000Z');
    expect(psInstant('2025-11-12T08:22:07', 'unknown')).toBeUndefined();
  });
});
