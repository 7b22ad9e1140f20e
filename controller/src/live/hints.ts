/**
 * Live-update hints for the dashboard (GET /api/v1/events): "rollout r_1
 * changed", never the data itself. They travel on the cross-replica bus, so
 * a browser connected to any replica hears of a change made on any other;
 * the browser then refetches what it shows. Best effort: a lost hint only
 * leaves a page stale until its next fetch.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bus } from '../bus/bus';

/** The bus channel hints travel on. */
export const LIVE_CHANNEL = 'pf_live';

/** What changed: the SSE event name the dashboard listens for. */
export const HINT_KINDS = ['rollout', 'host', 'block'] as const;
export type HintKind = (typeof HINT_KINDS)[number];

/** One hint: a kind and the id of the changed thing. Wire type (bus payload and SSE data). */
export interface LiveHint {
  kind: HintKind;
  id: string;
}

const ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Announces a committed change; never throws (a lost hint only delays a refresh). */
export async function announceHint(bus: Bus, log: FastifyBaseLogger, hint: LiveHint): Promise<void> {
  await bus.publish(LIVE_CHANNEL, JSON.stringify(hint)).catch((err: unknown) => log.warn({ err, hint }, 'live hint not announced'));
}

/** Reads a bus payload; undefined for anything not a well-formed hint (another version's, or garbage). */
export function parseHint(payload: string): LiveHint | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined; // not ours: ignored like any unknown payload
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, id } = value as Record<string, unknown>;
  if (typeof kind !== 'string' || !(HINT_KINDS as readonly string[]).includes(kind)) return undefined;
  if (typeof id !== 'string' || !ID_RE.test(id)) return undefined;
  return { kind: kind as HintKind, id };
}
