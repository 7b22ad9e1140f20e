import { describe, it, expect } from 'vitest';
import { ManualClock, repeatOnClock, sleep, SteppedClock, systemClock, trackWork } from './clock';
import { Errors, isPfError } from './errors/index';

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

/** A promise settled after `turns` turns of the event loop (work that takes real time, as a database query does). */
function later<T>(value: T, turns = 3): Promise<T> {
  return new Promise((resolve) => {
    const step = (n: number) => (n === 0 ? resolve(value) : setImmediate(() => step(n - 1)));
    step(turns);
  });
}

describe('SteppedClock', () => {
  it('moves only when told, and never back', async () => {
    const clock = new SteppedClock(1000);
    expect(clock.now()).toBe(1000);
    await later(null, 5);
    expect(clock.now()).toBe(1000);
    await clock.advanceTo(1500);
    expect(clock.now()).toBe(1500);
    await clock.advance(500);
    expect(clock.now()).toBe(2000);
    await expect(clock.advanceTo(1999)).rejects.toThrow(/does not go back/);
    await expect(clock.advanceTo(Number.NaN)).rejects.toThrow(RangeError);
    expect(clock.now()).toBe(2000);
    // A refused step does not jam the ones after it.
    await clock.advanceTo(2000);
    expect(clock.now()).toBe(2000);
  });

  it('fires due timers in order, each at its own due time, ties in the order set; cancelled ones never', async () => {
    const clock = new SteppedClock(0);
    const fired: string[] = [];
    clock.after(300, () => fired.push(`c@${clock.now()}`));
    clock.after(100, () => fired.push(`a@${clock.now()}`));
    clock.after(200, () => fired.push(`b1@${clock.now()}`));
    clock.after(200, () => fired.push(`b2@${clock.now()}`));
    const gone = clock.after(150, () => fired.push('cancelled'));
    gone.cancel();
    gone.cancel();
    expect(clock.pendingTimers).toBe(4);
    expect(clock.nextTimerAt()).toBe(100);
    await clock.advanceTo(250);
    expect(fired).toEqual(['a@100', 'b1@200', 'b2@200']);
    expect(clock.now()).toBe(250);
    await clock.advanceTo(299);
    expect(fired).toHaveLength(3);
    await clock.advanceTo(300);
    expect(fired).toEqual(['a@100', 'b1@200', 'b2@200', 'c@300']);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.firedTotal).toBe(4);
  });

  it('waits for the promise a timer returns before the next timer fires', async () => {
    const clock = new SteppedClock(0);
    const log: string[] = [];
    clock.after(10, () =>
      (async () => {
        log.push(`start@${clock.now()}`);
        await later(null, 10);
        log.push(`end@${clock.now()}`);
      })(),
    );
    clock.after(20, () => log.push(`next@${clock.now()}`));
    await clock.advanceTo(30);
    expect(log).toEqual(['start@10', 'end@10', 'next@20']);
  });

  it('waits for tracked work, and for what that work schedules at the same instant, before a step returns', async () => {
    const clock = new SteppedClock(0);
    const log: string[] = [];
    clock.after(10, () => {
      // Started from a setImmediate, as a bus message is: tracked only once it runs.
      setImmediate(() => {
        void clock.track(
          later(null, 5).then(() => {
            log.push(`bus work@${clock.now()}`);
            clock.after(0, () => log.push(`follow-up@${clock.now()}`));
          }),
          'bus',
        );
      });
    });
    clock.after(11, () => log.push(`later timer@${clock.now()}`));
    await clock.advanceTo(100);
    expect(log).toEqual(['bus work@10', 'follow-up@10', 'later timer@11']);
  });

  it('settled() waits for work tracked from outside any timer and fires timers it set for now', async () => {
    const clock = new SteppedClock(500);
    const log: string[] = [];
    const result = clock.track(
      later('value', 8).then((v) => {
        clock.after(0, () => log.push(`timer@${clock.now()}`));
        return v;
      }),
    );
    await clock.settled();
    expect(log).toEqual(['timer@500']);
    await expect(result).resolves.toBe('value');
    expect(clock.inflightLabels()).toEqual([]);
    // A rejection belongs to whoever tracked the work: settling does not fail on it.
    const failed = clock.track(later(null, 2).then(() => Promise.reject(new Error('theirs'))), 'failing');
    await clock.settled();
    await expect(failed).rejects.toThrow('theirs');
  });

  it('a periodic timer fires once per period over a long step', async () => {
    const clock = new SteppedClock(0);
    const ticks: number[] = [];
    const tick = () =>
      clock.after(1000, () => {
        ticks.push(clock.now());
        return later(null, 1).then(tick);
      });
    tick();
    await clock.advanceTo(5500);
    expect(ticks).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it('fails a step whose work keeps scheduling work at one instant, naming it', async () => {
    const clock = new SteppedClock(0, { maxStepsPerInstant: 50 });
    const spin = () => {
      clock.after(0, spin);
    };
    clock.after(10, spin);
    const err: unknown = await clock.advanceTo(20).catch((e: unknown) => e);
    expect(isPfError(err) && err.code).toBe(Errors.SIMULATION_UNSETTLED.code);
    expect((err as Error).message).toMatch(/1970-01-01T00:00:00.010Z/);
    expect((err as Error).message).toMatch(/spin \(\d+x\)/);
  });

  it('fails an advance that stops at more instants than its bound, naming the timer', async () => {
    const clock = new SteppedClock(0, { maxInstantsPerAdvance: 10 });
    const everyMs = () => {
      clock.after(1, everyMs);
    };
    clock.after(1, everyMs);
    const err: unknown = await clock.advanceTo(1000).catch((e: unknown) => e);
    expect(isPfError(err) && err.code).toBe(Errors.SIMULATION_UNSETTLED.code);
    expect((err as Error).message).toMatch(/more than 10 timer instants.*everyMs/);
  });

  it("a timer's error fails the step once the rest is quiet; later steps go on", async () => {
    const clock = new SteppedClock(0);
    const log: string[] = [];
    clock.after(10, () => later(null).then(() => Promise.reject(new Error('round failed'))));
    clock.after(10, () => log.push('neighbour'));
    await expect(clock.advanceTo(20)).rejects.toThrow('round failed');
    expect(log).toEqual(['neighbour']);
    expect(clock.now()).toBe(10);
    clock.after(5, () => {
      throw new Error('sync');
    });
    await expect(clock.advanceTo(20)).rejects.toThrow('sync');
    await clock.advanceTo(30);
    expect(clock.now()).toBe(30);
  });

  it('runs steps one at a time', async () => {
    const clock = new SteppedClock(0);
    const log: string[] = [];
    clock.after(10, () => later(null, 5).then(() => log.push(`slow@${clock.now()}`)));
    const first = clock.advanceTo(15);
    const second = clock.advanceTo(40).then(() => log.push(`second done@${clock.now()}`));
    await Promise.all([first, second]);
    expect(log).toEqual(['slow@10', 'second done@40']);
  });

  it('keeps order over many timers (heap)', async () => {
    const clock = new SteppedClock(0);
    const fired: number[] = [];
    const dues = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    for (const d of dues) clock.after(d, () => fired.push(clock.now()));
    await clock.advanceTo(1000);
    expect(fired).toEqual([...dues].sort((a, b) => a - b));
  });
});

describe('trackWork', () => {
  it('hands work to a stepped clock and leaves other clocks alone', async () => {
    const stepped = new SteppedClock(0);
    let done = false;
    const work = later(null, 6).then(() => (done = true));
    expect(trackWork(stepped, work, 'x')).toBe(work);
    expect(stepped.inflightLabels()).toEqual(['x']);
    await stepped.settled();
    expect(done).toBe(true);
    const plain = Promise.resolve(1);
    expect(trackWork(systemClock, plain)).toBe(plain);
    expect(trackWork(new ManualClock(0), plain)).toBe(plain);
  });
});

describe('repeatOnClock', () => {
  it('fires at every multiple of the period (plus offset) after now, and stops', async () => {
    const clock = new SteppedClock(1_234);
    const at: number[] = [];
    const job = repeatOnClock(clock, { everyMs: 1000, offsetMs: 100 }, () => void at.push(clock.now()));
    await clock.advanceTo(4_100);
    expect(at).toEqual([2_100, 3_100, 4_100]);
    job.stop();
    await clock.advanceTo(10_000);
    expect(at).toHaveLength(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it("the stepped clock waits for each round's promise", async () => {
    const clock = new SteppedClock(0);
    const log: string[] = [];
    repeatOnClock(clock, { everyMs: 100 }, async () => {
      log.push(`start@${clock.now()}`);
      await later(null, 4);
      log.push(`end@${clock.now()}`);
    });
    await clock.advanceTo(250);
    expect(log).toEqual(['start@100', 'end@100', 'start@200', 'end@200']);
  });

  it('skips a round while the previous one still runs (real clocks)', async () => {
    const clock = new ManualClock(0);
    let release: () => void = () => undefined;
    let rounds = 0;
    repeatOnClock(clock, { everyMs: 10 }, () => {
      rounds += 1;
      return new Promise<void>((r) => (release = r));
    });
    clock.advance(35);
    expect(rounds).toBe(1);
    release();
    await later(null, 1);
    clock.advance(10);
    expect(rounds).toBe(2);
    expect(() => repeatOnClock(clock, { everyMs: 0 }, () => undefined)).toThrow(RangeError);
  });
});
