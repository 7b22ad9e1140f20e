import { describe, expect, it } from 'vitest';
import { isPfError } from '@patchfleet/shared/errors';
import type { MaintenanceWindow } from '../db/schema/index';
import { isAlwaysOpen, nextOpenings, nextWindowStart, openWindowAt } from './windows';

// Expected instants around DST changes were checked independently of this
// module and of cron-parser with the system tz database, e.g.
//   TZ=Europe/Berlin date -d 2025-03-30T01:30:00Z   -> Sun Mar 30 03:30:00 CEST 2025
//   TZ=America/New_York date -d 2025-11-02T05:30:00Z -> 01:30:00 EDT; 06:30:00Z -> 01:30:00 EST
// and are cross-checked in the tests below with Intl.DateTimeFormat via `localTime`.

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
const MIN = 60_000;
const w = (cron: string, timeZone: string, durationMin: number): MaintenanceWindow => ({ cron, timeZone, durationMin });

/** Local wall-clock "YYYY-MM-DD HH:MM zone-abbrev" of an instant, from Intl (independent of the module's offset code path). */
function localTime(t: number, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.timeZoneName}`;
}

/** All starts in [from, to) by repeated nextWindowStart. */
function starts(windows: MaintenanceWindow[], from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = nextWindowStart(windows, from - 1); t !== undefined && t < to; t = nextWindowStart(windows, t)) out.push(t);
  return out;
}

function expectValidation(fn: () => unknown, field: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isPfError(caught) && caught.code).toBe('PF_ERR_VALIDATION');
  expect((caught as Error).message).toMatch(field);
}

describe('maintenance windows', () => {
  it('treats an empty list as "no windows configured": always open, but no span and no next start', () => {
    expect(isAlwaysOpen([])).toBe(true);
    expect(isAlwaysOpen([w('0 2 * * 6', 'UTC', 60)])).toBe(false);
    expect(openWindowAt([], ms('2025-01-01T00:00:00Z'))).toBeUndefined();
    expect(nextWindowStart([], ms('2025-01-01T00:00:00Z'))).toBeUndefined();
    expect(openWindowAt([], ms('2025-01-01T00:00:00Z'))?.end).toBeUndefined();
  });

  it('opens at the firing (inclusive) and closes after durationMin (exclusive)', () => {
    const ws = [w('0 2 * * 6', 'UTC', 240)]; // Saturdays 02:00-06:00; 2025-01-04 is a Saturday
    expect(openWindowAt(ws, ms('2025-01-04T01:59:59.999Z'))).toBeUndefined();
    expect(openWindowAt(ws, ms('2025-01-04T02:00:00Z'))).toEqual({ start: ms('2025-01-04T02:00:00Z'), end: ms('2025-01-04T06:00:00Z') });
    expect(openWindowAt(ws, ms('2025-01-04T05:59:59.999Z'))?.end).toBe(ms('2025-01-04T06:00:00Z'));
    expect(openWindowAt(ws, ms('2025-01-04T06:00:00Z'))).toBeUndefined();
    expect(iso(nextWindowStart(ws, ms('2025-01-04T01:59:59.999Z')))).toBe('2025-01-04T02:00:00.000Z');
    // strictly after: at the start itself, the next one is a week later
    expect(iso(nextWindowStart(ws, ms('2025-01-04T02:00:00Z')))).toBe('2025-01-11T02:00:00.000Z');
  });

  it('looks back for a window that started before `at` and is still open, across midnight', () => {
    const ws = [w('0 22 * * 5', 'UTC', 8 * 60)]; // Friday 22:00 to Saturday 06:00
    expect(openWindowAt(ws, ms('2025-01-04T05:30:00Z'))).toEqual({ start: ms('2025-01-03T22:00:00Z'), end: ms('2025-01-04T06:00:00Z') });
    expect(openWindowAt(ws, ms('2025-01-04T06:30:00Z'))).toBeUndefined();
  });

  it('is always open when the window outlasts the gap between firings, and reports the occurrence ending last', () => {
    const ws = [w('0 * * * *', 'Europe/Berlin', 90)];
    for (let t = ms('2025-03-29T00:00:00Z'); t < ms('2025-03-31T00:00:00Z'); t += 7 * MIN) {
      const span = openWindowAt(ws, t);
      expect(span, new Date(t).toISOString()).toBeDefined();
      expect(span!.start).toBeLessThanOrEqual(t);
      expect(span!.end).toBeGreaterThan(t);
      expect(span!.end - span!.start).toBe(90 * MIN);
      expect(t - span!.start).toBeLessThan(60 * MIN); // the latest firing, not the one from 90 min ago
    }
  });

  it('picks the overlapping window that ends last', () => {
    const ws = [w('0 1 * * *', 'UTC', 180), w('0 2 * * *', 'UTC', 60), w('30 0 * * *', 'UTC', 30)];
    expect(openWindowAt(ws, ms('2025-01-01T02:30:00Z'))).toEqual({ start: ms('2025-01-01T01:00:00Z'), end: ms('2025-01-01T04:00:00Z') });
    expect(openWindowAt(ws, ms('2025-01-01T00:45:00Z'))).toEqual({ start: ms('2025-01-01T00:30:00Z'), end: ms('2025-01-01T01:00:00Z') });
    expect(iso(nextWindowStart(ws, ms('2025-01-01T00:00:00Z')))).toBe('2025-01-01T00:30:00.000Z');
    expect(iso(nextWindowStart(ws, ms('2025-01-01T01:30:00Z')))).toBe('2025-01-01T02:00:00.000Z');
  });

  it('Europe/Berlin spring forward: 02:30 does not exist on 2025-03-30 and fires at 03:30 CEST instead of being skipped', () => {
    const ws = [w('30 2 * * *', 'Europe/Berlin', 60)];
    const day = starts(ws, ms('2025-03-29T00:00:00Z'), ms('2025-04-01T00:00:00Z'));
    expect(day.map(iso)).toEqual(['2025-03-29T01:30:00.000Z', '2025-03-30T01:30:00.000Z', '2025-03-31T00:30:00.000Z']);
    expect(day.map((t) => localTime(t, 'Europe/Berlin'))).toEqual(['2025-03-29 02:30 GMT+1', '2025-03-30 03:30 GMT+2', '2025-03-31 02:30 GMT+2']);
    // from inside / after the gap (cron-parser's own tz mode gets these wrong)
    expect(iso(nextWindowStart(ws, ms('2025-03-30T01:10:00Z')))).toBe('2025-03-30T01:30:00.000Z');
    expect(openWindowAt(ws, ms('2025-03-30T02:15:00Z'))).toEqual({ start: ms('2025-03-30T01:30:00Z'), end: ms('2025-03-30T02:30:00Z') });
  });

  it('America/New_York spring forward: 02:30 on 2025-03-09 fires at 03:30 EDT', () => {
    const ws = [w('30 2 * * *', 'America/New_York', 30)];
    expect(starts(ws, ms('2025-03-08T00:00:00Z'), ms('2025-03-11T00:00:00Z')).map(iso)).toEqual([
      '2025-03-08T07:30:00.000Z',
      '2025-03-09T07:30:00.000Z',
      '2025-03-10T06:30:00.000Z',
    ]);
    expect(localTime(ms('2025-03-09T07:30:00Z'), 'America/New_York')).toBe('2025-03-09 03:30 EDT');
    expect(openWindowAt(ws, ms('2025-03-09T07:45:00Z'))?.start).toBe(ms('2025-03-09T07:30:00Z'));
  });

  it('America/New_York fall back: a fixed 01:30 fires once, at 01:30 EDT, not again at 01:30 EST', () => {
    const ws = [w('30 1 * * *', 'America/New_York', 60)];
    expect(starts(ws, ms('2025-11-01T00:00:00Z'), ms('2025-11-04T00:00:00Z')).map(iso)).toEqual([
      '2025-11-01T05:30:00.000Z',
      '2025-11-02T05:30:00.000Z',
      '2025-11-03T06:30:00.000Z',
    ]);
    expect(localTime(ms('2025-11-02T05:30:00Z'), 'America/New_York')).toBe('2025-11-02 01:30 EDT');
    expect(localTime(ms('2025-11-02T06:30:00Z'), 'America/New_York')).toBe('2025-11-02 01:30 EST');
    // the EDT window ran 05:30-06:30Z; at 01:45 EST nothing is open and the next start is the next day
    expect(openWindowAt(ws, ms('2025-11-02T06:00:00Z'))?.start).toBe(ms('2025-11-02T05:30:00Z'));
    expect(openWindowAt(ws, ms('2025-11-02T06:45:00Z'))).toBeUndefined();
    expect(iso(nextWindowStart(ws, ms('2025-11-02T06:00:00Z')))).toBe('2025-11-03T06:30:00.000Z');
  });

  it('fall back: an every-hour expression fires in both passes of the repeated hour', () => {
    const ws = [w('30 * * * *', 'America/New_York', 60)];
    expect(starts(ws, ms('2025-11-02T04:00:00Z'), ms('2025-11-02T08:00:00Z')).map(iso)).toEqual([
      '2025-11-02T04:30:00.000Z',
      '2025-11-02T05:30:00.000Z',
      '2025-11-02T06:30:00.000Z',
      '2025-11-02T07:30:00.000Z',
    ]);
    // so an hourly 60-minute window stays open through the night
    for (let t = ms('2025-11-02T04:30:00Z'); t < ms('2025-11-02T08:00:00Z'); t += 5 * MIN) expect(openWindowAt(ws, t)).toBeDefined();
  });

  it('Europe/Berlin fall back: 02:30 on 2025-10-26 fires once, at 02:30 CEST', () => {
    const ws = [w('30 2 * * *', 'Europe/Berlin', 60)];
    expect(starts(ws, ms('2025-10-25T00:00:00Z'), ms('2025-10-28T00:00:00Z')).map(iso)).toEqual([
      '2025-10-25T00:30:00.000Z',
      '2025-10-26T00:30:00.000Z',
      '2025-10-27T01:30:00.000Z',
    ]);
    expect(localTime(ms('2025-10-26T00:30:00Z'), 'Europe/Berlin')).toBe('2025-10-26 02:30 GMT+2');
    expect(openWindowAt(ws, ms('2025-10-26T01:45:00Z'))).toBeUndefined(); // 02:45 CET, second pass
  });

  it('handles 45- and 30-minute offsets (Asia/Kathmandu +05:45, Asia/Kolkata +05:30)', () => {
    expect(iso(nextWindowStart([w('15 2 * * *', 'Asia/Kathmandu', 60)], ms('2025-01-01T00:00:00Z')))).toBe('2025-01-01T20:30:00.000Z');
    expect(localTime(ms('2025-01-01T20:30:00Z'), 'Asia/Kathmandu')).toBe('2025-01-02 02:15 GMT+5:45');
    // Lord Howe's DST shift is 30 minutes (checked with TZ=Australia/Lord_Howe date)
    expect(starts([w('45 1 * * *', 'Australia/Lord_Howe', 30)], ms('2025-04-05T12:00:00Z'), ms('2025-04-06T12:00:00Z')).map(iso)).toEqual(['2025-04-05T14:45:00.000Z']);
    expect(iso(nextWindowStart([w('15 2 * * *', 'Australia/Lord_Howe', 30)], ms('2025-10-04T12:00:00Z')))).toBe('2025-10-04T15:45:00.000Z');
    expect(openWindowAt([w('0 0 * * *', 'Asia/Kolkata', 30)], ms('2025-01-01T18:40:00Z'))).toEqual({ start: ms('2025-01-01T18:30:00Z'), end: ms('2025-01-01T19:00:00Z') });
  });

  it('fires when either day-of-month or day-of-week matches (classic cron OR rule)', () => {
    // 2025-01: Fridays 3, 10, 17; the 13th is a Monday
    expect(starts([w('0 3 13 * 5', 'UTC', 60)], ms('2025-01-01T00:00:00Z'), ms('2025-01-18T00:00:00Z')).map(iso)).toEqual([
      '2025-01-03T03:00:00.000Z',
      '2025-01-10T03:00:00.000Z',
      '2025-01-13T03:00:00.000Z',
      '2025-01-17T03:00:00.000Z',
    ]);
  });

  it('supports ranges, steps, lists and names', () => {
    const ws = [w('*/15 2-4 * * 1-5', 'UTC', 15)];
    expect(iso(nextWindowStart(ws, ms('2025-01-03T04:40:00Z')))).toBe('2025-01-03T04:45:00.000Z'); // Friday
    expect(iso(nextWindowStart(ws, ms('2025-01-03T04:45:00Z')))).toBe('2025-01-06T02:00:00.000Z'); // Monday
    expect(starts(ws, ms('2025-01-06T00:00:00Z'), ms('2025-01-07T00:00:00Z'))).toHaveLength(12);
    expect(openWindowAt(ws, ms('2025-01-06T04:59:59Z'))?.start).toBe(ms('2025-01-06T04:45:00Z'));
    expect(openWindowAt(ws, ms('2025-01-06T05:00:00Z'))).toBeUndefined();
    expect(openWindowAt(ws, ms('2025-01-04T03:00:00Z'))).toBeUndefined(); // Saturday
    expect(starts([w('0 1,13 * * sat,SUN', 'UTC', 60)], ms('2025-01-01T00:00:00Z'), ms('2025-01-06T00:00:00Z')).map(iso)).toEqual([
      '2025-01-04T01:00:00.000Z',
      '2025-01-04T13:00:00.000Z',
      '2025-01-05T01:00:00.000Z',
      '2025-01-05T13:00:00.000Z',
    ]);
  });

  it('gives up beyond the 366-day horizon', () => {
    const leap = [w('0 0 29 2 *', 'UTC', 60)];
    expect(nextWindowStart(leap, ms('2025-03-01T00:00:00Z'))).toBeUndefined();
    expect(iso(nextWindowStart(leap, ms('2027-06-01T00:00:00Z')))).toBe('2028-02-29T00:00:00.000Z');
    expect(openWindowAt(leap, ms('2028-02-29T00:59:00Z'))?.start).toBe(ms('2028-02-29T00:00:00Z'));
  });

  it('throws PF_ERR_VALIDATION naming the bad field', () => {
    const ok = w('0 2 * * *', 'UTC', 60);
    const at = ms('2025-01-01T00:00:00Z');
    for (const cron of ['not cron', '61 * * * *', '* * * *', '', '0 0 2 * * *', '@daily', 'H 2 * * *', '0 0 31 4 *']) {
      expectValidation(() => openWindowAt([ok, w(cron, 'UTC', 60)], at), /windows\[1\]\.cron/);
      expectValidation(() => nextWindowStart([w(cron, 'UTC', 60)], at), /windows\[0\]\.cron/);
    }
    expectValidation(() => openWindowAt([w('0 2 * * *', 'Mars/Olympus', 60)], at), /windows\[0\]\.timeZone "Mars\/Olympus"/);
    expectValidation(() => nextWindowStart([ok, w('0 2 * * *', 'UTC', 0)], at), /windows\[1\]\.durationMin/);
    expectValidation(() => nextWindowStart([w('0 2 * * *', 'UTC', 1.5)], at), /windows\[0\]\.durationMin/);
  });

  it('agrees with itself: openWindowAt matches the starts enumerated by nextWindowStart, across DST changes', () => {
    const cases: [MaintenanceWindow, string][] = [
      [w('30 2 * * *', 'Europe/Berlin', 45), '2025-03-29T12:00:00Z'],
      [w('30 2 * * *', 'Europe/Berlin', 45), '2025-10-25T12:00:00Z'],
      [w('*/20 1-3 * * *', 'America/New_York', 25), '2025-11-01T12:00:00Z'],
      [w('*/20 1-3 * * *', 'America/New_York', 25), '2025-03-08T12:00:00Z'],
      [w('0,30 * * * *', 'America/New_York', 20), '2025-11-01T12:00:00Z'],
      // Lord Howe shifts by 30 minutes: 02:00 -> 01:30 on 2025-04-06, 02:00 -> 02:30 on 2025-10-05
      [w('45 1 * * *', 'Australia/Lord_Howe', 50), '2025-04-04T12:00:00Z'],
      [w('15 2 * * *', 'Australia/Lord_Howe', 50), '2025-10-03T12:00:00Z'],
    ];
    for (const [win, fromIso] of cases) {
      const from = ms(fromIso);
      const to = from + 2 * 86_400_000;
      const all = starts([win], from - 86_400_000, to + 8 * 86_400_000); // past `to` so the last next-start is known
      for (let t = from; t < to; t += 5 * MIN) {
        const latest = all.filter((s) => s <= t).at(-1);
        const expected = latest !== undefined && t < latest + win.durationMin * MIN ? latest : undefined;
        expect(openWindowAt([win], t)?.start, `${win.cron} ${win.timeZone} at ${new Date(t).toISOString()}`).toBe(expected);
        expect(nextWindowStart([win], t), `${win.cron} next after ${new Date(t).toISOString()}`).toBe(all.find((s) => s > t));
      }
    }
  });

  it("lists the next openings of several windows in order, in each window's own zone, across a DST change", () => {
    const wins = [w('0 3 * * 6', 'Europe/Paris', 180), w('30 22 * * *', 'UTC', 30)];
    const after = ms('2025-10-23T12:00:00Z'); // a Thursday; Paris leaves summer time on Sunday 26 October
    const got = nextOpenings(wins, after, 5).map((o) => [o.window, iso(o.start), iso(o.end)]);
    expect(got).toEqual([
      [1, '2025-10-23T22:30:00.000Z', '2025-10-23T23:00:00.000Z'],
      [1, '2025-10-24T22:30:00.000Z', '2025-10-24T23:00:00.000Z'],
      [0, '2025-10-25T01:00:00.000Z', '2025-10-25T04:00:00.000Z'], // 03:00 CEST
      [1, '2025-10-25T22:30:00.000Z', '2025-10-25T23:00:00.000Z'],
      [1, '2025-10-26T22:30:00.000Z', '2025-10-26T23:00:00.000Z'],
    ]);
    expect(nextOpenings([wins[0]!], ms('2025-10-25T04:00:00Z'), 1).map((o) => iso(o.start))).toEqual(['2025-11-01T02:00:00.000Z']); // 03:00 CET
    // The same instants the planner asks for, one after another.
    expect(nextOpenings(wins, after, 8).map((o) => o.start)).toEqual(starts(wins, after + 1, ms('2025-11-10T00:00:00Z')).slice(0, 8));
    expect(nextOpenings([], after, 5)).toEqual([]);
    expectValidation(() => nextOpenings([wins[0]!, w('0 2 * * *', 'Mars/Olympus', 60)], after, 5), /windows\[1\]\.timeZone/);
  });
});
