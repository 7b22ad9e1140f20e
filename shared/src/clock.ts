/**
 * The injected clock. Domain code reads time and schedules work only through
 * a Clock, so the fleet simulator can run weeks of rollouts on a virtual one.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms`; the handle cancels it. */
  after(ms: number, fn: () => void): TimerHandle;
}

/** Wall-clock time and real timers. Timers do not keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock that only moves when told to; timers fire in due order on `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];
  private seq = 0;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => { timer.live = false; } };
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => t.live && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.current = due.at;
      due.fn();
    }
    this.timers = this.timers.filter((t) => t.live);
    this.current = target;
  }
}

/** Promise that resolves after `ms` on the given clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.after(ms, resolve));
}

/**
 * Time that runs `speed` times faster than `base`, reading `virtualStart` at
 * the real instant `realStart`. Anchored to a fixed real instant (not to
 * process start), so a controller restarted with the same anchor continues
 * the same virtual timeline. Used to run rollout schedules (days of
 * deferral, windows, soak) in minutes in tests and demonstrations.
 */
export function scaledClock(base: Clock, virtualStart: number, realStart: number, speed: number): Clock {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`clock speed must be a positive number, got ${speed}`);
  return {
    now: () => Math.floor(virtualStart + (base.now() - realStart) * speed),
    after: (ms, fn) => base.after(ms / speed, fn),
  };
}
