/**
 * Refused attempts (bad enrollment tokens, bad API tokens, rate-limited
 * requests, refused connections) are security events, but an unauthenticated
 * caller must not be able to grow the database by making them. So they are
 * counted in memory and written as ONE audit row per source address, action
 * and window (a minute by default) when the window closes, and whatever is
 * still counted when the controller shuts down. The audit log stays
 * append-only: rows are only ever inserted, never updated.
 */
import type { Clock, TimerHandle } from '@patchfleet/shared';
import type { Db } from '../db/index';
import type { Logger } from '../logger';
import { auditMany, type AuditEntry } from './audit';

/** Actions of the aggregated rows. */
export type RefusalAction = 'agent.enroll.refused' | 'api.request.refused' | 'connection.refused';

/** What one refused attempt contributes to its address's row. */
export interface Refusal {
  /** A catalogue code (PF_ERR_...) or, for connections, the reason (per-address-limit, idle-timeout, ...). */
  code: string;
  hostname?: unknown;
  tokenId?: unknown;
  requestId?: string | undefined;
  route?: string | undefined;
}

export interface RefusalAuditOptions {
  /** Length of one aggregation window (60,000 ms: one row per address and minute). */
  windowMs?: number;
  /** Addresses kept per window; attempts from further addresses are counted under `*` (memory stays bounded). */
  maxAddresses?: number;
}

/** Distinct examples kept per row (hostnames, token ids, request ids). */
const SAMPLES = 10;
const TEXT_MAX = 255;
/** C0 controls and DEL (built from code points: the lint rule forbids them written in a regex literal). */
const CONTROL_CHARS = new RegExp(`[${String.fromCharCode(0)}-${String.fromCharCode(0x1f)}${String.fromCharCode(0x7f)}]`, 'g');

interface Bucket {
  action: RefusalAction;
  address: string;
  windowStart: number;
  count: number;
  firstAt: number;
  lastAt: number;
  codes: Record<string, number>;
  hostnames: Set<string>;
  tokenIds: Set<string>;
  requestIds: Set<string>;
  routes: Set<string>;
}

/**
 * Text an attacker chose, made safe to store as JSON in PostgreSQL: control
 * characters (NUL above all, which jsonb refuses) are written as `\xNN`, lone
 * surrogates become U+FFFD, and the length is capped.
 */
export function storableText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value
    .slice(0, TEXT_MAX)
    .replace(CONTROL_CHARS, (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .slice(0, TEXT_MAX)
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

export class RefusalAudit {
  private readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly buckets = new Map<string, Bucket>();
  private timer: TimerHandle | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    opts: RefusalAuditOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxAddresses = opts.maxAddresses ?? 10_000;
  }

  /** Counts one refused attempt from `address`; written when its window closes. */
  record(address: string, action: RefusalAction, refusal: Refusal): void {
    if (this.closed) return;
    const now = this.clock.now();
    const windowStart = now - (now % this.windowMs);
    let key = `${windowStart}|${action}|${address}`;
    let bucket = this.buckets.get(key);
    if (!bucket && this.buckets.size >= this.maxAddresses) {
      address = '*';
      key = `${windowStart}|${action}|*`;
      bucket = this.buckets.get(key);
    }
    if (!bucket) {
      bucket = { action, address, windowStart, count: 0, firstAt: now, lastAt: now, codes: {}, hostnames: new Set(), tokenIds: new Set(), requestIds: new Set(), routes: new Set() };
      this.buckets.set(key, bucket);
    }
    bucket.count += 1;
    bucket.lastAt = now;
    const code = storableText(refusal.code) ?? 'unknown';
    bucket.codes[code] = (bucket.codes[code] ?? 0) + 1;
    addSample(bucket.hostnames, storableText(refusal.hostname));
    addSample(bucket.tokenIds, typeof refusal.tokenId === 'string' || typeof refusal.tokenId === 'number' ? storableText(String(refusal.tokenId)) : undefined);
    addSample(bucket.requestIds, storableText(refusal.requestId));
    addSample(bucket.routes, storableText(refusal.route));
    this.schedule(windowStart + this.windowMs - now);
  }

  /** Writes the rows of every window that has closed (all of them with `all`); resolves when they are stored. */
  flush(opts: { all?: boolean } = {}): Promise<void> {
    const now = this.clock.now();
    const due: Bucket[] = [];
    for (const [key, b] of this.buckets) {
      if (opts.all || b.windowStart + this.windowMs <= now) {
        due.push(b);
        this.buckets.delete(key);
      }
    }
    if (due.length > 0) {
      this.writing = this.writing.then(async () => {
        try {
          await insertByWindow(this.db, due, this.windowMs);
        } catch (err) {
          // Losing these counts must not take the controller down; say how many were lost.
          this.log.error({ err, rows: due.length, attempts: due.reduce((n, b) => n + b.count, 0) }, 'refused attempts could not be audited');
        }
      });
    }
    if (this.buckets.size > 0 && !opts.all) {
      const next = Math.min(...[...this.buckets.values()].map((b) => b.windowStart + this.windowMs));
      this.schedule(next - now);
    }
    return this.writing;
  }

  /** Writes everything still counted and stops counting (controller shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.flush({ all: true });
  }

  private schedule(inMs: number): void {
    if (this.timer) return;
    this.timer = this.clock.after(Math.max(0, inMs) + 5, () => {
      this.timer = undefined;
      return this.flush();
    });
  }
}

function addSample(set: Set<string>, value: string | undefined): void {
  if (value !== undefined && value !== '' && set.size < SAMPLES) set.add(value);
}

function toEntry(b: Bucket, windowMs: number): AuditEntry {
  return {
    actor: 'anonymous',
    action: b.action,
    targetType: 'address',
    targetId: b.address,
    details: {
      count: b.count,
      window: { start: new Date(b.windowStart).toISOString(), end: new Date(b.windowStart + windowMs).toISOString() },
      firstAt: new Date(b.firstAt).toISOString(),
      lastAt: new Date(b.lastAt).toISOString(),
      codes: b.codes,
      ...(b.hostnames.size > 0 ? { hostnames: [...b.hostnames] } : {}),
      ...(b.tokenIds.size > 0 ? { tokenIds: [...b.tokenIds] } : {}),
      ...(b.routes.size > 0 ? { routes: [...b.routes] } : {}),
      ...(b.requestIds.size > 0 ? { requestIds: [...b.requestIds] } : {}),
    },
    requestId: [...b.requestIds][0],
  };
}

/** One statement per window; a row's `at` is the start of its window (firstAt and lastAt are in the details). */
async function insertByWindow(db: Db, buckets: Bucket[], windowMs: number): Promise<void> {
  const byWindow = new Map<number, AuditEntry[]>();
  for (const b of buckets) {
    const list = byWindow.get(b.windowStart) ?? [];
    list.push(toEntry(b, windowMs));
    byWindow.set(b.windowStart, list);
  }
  for (const [start, list] of byWindow) await auditMany(db, new Date(start), list);
}
