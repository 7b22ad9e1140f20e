/**
 * Cross-replica wake-ups. On PostgreSQL every replica LISTENs on a channel
 * and a NOTIFY from any of them reaches all (DESIGN.md, Scale); on PGlite
 * there is one process, so an in-process emitter does the same job.
 * Payloads are hints ("look at these hosts"), never the data itself: the
 * database stays the truth, so a lost notification delays, never loses.
 * NOTIFY is per database node: on a distributed PostgreSQL (Citus) every
 * replica must listen and publish on the same node (README, "Past one
 * database").
 */
import { EventEmitter } from 'node:events';
import type { Sql } from 'postgres';

export type Unsubscribe = () => Promise<void>;

export interface Bus {
  /** Delivers `payload` (at most 7,900 bytes) to every subscriber of `channel`, on every replica. */
  publish(channel: string, payload: string): Promise<void>;
  subscribe(channel: string, onMessage: (payload: string) => void): Promise<Unsubscribe>;
}

/** Largest NOTIFY payload PostgreSQL accepts is 8,000 bytes; keep a margin. */
export const MAX_PAYLOAD_BYTES = 7_900;

const CHANNEL_RE = /^[a-z_][a-z0-9_]{0,62}$/;

function checkChannel(channel: string): void {
  if (!CHANNEL_RE.test(channel)) throw new Error(`invalid bus channel name ${JSON.stringify(channel)}`);
}

/** One process only (PGlite, unit tests). */
export function localBus(): Bus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async publish(channel, payload) {
      checkChannel(channel);
      // Asynchronous like NOTIFY: subscribers never run inside the publisher's call.
      setImmediate(() => emitter.emit(channel, payload));
    },
    async subscribe(channel, onMessage) {
      checkChannel(channel);
      emitter.on(channel, onMessage);
      return async () => {
        emitter.off(channel, onMessage);
      };
    },
  };
}

/** LISTEN/NOTIFY through postgres.js (which keeps one dedicated listening connection and re-listens after a reconnect). */
export function postgresBus(client: Sql): Bus {
  return {
    async publish(channel, payload) {
      checkChannel(channel);
      await client.notify(channel, payload);
    },
    async subscribe(channel, onMessage) {
      checkChannel(channel);
      const sub = await client.listen(channel, onMessage);
      return () => sub.unlisten();
    },
  };
}

/** Splits ids into comma-joined payloads that each fit in one notification. */
export function idPayloads(ids: readonly string[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const id of ids) {
    if (size + id.length + 1 > MAX_PAYLOAD_BYTES && current.length > 0) {
      out.push(current.join(','));
      current = [];
      size = 0;
    }
    current.push(id);
    size += id.length + 1;
  }
  if (current.length > 0) out.push(current.join(','));
  return out;
}
