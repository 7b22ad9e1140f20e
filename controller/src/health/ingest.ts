/**
 * Health frames of many agents written together (group commit), as command
 * statuses are (commands/command-service.ts): frames that arrive while a
 * batch is being written form the next batch, so thousands of agents
 * reporting at the same moment (a fleet on one sample interval; a
 * simulator's hourly step) cost a few statements instead of one each. Each
 * session still waits for its own frame's write before it acknowledges it
 * and reads its next frame, so a `healthAck` still follows the commit.
 *
 * A batch that fails (a value the database refuses in one frame) is written
 * again frame by frame, so one agent's bad frame fails only its own session.
 */
import { trackWork, type HealthSample } from '@patchfleet/shared';
import type { ControllerContext } from '../context';
import { storeHealthFrames, storeHealthSamples } from './sample-store';

/** Most samples written in one statement (one JSON parameter holds them). */
export const HEALTH_BATCH_SAMPLES = 5000;

interface Queued {
  hostId: string;
  epoch: string;
  samples: readonly HealthSample[];
  receivedAt: Date;
  resolve(result: { inserted: number }): void;
  reject(err: unknown): void;
}

export class HealthIngest {
  private queue: Queued[] = [];
  private draining = false;

  constructor(private readonly ctx: Pick<ControllerContext, 'db' | 'clock' | 'log'>) {}

  /** Stores one frame's samples (checked by the caller); resolves once they are committed, with how many were new. */
  store(hostId: string, epoch: string, samples: readonly HealthSample[], receivedAt: Date): Promise<{ inserted: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ hostId, epoch, samples, receivedAt, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // setImmediate: let the other frames read in this turn of the event loop join the batch.
      setImmediate(() => void trackWork(this.ctx.clock, this.drain(), 'health samples'));
    });
  }

  private next(): Queued[] {
    let samples = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || samples + this.queue[n]!.samples.length <= HEALTH_BATCH_SAMPLES)) samples += this.queue[n++]!.samples.length;
    return this.queue.splice(0, n);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.next();
      let counts: number[] | undefined;
      try {
        counts = await storeHealthFrames(this.ctx.db, batch);
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
          continue;
        }
        this.ctx.log.warn({ err, frames: batch.length }, 'batched health sample write failed; writing the frames one by one');
      }
      for (const [i, q] of batch.entries()) {
        if (counts) {
          q.resolve({ inserted: counts[i] ?? 0 });
          continue;
        }
        try {
          q.resolve(await storeHealthSamples(this.ctx.db, q.hostId, q.epoch, q.samples, q.receivedAt));
        } catch (err) {
          q.reject(err);
        }
      }
    }
    this.draining = false;
  }
}
