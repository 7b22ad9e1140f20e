/**
 * The webhook delivery worker: every `pollMs` it claims due deliveries
 * (delivery-store.ts; safe on every replica at once), POSTs each signed
 * event body, and logs the attempt: delivered on 2xx, otherwise retried
 * with exponential backoff and jitter (backoff.ts) up to `maxAttempts`.
 * Everything it knows is in the database, so a restart loses nothing: a
 * delivery claimed by a process that died is due again when its lease ends.
 *
 * Once an hour it also deletes events older than WEBHOOK_RETENTION_DAYS
 * whose deliveries all finished, with their log.
 *
 * Logs name webhookId, deliveryId and eventId, never the URL (receivers put
 * credentials in it) nor the secret.
 */
import type { Clock, TimerHandle } from '@patchfleet/shared';
import type { Db } from '../db/index';
import type { Logger } from '../logger';
import { DEFAULT_RETRY, retryDelayMs, type RetryPolicy } from './backoff';
import { claimDueDeliveries, recordAttempt, type DueDelivery } from './delivery-store';
import { pruneWebhookEvents, WEBHOOK_RETENTION_DAYS } from './outbox';
import { postJson } from './post';
import { DELIVERY_ID_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature';

export interface WorkerOptions extends RetryPolicy {
  /** Between rounds that found less than a full batch. */
  pollMs: number;
  /** One POST, connect to answer. */
  timeoutMs: number;
  /** Deliveries sent at once per round. */
  batch: number;
  /** Extra trusted CA certificates (PEM) for https receivers. */
  ca?: string | undefined;
  /** [0, 1): the jitter's dice (tests fix it). */
  random: () => number;
}

export const DEFAULT_WORKER: WorkerOptions = { ...DEFAULT_RETRY, pollMs: 2000, timeoutMs: 10_000, batch: 20, random: Math.random };

const MAX_ERROR_CHARS = 500;
const PRUNE_EVERY_MS = 3_600_000;

export class WebhookWorker {
  private readonly opts: WorkerOptions;
  private timer: TimerHandle | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = true;
  private prunedAt = Number.NEGATIVE_INFINITY;

  /** `clock`: wall time (the controller's network clock: webhooks go to real receivers). */
  constructor(
    private readonly deps: { db: Db; clock: Clock; log: Logger },
    opts: Partial<WorkerOptions> = {},
  ) {
    this.opts = { ...DEFAULT_WORKER, ...opts };
  }

  /** Starts the rounds (the first at once). */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops scheduling and waits for a round under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.after(ms, () => {
      this.running = this.deliverDue()
        .then(async (n) => {
          await this.pruneIfDue();
          this.schedule(n >= this.opts.batch ? 0 : this.opts.pollMs);
        })
        .catch((err: unknown) => {
          this.deps.log.warn({ err }, 'webhook delivery round failed; retried next round');
          this.schedule(this.opts.pollMs);
        });
    });
  }

  private async pruneIfDue(): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    const gone = await pruneWebhookEvents(this.deps.db, new Date(now - WEBHOOK_RETENTION_DAYS * 86_400_000));
    if (gone > 0) this.deps.log.info({ events: gone, retentionDays: WEBHOOK_RETENTION_DAYS }, 'old webhook events and their delivery log deleted');
  }

  /** One round: claims the due deliveries and sends them; returns how many it tried. */
  async deliverDue(): Promise<number> {
    const { timeoutMs, batch } = this.opts;
    // Lease: longer than a POST can take, so a live replica's delivery is never taken by another.
    const due = await claimDueDeliveries(this.deps.db, new Date(this.deps.clock.now()), 2 * timeoutMs + 30_000, batch);
    await Promise.all(due.map((d) => this.attempt(d)));
    return due.length;
  }

  private async attempt(d: DueDelivery): Promise<void> {
    const { clock, log, db } = this.deps;
    const attempt = d.attempts + 1;
    const body = JSON.stringify(d.payload);
    const started = clock.now();
    const headers = {
      [SIGNATURE_HEADER]: signatureHeader(d.secret, Math.floor(started / 1000), body),
      [EVENT_ID_HEADER]: d.eventId,
      [EVENT_TYPE_HEADER]: d.eventType,
      [DELIVERY_ID_HEADER]: d.id,
      'user-agent': 'Patchfleet-Webhooks/1',
    };
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      statusCode = await postJson(d.url, body, headers, { timeoutMs: this.opts.timeoutMs, ca: this.opts.ca });
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (err) {
      error = (err as Error).message.slice(0, MAX_ERROR_CHARS);
    }
    const at = clock.now();
    const retryAt = error !== null && attempt < this.opts.maxAttempts ? new Date(at + retryDelayMs(this.opts, attempt, this.opts.random())) : null;
    const state = await recordAttempt(db, d.id, attempt, { at: new Date(at), statusCode, error, durationMs: at - started }, retryAt);
    const fields = { webhookId: d.webhookId, deliveryId: d.id, eventId: d.eventId, eventType: d.eventType, attempt, statusCode, durationMs: at - started };
    if (state === 'delivered') log.info(fields, 'webhook delivered');
    else if (state === 'pending') log.warn({ ...fields, error, retryAt: retryAt?.toISOString() }, 'webhook delivery failed; will retry');
    else if (state === 'failed') log.error({ ...fields, error }, 'webhook delivery failed for good');
  }
}
