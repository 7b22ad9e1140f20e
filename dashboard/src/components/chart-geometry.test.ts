import { describe, expect, it } from 'vitest';
import { linearScale, linePath, niceMax, timeExtent, timeTicks, valueTicks } from './chart-geometry';

const HOUR = 3_600_000;

describe('chart geometry', () => {
  it('maps a domain onto a range, flipped for the value axis', () => {
    const y = linearScale(0, 100, 200, 0);
    expect([y(0), y(50), y(100)]).toEqual([200, 100, 0]);
    expect(linearScale(5, 5, 0, 10)(5)).toBe(5);
  });

  it('draws lines, and steps that hold each value until the next point and to the end', () => {
    const id = (x: number) => x;
    const pts = [{ t: 0, v: 80 }, { t: 10, v: 60 }, { t: 20, v: 70 }];
    expect(linePath(pts, id, id)).toBe('M0,80 L10,60 L20,70');
    expect(linePath(pts, id, id, true, 30)).toBe('M0,80 H10 V60 H20 V70 H30');
    expect(linePath(pts, id, id, true, 20)).toBe('M0,80 H10 V60 H20 V70');
    expect(linePath([], id, id)).toBe('');
  });

  it('rounds the value axis up to 1, 2 or 5 times a power of ten, at least the floor', () => {
    expect([niceMax(0), niceMax(3), niceMax(7), niceMax(12), niceMax(100), niceMax(101)]).toEqual([1, 5, 10, 20, 100, 200]);
    expect(valueTicks(100)).toEqual([0, 25, 50, 75, 100]);
    expect(valueTicks(1)).toEqual([0, 1]);
    expect(valueTicks(2)).toEqual([0, 1, 2]);
    expect(valueTicks(0.5)).toEqual([0, 0.1, 0.3, 0.4, 0.5]);
  });

  it('puts time ticks on whole hours or days, a handful of them', () => {
    const from = Date.parse('2026-12-06T10:20:00Z');
    const ticks = timeTicks(from, from + 24 * HOUR);
    expect(ticks.length).toBeLessThanOrEqual(6);
    expect(ticks.every((t) => t % (6 * HOUR) === 0)).toBe(true);
    expect(new Date(ticks[0]!).toISOString()).toBe('2026-12-06T12:00:00.000Z');
    expect(timeTicks(from, from)).toEqual([from]);
    // Seconds to minutes apart (scores rescored in a row): minute ticks, or both ends.
    expect(timeTicks(from, from + 10 * 60_000).every((t) => t % (5 * 60_000) === 0)).toBe(true);
    expect(timeTicks(from, from + 5_000)).toEqual([from, from + 5_000]);
  });

  it('spans the points and markers, an hour either side of a single moment', () => {
    expect(timeExtent([{ key: 'a', label: 'a', points: [{ t: 5 * HOUR, v: 1 }] }])).toEqual([4 * HOUR, 6 * HOUR]);
    expect(timeExtent([{ key: 'a', label: 'a', points: [{ t: 5, v: 1 }] }], [{ t: 1, label: 'm' }])).toEqual([1, 5]);
    expect(timeExtent([])).toBeNull();
  });
});
