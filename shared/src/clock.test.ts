import { describe, it, expect } from 'vitest';
import { ManualClock, sleep, systemClock } from './clock';

describe('ManualClock', () => {
  it('starts where told and only moves on advance', () => {
    const clock = new ManualClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    expect(new ManualClock().now()).toBe(0);
  });

  it('fires timers in due order, ties in the order they were set, each seeing its own due time', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.after(300, () => fired.push(`c@${clock.now()}`));
    clock.after(100, () => fired.push(`a@${clock.now()}`));
    clock.after(200, () => fired.push(`b1@${clock.now()}`));
    clock.after(200, () => fired.push(`b2@${clock.now()}`));
    clock.advance(250);
    expect(fired).toEqual(['a@100', 'b1@200', 'b2@200']);
    expect(clock.now()).toBe(250);
    clock.advance(50);
    expect(fired).toEqual(['a@100', 'b1@200', 'b2@200', 'c@300']);
  });

  it('fires a timer exactly at its due time, not before', () => {
    const clock = new ManualClock(0);
    let fired = 0;
    clock.after(100, () => fired++);
    clock.advance(99);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
    clock.advance(1000);
    expect(fired).toBe(1); // once only
  });

  it('treats a negative delay as zero', () => {
    const clock = new ManualClock(500);
    let at = -1;
    clock.after(-50, () => (at = clock.now()));
    clock.advance(0);
    expect(at).toBe(500);
  });

  it('does not fire cancelled timers, and cancelling twice or after firing is harmless', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const a = clock.after(10, () => fired.push('a'));
    const b = clock.after(20, () => fired.push('b'));
    a.cancel();
    a.cancel();
    clock.advance(30);
    expect(fired).toEqual(['b']);
    b.cancel();
    clock.advance(30);
    expect(fired).toEqual(['b']);
  });

  it('lets a timer cancel another that is due in the same advance', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const later = clock.after(20, () => fired.push('later'));
    clock.after(10, () => {
      fired.push('first');
      later.cancel();
    });
    clock.advance(100);
    expect(fired).toEqual(['first']);
  });

  it('runs timers set from inside a timer when they fall due within the same advance', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.after(10, () => {
      fired.push(`outer@${clock.now()}`);
      clock.after(5, () => {
        fired.push(`inner@${clock.now()}`);
        clock.after(100, () => fired.push(`late@${clock.now()}`));
      });
    });
    clock.after(12, () => fired.push(`other@${clock.now()}`));
    clock.advance(20);
    expect(fired).toEqual(['outer@10', 'other@12', 'inner@15']);
    expect(clock.now()).toBe(20);
    clock.advance(94);
    expect(fired).toHaveLength(3);
    clock.advance(1);
    expect(fired).toEqual(['outer@10', 'other@12', 'inner@15', 'late@115']);
  });

  it('a repeating timer fires once per period', () => {
    const clock = new ManualClock(0);
    const ticks: number[] = [];
    const tick = () => clock.after(1000, () => {
      ticks.push(clock.now());
      tick();
    });
    tick();
    clock.advance(5500);
    expect(ticks).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it('sleep resolves when the clock passes the delay', async () => {
    const clock = new ManualClock(0);
    let done = false;
    const p = sleep(clock, 1000).then(() => (done = true));
    clock.advance(999);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await p;
    expect(done).toBe(true);
  });
});

describe('systemClock', () => {
  it('reads wall-clock time', () => {
    const before = Date.now();
    const t = systemClock.now();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });

  it('runs timers and cancels them', async () => {
    let cancelledFired = false;
    systemClock.after(5, () => (cancelledFired = true)).cancel();
    const start = Date.now();
    await sleep(systemClock, 20);
    expect(Date.now() - start).toBeGreaterThanOrEqual(15);
    expect(cancelledFired).toBe(false);
  });
});
