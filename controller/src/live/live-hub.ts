/**
 * The open live-update streams of this replica: one bus subscription for all
 * of them, a heartbeat per stream, limits per person and per address, and a
 * clean end when the client goes away or the app closes.
 */
import type { ServerResponse } from 'node:http';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { Bus, Unsubscribe } from '../bus/bus';
import { LIVE_CHANNEL, parseHint } from './hints';

/** A comment line every this often keeps proxies from closing an idle stream and lets a browser notice a dead one. */
export const HEARTBEAT_MS = 25_000;

export interface LiveLimits {
  /** Streams one person (all their sessions and tokens) may hold: a few tabs. */
  perPerson: number;
  /** Streams one client address may hold (people behind one NAT share it). */
  perAddress: number;
  /** Streams this replica holds in all. */
  total: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = { perPerson: 8, perAddress: 32, total: 1_000 };

interface Stream {
  res: ServerResponse;
  person: string;
  address: string;
  heartbeat: NodeJS.Timeout;
}

/** Why a stream was not opened. */
export type Refusal = 'person' | 'address' | 'total' | 'closed';

export class LiveHub {
  private readonly streams = new Set<Stream>();
  private subscription: Promise<Unsubscribe> | undefined;
  private closed = false;

  constructor(
    private readonly bus: Bus,
    private readonly limits: LiveLimits = DEFAULT_LIVE_LIMITS,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {}

  /** Open streams (tests, metrics). */
  get size(): number {
    return this.streams.size;
  }

  /** Whether one more stream for this person and address fits; undefined: it does. */
  refusal(person: string, address: string): Refusal | undefined {
    if (this.closed) return 'closed';
    if (this.streams.size >= this.limits.total) return 'total';
    let byPerson = 0;
    let byAddress = 0;
    for (const s of this.streams) {
      if (s.person === person) byPerson += 1;
      if (s.address === address) byAddress += 1;
    }
    if (byPerson >= this.limits.perPerson) return 'person';
    if (byAddress >= this.limits.perAddress) return 'address';
    return undefined;
  }

  /** Resolves once this replica listens for hints (call before `open`, so a client that sees 200 hears every later change); rejects if the bus cannot. */
  async ready(): Promise<void> {
    if (this.closed) throw new PfError(Errors.SHUTTING_DOWN);
    await this.subscribe();
  }

  /** Starts an event stream on `res` (checked with `refusal`, after `ready`). */
  open(res: ServerResponse, person: string, address: string): void {
    if (this.closed || res.destroyed) {
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    // retry: how long a browser waits before reconnecting by itself.
    res.write('retry: 5000\n: connected\n\n');
    const stream: Stream = { res, person, address, heartbeat: setInterval(() => res.write(': heartbeat\n\n'), this.heartbeatMs) };
    stream.heartbeat.unref();
    this.streams.add(stream);
    res.once('close', () => this.drop(stream));
  }

  /** Ends every stream and leaves the bus (app close). */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of [...this.streams]) {
      this.drop(s);
      s.res.end();
    }
    const sub = this.subscription;
    this.subscription = undefined;
    // A subscription that never stood has nothing to undo.
    const unsubscribe = await sub?.catch(() => undefined);
    await unsubscribe?.();
  }

  private subscribe(): Promise<Unsubscribe> {
    if (!this.subscription) {
      const sub = this.bus.subscribe(LIVE_CHANNEL, (payload) => this.fanOut(payload));
      this.subscription = sub;
      // A failed LISTEN is retried by the next stream rather than remembered.
      sub.catch(() => {
        if (this.subscription === sub) this.subscription = undefined;
      });
    }
    return this.subscription;
  }

  private fanOut(payload: string): void {
    const hint = parseHint(payload);
    if (!hint) return;
    const frame = `event: ${hint.kind}\ndata: ${JSON.stringify({ id: hint.id })}\n\n`;
    for (const s of this.streams) s.res.write(frame);
  }

  private drop(stream: Stream): void {
    clearInterval(stream.heartbeat);
    this.streams.delete(stream);
  }
}
