/**
 * The injected clock. Domain code reads time and schedules work only through
 * a Clock, so the fleet simulator can run weeks of rollouts on a virtual one.
 */
import { Errors, PfError } from './errors/index';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Runs `fn` once after `ms`; the handle cancels it. `fn` may return the
   * promise of the work it started: a {@link SteppedClock} waits for it
   * before it moves on; other clocks ignore it (so `fn` handles its errors).
   */
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

/** Rounds at every instant `offsetMs + k * everyMs` (k an integer) of a clock: a cron trigger's counterpart on virtual time. */
export interface ClockSchedule {
  everyMs: number;
  offsetMs?: number;
  /** Names the rounds in a stepped clock's diagnostics. */
  label?: string;
}

/**
 * Runs `fn` at every instant `offsetMs + k * everyMs` (k an integer) after
 * the clock's now, like a cron trigger but on any clock: on a
 * {@link SteppedClock} the rounds follow virtual time. `fn`'s promise is
 * handed to the clock (a stepped clock waits for it); a round still running
 * when the next one falls due is skipped, as node-cron's `noOverlap` does.
 */
export function repeatOnClock(clock: Clock, schedule: ClockSchedule, fn: () => Promise<unknown> | void): { stop(): void } {
  const { everyMs, offsetMs = 0 } = schedule;
  const label = schedule.label ?? (fn.name || 'repeated round');
  if (!(everyMs > 0) || !Number.isFinite(everyMs)) throw new RangeError(`repeat period must be a positive number of ms, got ${everyMs}`);
  let timer: TimerHandle | undefined;
  let stopped = false;
  let running: Promise<unknown> | undefined;
  const arm = (): void => {
    const now = clock.now();
    const into = (((now - offsetMs) % everyMs) + everyMs) % everyMs;
    timer = clock instanceof SteppedClock ? clock.after(everyMs - into, fire, label) : clock.after(everyMs - into, fire);
  };
  const fire = (): Promise<unknown> | undefined => {
    if (stopped) return undefined;
    arm();
    if (running) return undefined;
    const round = (async () => fn())().finally(() => {
      running = undefined;
    });
    running = round;
    return round;
  };
  arm();
  return {
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}

/** A clock that waits for work handed to it before it calls itself settled (see {@link SteppedClock}). */
export interface WorkTracker {
  track<T>(work: Promise<T>, label?: string): Promise<T>;
}

/**
 * Hands `work` to the clock when it tracks work (a {@link SteppedClock}: a
 * simulator's step then waits for it); returns `work` itself, so other
 * clocks are not affected at all.
 */
export function trackWork<T>(clock: Clock, work: Promise<T>, label?: string): Promise<T> {
  return clock instanceof SteppedClock ? clock.track(work, label) : work;
}

/** Bounds of one {@link SteppedClock} step; past them the step fails with PF_ERR_SIMULATION_UNSETTLED naming what looped. */
export interface SteppedClockLimits {
  /** Timers fired, waits for work and event-loop turns at one virtual instant (default 100,000). */
  maxStepsPerInstant?: number;
  /** Distinct virtual instants one advance may stop at to fire timers (default 5,000,000). */
  maxInstantsPerAdvance?: number;
}

interface SteppedTimer {
  at: number;
  seq: number;
  fn: () => unknown;
  /** Given by the caller; otherwise derived from `fn` when a diagnostic needs it. */
  label: string | undefined;
  live: boolean;
}

/** Resolves after the event loop has polled for I/O once (two check phases: the first may come before this turn's poll). */
const ioTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

const iso = (ms: number): string => (Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(ms));

function labelOf(timer: SteppedTimer): string {
  return timer.label ?? (timer.fn.name || `timer ${timer.fn.toString().replace(/\s+/g, ' ').slice(0, 80)}`);
}

/** The most frequent of the last things a loop did (timers or labels of tracked work), for its error message. */
function topLabels(recent: readonly (SteppedTimer | string)[]): string {
  const counts = new Map<string, number>();
  for (const r of recent) {
    const label = typeof r === 'string' ? r : labelOf(r);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([label, n]) => `${label} (${n}x)`)
    .join(', ');
}

/**
 * Virtual time for simulators: it moves only when told to, and a step
 * returns once the process is quiet. {@link advanceTo} fires every timer that
 * falls due, earliest first (ties in the order they were set), with the time
 * set to each timer's due time as it fires, and after each one waits until
 * the work it started is done: the promise a timer callback returns, work
 * handed to {@link track} (by the timer's work or by anything else, e.g. a
 * bus message), and timers that work set for the same instant. So after
 * `await clock.advanceTo(t)` everything that was due up to `t` has run to
 * the end, in one order for one input.
 *
 * A timer callback that throws, or whose returned promise rejects, fails the
 * step (its error is thrown by advanceTo/settled once the rest is quiet);
 * work handed to {@link track} belongs to its caller, which handles its
 * errors. Steps run one at a time; a second one waits for the first.
 */
export class SteppedClock implements Clock, WorkTracker {
  private current: number;
  /** Binary heap of timers by (at, seq); cancelled ones are dropped when they reach the top. */
  private heap: SteppedTimer[] = [];
  private live = 0;
  private seq = 0;
  private readonly inflight = new Map<Promise<void>, string>();
  private failure: { error: unknown } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly maxStepsPerInstant: number;
  private readonly maxInstantsPerAdvance: number;
  /** Timers fired since the clock was made. */
  firedTotal = 0;

  constructor(start = 0, limits: SteppedClockLimits = {}) {
    if (!Number.isFinite(start)) throw new RangeError(`stepped clock start must be a finite number of ms, got ${start}`);
    this.current = start;
    this.maxStepsPerInstant = limits.maxStepsPerInstant ?? 100_000;
    this.maxInstantsPerAdvance = limits.maxInstantsPerAdvance ?? 5_000_000;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void, label?: string): TimerHandle {
    const timer: SteppedTimer = { at: this.current + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: this.seq++, fn, label, live: true };
    this.push(timer);
    this.live += 1;
    return {
      cancel: () => {
        if (!timer.live) return;
        timer.live = false;
        this.live -= 1;
      },
    };
  }

  /** Waits for `work` before the clock calls itself settled; returns `work` (its errors are the caller's). */
  track<T>(work: Promise<T>, label = 'work'): Promise<T> {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.inflight.set(done, label);
    void done.then(() => this.inflight.delete(done));
    return work;
  }

  /** Timers set and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.live;
  }

  /** Due time of the earliest pending timer. */
  nextTimerAt(): number | undefined {
    return this.peek()?.at;
  }

  /** Labels of the work being waited for right now (for a simulator's diagnostics). */
  inflightLabels(): string[] {
    return [...this.inflight.values()];
  }

  /** {@link advanceTo} `now() + ms`. */
  advance(ms: number): Promise<void> {
    return this.serial(() => this.step(this.current + ms));
  }

  /**
   * Moves time to `t` (never back), firing every timer due up to and at
   * `t` in order and waiting after each until the process is settled.
   */
  advanceTo(t: number): Promise<void> {
    return this.serial(() => this.step(t));
  }

  /** Resolves once no tracked work is in flight and no timer is due at the current time (firing those that are). */
  settled(): Promise<void> {
    return this.serial(() => this.settleHere());
  }

  private serial(op: () => Promise<void>): Promise<void> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async step(t: number): Promise<void> {
    if (!Number.isFinite(t)) throw new RangeError(`stepped clock target must be a finite number of ms, got ${t}`);
    if (t < this.current) throw new RangeError(`the clock does not go back: it is ${iso(this.current)}, asked for ${iso(t)}`);
    await this.settleHere();
    const recent = new Recent<SteppedTimer>();
    let instants = 0;
    for (;;) {
      const next = this.peek();
      if (!next || next.at > t) break;
      if (++instants > this.maxInstantsPerAdvance) {
        throw new PfError(Errors.SIMULATION_UNSETTLED, `advance to ${iso(t)} stopped at ${iso(this.current)}: more than ${this.maxInstantsPerAdvance} timer instants in one advance; most fired: ${topLabels(recent.items)}`);
      }
      recent.add(next);
      this.current = next.at;
      await this.settleHere();
    }
    this.current = t;
    await this.settleHere();
  }

  /** Fires what is due now and waits for tracked work, until neither is left after one turn of the event loop. */
  private async settleHere(): Promise<void> {
    const seen = new Recent<SteppedTimer | string>();
    for (let steps = 0; ; steps++) {
      if (steps >= this.maxStepsPerInstant) {
        throw new PfError(Errors.SIMULATION_UNSETTLED, `the clock did not settle at ${iso(this.current)} within ${this.maxStepsPerInstant} steps: work keeps scheduling work at the same instant; most active: ${topLabels(seen.items)}`);
      }
      const due = this.peek();
      if (due && due.at <= this.current) {
        this.pop();
        due.live = false;
        this.live -= 1;
        this.firedTotal += 1;
        seen.add(due);
        this.fire(due);
        continue;
      }
      if (this.inflight.size > 0) {
        for (const label of this.inflight.values()) seen.add(label);
        await Promise.all(this.inflight.keys());
        continue;
      }
      // Work started from setImmediate or an I/O callback (a bus message) gets tracked only when it runs.
      await ioTurn();
      const again = this.peek();
      if (this.inflight.size === 0 && !(again && again.at <= this.current)) break;
    }
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      throw error;
    }
  }

  private fire(timer: SteppedTimer): void {
    let out: unknown;
    try {
      out = timer.fn();
    } catch (error) {
      this.failure ??= { error };
      return;
    }
    if (out instanceof Promise) {
      this.track(
        out.catch((error: unknown) => {
          this.failure ??= { error };
        }),
        timer.label ?? 'timer',
      );
    }
  }

  private peek(): SteppedTimer | undefined {
    while (this.heap.length > 0 && !this.heap[0]!.live) this.pop();
    return this.heap[0];
  }

  private push(timer: SteppedTimer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): SteppedTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && earlier(h[l]!, h[m]!)) m = l;
        if (r < h.length && earlier(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** The last {@link Recent.size} things added (a ring), so a loop's bookkeeping costs the same whatever its length. */
class Recent<T> {
  static readonly size = 1000;
  private ring: T[] = [];
  private next = 0;

  add(item: T): void {
    if (this.ring.length < Recent.size) this.ring.push(item);
    else this.ring[this.next] = item;
    this.next = (this.next + 1) % Recent.size;
  }

  get items(): readonly T[] {
    return this.ring;
  }
}

function earlier(a: SteppedTimer, b: SteppedTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
