/**
 * Group commit for per-agent database work: the requests that arrive within
 * a short window (`windowMs` after the first, or the rest of the event-loop
 * turn when 0), and those that arrive while a batch is in the database, go
 * in one statement instead of one each. Under load batches grow by
 * themselves, because newcomers queue behind the batch in flight.
 * Handshakes use it: on PGlite a statement costs 0.5-2 ms of CPU whatever
 * it carries, and agents arrive a few milliseconds apart even in a
 * reconnect storm, so a window of some milliseconds (added to each
 * handshake's latency, never more) is what makes batches.
 */
import { trackWork, type Clock } from '@patchfleet/shared';

export interface MicroBatchOptions<I, O> {
  /** Does the work of a whole batch; returns one result per item, in order. */
  run(items: readonly I[]): Promise<readonly O[]>;
  /**
   * When the batch's statement fails: each item alone, so that one bad item
   * (a row the database refuses) fails its own request and not its
   * neighbours'. Without it, the batch's error reaches every request of the batch.
   */
  one?: (item: I) => Promise<O>;
  /** At most this many items per statement (default 1000). */
  maxBatch?: number;
  /** A stepped (simulated) clock waits for the batches in flight. */
  clock: Clock;
  /** How long the first request of a batch waits for others (default 0: the rest of this event-loop turn). */
  windowMs?: number;
  /** Real time for the window (the gateway's netClock); default `clock`. */
  timer?: Clock;
  /** Names the work for the simulator's diagnostics. */
  label: string;
}

interface Waiter<I, O> {
  item: I;
  resolve(out: O): void;
  reject(err: unknown): void;
}

export class MicroBatch<I, O> {
  private queue: Waiter<I, O>[] = [];
  private draining = false;
  /** Statements run and items they carried, for tests and diagnostics. */
  readonly stats = { batches: 0, items: 0, largest: 0, fallbacks: 0 };

  constructor(private readonly opts: MicroBatchOptions<I, O>) {}

  /** Queues `item`; resolves with its result once its batch has run (rejects with the batch's error, or with its own). */
  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      const start = (): void => void trackWork(this.opts.clock, this.drain(), this.opts.label);
      const windowMs = this.opts.windowMs ?? 0;
      // Either way the other requests of this turn of the event loop join the batch.
      if (windowMs > 0) (this.opts.timer ?? this.opts.clock).after(windowMs, start);
      else setImmediate(start);
    });
  }

  private async drain(): Promise<void> {
    const max = this.opts.maxBatch ?? 1000;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, max);
        this.stats.batches += 1;
        this.stats.items += batch.length;
        this.stats.largest = Math.max(this.stats.largest, batch.length);
        let results: readonly O[] | undefined;
        let failure: unknown;
        try {
          const out = await this.opts.run(batch.map((w) => w.item));
          if (out.length !== batch.length) throw new Error(`${this.opts.label}: ${out.length} results for ${batch.length} items`);
          results = out;
        } catch (err) {
          failure = err;
        }
        if (results) {
          for (const [i, w] of batch.entries()) w.resolve(results[i] as O);
        } else if (this.opts.one && batch.length > 1) {
          this.stats.fallbacks += 1;
          const one = this.opts.one;
          await Promise.all(batch.map((w) => one(w.item).then(w.resolve, w.reject)));
        } else {
          for (const w of batch) w.reject(failure);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
