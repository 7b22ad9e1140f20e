/**
 * The durable health outbox: `<state>/health-outbox/`, apart from the
 * inventory outbox, with its own epoch and sequence numbers. A sample gets
 * the next number and is on disk (fsync + rename) before anything tries to
 * send it; it leaves only when the controller acknowledges it (healthAck
 * epoch, seq) or when the outbox is over its bound (oldest first, logged).
 *
 * One file per sample (`<seq 12 digits>.json`). The counter (`seq`) is
 * written before the sample, so a crash between the two leaves a gap, never
 * a number used twice; at start the counter is also raised to the highest
 * file on disk.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFrame, encodeFrame, HEALTH_INTERVAL, makeFrame, writeFileAtomic, type HealthSample, type Message } from '@patchfleet/shared';
import { Errors, PfError } from '@patchfleet/shared/errors';

const FILE_RE = /^(\d{12})\.json$/;

/** Whether a stored sample is one the wire accepts (checked by the protocol's own validator). */
function isWireSample(sample: unknown): sample is HealthSample {
  try {
    decodeFrame(encodeFrame(makeFrame('health', { epoch: 'check', samples: [sample as HealthSample] }, 0) as Message));
    return true;
  } catch {
    return false;
  }
}

/** Samples are kept for at most this long while the controller is out of reach. */
export const HEALTH_OUTBOX_KEEP_SEC = 14 * 86_400;
/** And never more than this many files (14 days at one a minute), whatever the interval. */
export const HEALTH_OUTBOX_MAX_SAMPLES = 20_160;

/** How many samples the outbox keeps at a given interval: 14 days' worth, within [100, 20,160]. */
export function healthOutboxBound(intervalSec: number): number {
  const sec = Math.min(Math.max(intervalSec, HEALTH_INTERVAL.minSec), HEALTH_INTERVAL.maxSec);
  return Math.min(HEALTH_OUTBOX_MAX_SAMPLES, Math.max(100, Math.ceil(HEALTH_OUTBOX_KEEP_SEC / sec)));
}

export interface HealthOutboxOptions {
  /** Called when samples are dropped (over the bound, or a damaged file). */
  warn?: (fields: Record<string, unknown>, message: string) => void;
}

export class HealthOutbox {
  private readonly dir: string;
  private readonly seqPath: string;
  private readonly epochPath: string;
  /** Queued sequence numbers, oldest first (the directory is read once). */
  private queued: number[];
  private maxSamples = healthOutboxBound(HEALTH_INTERVAL.defaultSec);
  private readonly warn: NonNullable<HealthOutboxOptions['warn']>;

  constructor(stateDir: string, opts: HealthOutboxOptions = {}) {
    this.dir = join(stateDir, 'health-outbox');
    this.seqPath = join(this.dir, 'seq');
    this.epochPath = join(this.dir, 'epoch');
    this.warn = opts.warn ?? (() => undefined);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new PfError(Errors.STATE_DIR, `cannot create health outbox ${this.dir}: ${(err as Error).message}`);
    }
    this.queued = readdirSync(this.dir)
      .map((name) => FILE_RE.exec(name)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** The random id of this outbox's numbering (made on first use; a numbering that starts from 1 gets a new one). */
  epoch(): string {
    if (existsSync(this.epochPath)) {
      const text = readFileSync(this.epochPath, 'utf8').trim();
      if (/^[A-Za-z0-9_-]{8,64}$/.test(text)) return text;
    }
    const epoch = randomBytes(12).toString('base64url');
    writeFileAtomic(this.epochPath, `${epoch}\n`, 0o600);
    return epoch;
  }

  /** Highest sequence number ever assigned (0: none). */
  lastSeq(): number {
    let n = 0;
    if (existsSync(this.seqPath)) {
      n = Number(readFileSync(this.seqPath, 'utf8').trim());
      if (!Number.isSafeInteger(n) || n < 0) throw new PfError(Errors.STATE_DIR, `${this.seqPath} is damaged`);
    }
    // A counter file older than the samples (restored from a backup) must not hand out their numbers again.
    return Math.max(n, this.queued.at(-1) ?? 0);
  }

  /** Sets how many samples to keep (see healthOutboxBound); drops the oldest when over. */
  setBound(maxSamples: number): void {
    this.maxSamples = Math.max(1, maxSamples);
    this.trim();
  }

  /** Queues a sample durably and returns it with its sequence number. */
  enqueue(sample: Omit<HealthSample, 'seq'>): HealthSample {
    const seq = this.lastSeq() + 1;
    if (seq === 1) rmSync(this.epochPath, { force: true });
    const entry: HealthSample = { seq, ...sample };
    writeFileAtomic(this.seqPath, `${seq}\n`, 0o600);
    writeFileAtomic(this.pathOf(seq), JSON.stringify(entry), 0o600);
    this.queued.push(seq);
    this.trim();
    return entry;
  }

  /** Number of samples queued. */
  size(): number {
    return this.queued.length;
  }

  /** Sequence numbers queued, oldest first. */
  queuedSeqs(): number[] {
    return [...this.queued];
  }

  /**
   * The oldest queued samples, at most `max`, stopping before their JSON
   * would pass `maxBytes` (the first is always returned). A damaged file is
   * dropped and logged.
   */
  oldest(max: number, maxBytes = Number.POSITIVE_INFINITY): HealthSample[] {
    const out: HealthSample[] = [];
    let bytes = 0;
    for (const seq of [...this.queued]) {
      if (out.length >= max) break;
      const sample = this.read(seq);
      if (!sample) continue;
      const size = Buffer.byteLength(JSON.stringify(sample)) + 1;
      if (out.length > 0 && bytes + size > maxBytes) break;
      out.push(sample);
      bytes += size;
    }
    return out;
  }

  /** periodEnd of the newest queued sample (undefined: none queued or unreadable). */
  newestPeriodEnd(): number | undefined {
    const seq = this.queued.at(-1);
    return seq === undefined ? undefined : this.read(seq)?.periodEnd;
  }

  /** The controller holds every sample of `epoch` up to `seq`: drop them. Another epoch's ack is ignored. */
  ack(epoch: string, seq: number): number {
    if (epoch !== this.epoch()) return 0;
    const drop = this.queued.filter((s) => s <= seq);
    for (const s of drop) rmSync(this.pathOf(s), { force: true });
    this.queued = this.queued.filter((s) => s > seq);
    return drop.length;
  }

  private read(seq: number): HealthSample | undefined {
    const path = this.pathOf(seq);
    try {
      const sample = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (!isWireSample(sample) || sample.seq !== seq) throw new Error('not a health sample');
      return sample;
    } catch (err) {
      // Written atomically, so only a damaged disk (or a hand edit) gets here: drop it, keep the rest.
      this.warn({ seq, err: (err as Error).message }, 'damaged health sample dropped');
      rmSync(path, { force: true });
      this.queued = this.queued.filter((s) => s !== seq);
      return undefined;
    }
  }

  private trim(): void {
    const over = this.queued.length - this.maxSamples;
    if (over <= 0) return;
    const drop = this.queued.slice(0, over);
    for (const s of drop) rmSync(this.pathOf(s), { force: true });
    this.queued = this.queued.slice(over);
    this.warn({ dropped: drop.length, fromSeq: drop[0], toSeq: drop.at(-1), maxSamples: this.maxSamples }, 'health outbox full: oldest samples dropped');
  }

  private pathOf(seq: number): string {
    return join(this.dir, `${String(seq).padStart(12, '0')}.json`);
  }
}
