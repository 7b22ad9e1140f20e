/**
 * Live updates: one EventSource to /api/v1/events while someone is signed in.
 * The controller sends hints ("rollout ro_1 changed"), never data; each hint
 * marks the cached queries showing that thing stale, and TanStack Query
 * refetches the ones on screen. A stream the controller refused or lost is
 * reopened with a growing delay; after a gap every query is refetched, since
 * hints sent meanwhile were missed. Rollouts are announced on API changes and
 * after each planner round that moved them (which is also when agents'
 * results reach a rollout); pages keep a slow poll as a fallback for changes
 * the controller does not announce (host health, a gate's host rollbacks)
 * and for lost hints.
 */
import type { QueryClient, QueryKey } from '@tanstack/react-query';

/** The hint kinds the controller sends (controller/src/live/hints.ts). */
export type HintKind = 'rollout' | 'host' | 'block';

/** The query keys a hint about `id` makes stale (keys as the pages use them; a prefix matches longer keys). */
export function staleKeys(kind: HintKind, id: string): QueryKey[] {
  switch (kind) {
    case 'rollout':
      return [['rollouts'], ['rollout', id], ['rollout-hosts', id]];
    case 'host':
      return [['host', id], ['host-overview', id], ['host-patches', id], ['host-health', id], ['hosts']];
    case 'block':
      // A block changes what patch, host and rollout pages show (a patch's gates, decision and score too); which ones, the hint does not say.
      return [['patch'], ['patches'], ['blocks'], ['incidents'], ['reliability'], ['host-overview'], ['host-patches'], ['rollout']];
  }
}

/** Delay before reopening after `failures` failed attempts in a row: 1 s doubling to 60 s, with jitter so tabs spread out. */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(60_000, 1_000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.5 + random() / 2));
}

/** What of EventSource this module uses (a test hands in a fake). */
export interface LiveSource {
  readonly readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  addEventListener(type: string, listener: (ev: MessageEvent<string>) => void): void;
  close(): void;
}

export interface LiveOptions {
  url?: string;
  open?: (url: string) => LiveSource;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

const CLOSED = 2;
const KINDS: readonly HintKind[] = ['rollout', 'host', 'block'];

/** Opens the stream and keeps it open; the returned function closes it for good (sign-out). */
export function startLiveUpdates(queries: QueryClient, opts: LiveOptions = {}): () => void {
  const url = opts.url ?? '/api/v1/events';
  const open = opts.open ?? ((u: string) => new EventSource(u));
  const setTimer = opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((t: unknown) => clearTimeout(t as ReturnType<typeof setTimeout>));
  let source: LiveSource | undefined;
  let timer: unknown;
  let failures = 0;
  let opened = false;
  let stopped = false;

  const connect = (): void => {
    const s = open(url);
    source = s;
    s.onopen = () => {
      failures = 0;
      // A reopened stream: whatever changed during the gap went unannounced.
      if (opened) void queries.invalidateQueries();
      opened = true;
    };
    s.onerror = () => {
      // EventSource retries a dropped connection itself; a refused one (401, 429, 503) it closes for good, so we reopen it.
      if (s.readyState !== CLOSED || stopped) return;
      failures += 1;
      timer = setTimer(connect, backoffMs(failures));
    };
    for (const kind of KINDS) {
      s.addEventListener(kind, (ev) => {
        const id = idOf(ev.data);
        if (id !== undefined) for (const queryKey of staleKeys(kind, id)) void queries.invalidateQueries({ queryKey });
      });
    }
  };

  connect();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimer(timer);
    source?.close();
  };
}

function idOf(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as { id?: unknown };
    return typeof parsed.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined; // a malformed hint is ignored; the slow poll still catches the change
  }
}
