/**
 * Health delivery: the link's health port. On a session where both sides
 * listed `health/1` it sends queued samples in `health` frames (one epoch,
 * oldest first, at most MAX_HEALTH_SAMPLES_PER_FRAME and under the
 * controller's frame limit), one frame in flight at a time; a `healthAck`
 * drops what the controller holds and sends the next. Whatever is not
 * acknowledged when the session ends is sent again in the next one.
 * `healthConfig` frames go to the sampler (validated and stored there).
 */
import { MAX_HEALTH_SAMPLES_PER_FRAME, type Clock, type ErrorFrame, type HealthAckFrame, type HealthConfigFrame, type HealthSample } from '@patchfleet/shared';
import type { HealthPort, HealthSession } from '../link/ports';
import type { SignedHealthConfig } from './health-config';
import type { HealthOutbox } from './health-outbox';

/**
 * A frame unanswered this long is sent again at the next flush (the next
 * sample): a controller that lost it must not stall delivery for the rest of
 * the session. It de-duplicates, so a late answer does no harm.
 */
export const HEALTH_ACK_TIMEOUT_MS = 120_000;

/** Room left in a frame for the envelope and the epoch. */
const FRAME_OVERHEAD_BYTES = 512;

export interface DeliveryLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface HealthDeliveryOptions {
  outbox: HealthOutbox;
  clock: Clock;
  log: DeliveryLog;
  /** A config from the controller (throws when it does not validate). */
  applyConfig: (config: SignedHealthConfig) => void;
}

interface InFlight {
  frameId: string;
  epoch: string;
  lastSeq: number;
  sentAt: number;
}

export class HealthDelivery implements HealthPort {
  private session: HealthSession | undefined;
  private inFlight: InFlight | undefined;

  constructor(private readonly opts: HealthDeliveryOptions) {}

  sessionStarted(session: HealthSession): void {
    this.session = session;
    this.inFlight = undefined;
    this.flush();
  }

  sessionEnded(): void {
    this.session = undefined;
    this.inFlight = undefined;
  }

  /** Sends the oldest queued samples if a session is up and nothing is in flight (call after queuing a sample). */
  flush(): void {
    const session = this.session;
    if (this.inFlight && this.opts.clock.now() - this.inFlight.sentAt >= HEALTH_ACK_TIMEOUT_MS) {
      this.opts.log.warn({ upToSeq: this.inFlight.lastSeq }, 'no healthAck in time; sending the samples again');
      this.inFlight = undefined;
    }
    if (!session || this.inFlight) return;
    const budget = Math.max(256, session.maxFrameBytes - FRAME_OVERHEAD_BYTES);
    const samples = this.opts.outbox.oldest(MAX_HEALTH_SAMPLES_PER_FRAME, budget).map((s) => fitSample(s, budget));
    const last = samples.at(-1);
    if (!last) return;
    const epoch = this.opts.outbox.epoch();
    const frameId = session.send({ epoch, samples });
    if (frameId === undefined) return;
    this.inFlight = { frameId, epoch, lastSeq: last.seq, sentAt: this.opts.clock.now() };
  }

  healthAck(frame: HealthAckFrame): void {
    const dropped = this.opts.outbox.ack(frame.epoch, frame.seq);
    if (frame.epoch !== this.opts.outbox.epoch()) this.opts.log.warn({ epoch: frame.epoch, seq: frame.seq }, 'healthAck for another health outbox epoch ignored');
    // The answer to our frame (even a partial one: the rest goes again) frees the way for the next.
    if (this.inFlight && (frame.replyTo === this.inFlight.frameId || (frame.epoch === this.inFlight.epoch && frame.seq >= this.inFlight.lastSeq))) this.inFlight = undefined;
    if (dropped > 0) this.opts.log.info({ epoch: frame.epoch, seq: frame.seq, dropped }, 'health samples acknowledged');
    this.flush();
  }

  healthConfig(frame: HealthConfigFrame): void {
    try {
      this.opts.applyConfig({ intervalSec: frame.intervalSec, probes: frame.probes, issuedAt: frame.issuedAt, signature: frame.signature });
    } catch (err) {
      this.opts.log.error({ err: (err as Error).message }, 'health config refused; keeping the previous one');
    }
  }

  refused(frame: ErrorFrame): boolean {
    const inFlight = this.inFlight;
    if (!inFlight || frame.replyTo !== inFlight.frameId) return false;
    this.inFlight = undefined;
    if (frame.retryable) {
      // Sent again with the next sample or the next session, not at once: the controller asked for a pause.
      this.opts.log.warn({ code: frame.code, msg: frame.message }, 'controller could not take health samples now; they stay queued');
      return true;
    }
    // Never storable: resending would loop. Drop that frame's samples, keep the rest flowing.
    const dropped = this.opts.outbox.ack(inFlight.epoch, inFlight.lastSeq);
    this.opts.log.error({ code: frame.code, msg: frame.message, upToSeq: inFlight.lastSeq, dropped }, 'controller refused health samples for good; dropped from the health outbox');
    this.flush();
    return true;
  }
}

/** A sample whose events alone pass the frame budget is sent with fewer events (its counters intact). */
function fitSample(sample: HealthSample, budget: number): HealthSample {
  let s = sample;
  while (s.events.length > 0 && Buffer.byteLength(JSON.stringify(s)) > budget) s = { ...s, events: s.events.slice(0, Math.floor(s.events.length / 2)) };
  return s;
}
