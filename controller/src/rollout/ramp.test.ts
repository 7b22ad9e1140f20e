import { describe, expect, it } from 'vitest';
import { classRoom, pickRamped } from './ramp';

describe('classRoom', () => {
  it('gives a class nothing was given yet one host, then finished minus installing', () => {
    expect(classRoom(undefined)).toBe(1);
    expect(classRoom({ finished: 0, installing: 0 })).toBe(1);
    expect(classRoom({ finished: 0, installing: 1 })).toBe(0);
    expect(classRoom({ finished: 5, installing: 2 })).toBe(3);
    expect(classRoom({ finished: 2, installing: 5 })).toBe(0);
  });
});

describe('pickRamped', () => {
  const progress = new Map([
    ['A', { finished: 4, installing: 1 }],
    ['B', { finished: 1, installing: 1 }],
  ]);
  const hosts = ['a1', 'b1', 'a2', 'c1', 'a3', 'c2', 'a4', 'b2'];
  const classOf = (h: string) => h[0]?.toUpperCase();

  it('takes each class up to its room, in order, within the limit', () => {
    const pick = pickRamped(hosts, classOf, progress, 10);
    expect(pick.chosen).toEqual(['a1', 'a2', 'c1', 'a3']);
    // B had no room from the start and A ran out: what the ring waits for.
    expect(pick.waitingFor).toEqual({ finished: 5, installing: 2 });
  });

  it('stops at the limit and skips hosts of unknown class', () => {
    expect(pickRamped(hosts, classOf, progress, 2).chosen).toEqual(['a1', 'a2']);
    expect(pickRamped(['x1', 'a1'], (h) => (h === 'x1' ? undefined : 'A'), progress, 10).chosen).toEqual(['a1']);
  });
});
