/**
 * Random streams of the fleet simulator. Every draw is a pure function of
 * (scenario seed, purpose, host index, k): host 7's crashes are the same
 * whether the fleet has 10 hosts or 10,000, whichever order the simulator
 * asks in, and however it cuts time into intervals. Events are fixed points
 * on the time axis (a Poisson process generated slot by slot); a query only
 * selects those inside its interval, so [0, 2) gives exactly what [0, 1) and
 * [1, 2) give together.
 */
import { deriveSeed } from '../bench/rng';

/** Length of the slots event streams are generated in, in hours. Internal: no caller sees slots. */
export const SLOT_HOURS = 1;

/**
 * mulberry32, the generator of ../bench/rng.ts (same seed, same numbers), as
 * a class: the simulator seeds one per host, stream and hour, millions of
 * times a run, and createRng's closures cost thirty times more to build.
 */
export class Draws {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** FNV-1a (32 bit) of a purpose name such as `crash/baseline`. */
export function purposeCode(purpose: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < purpose.length; i++) {
    h ^= purpose.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The key of one purpose's streams in a run: compute it once, then use it for every host. */
export function streamKey(seed: number, purpose: string): number {
  return deriveSeed(seed, purposeCode(purpose));
}

/** The draws number `k` (a slot, a day, an attempt) of a stream on host `hostIndex`. */
export function draws(key: number, hostIndex: number, k: number): Draws {
  return new Draws(deriveSeed(deriveSeed(key, hostIndex), k));
}

/** One point of a stream: its time in hours and a uniform mark in [0, 1) for thinning. */
export interface StreamPoint {
  at: number;
  mark: number;
}

/**
 * Points of a homogeneous Poisson process of `ratePerHour` in [t0, t1) (hours;
 * times before 0 hold nothing). The same (key, host, rate) always gives the
 * same points; `out` collects them (returned).
 */
export function poissonPoints(key: number, hostIndex: number, ratePerHour: number, t0: number, t1: number, out: StreamPoint[] = []): StreamPoint[] {
  const from = Math.max(0, t0);
  if (!(ratePerHour > 0) || t1 <= from) return out;
  const hostKey = deriveSeed(key, hostIndex);
  const last = Math.ceil(t1 / SLOT_HOURS);
  for (let slot = Math.floor(from / SLOT_HOURS); slot < last; slot++) {
    const rng = new Draws(deriveSeed(hostKey, slot));
    const end = (slot + 1) * SLOT_HOURS;
    // Exponential gaps: exact for any rate, no table, no underflow for large means.
    for (let t = slot * SLOT_HOURS - Math.log(1 - rng.next()) / ratePerHour; t < end; t -= Math.log(1 - rng.next()) / ratePerHour) {
      const mark = rng.next();
      if (t >= from && t < t1) out.push({ at: t, mark });
    }
  }
  return out;
}
