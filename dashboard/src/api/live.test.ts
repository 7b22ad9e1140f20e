import { describe, expect, it } from 'vitest';
import { QueryClient, type QueryKey } from '@tanstack/react-query';
import { backoffMs, startLiveUpdates, staleKeys, type LiveSource } from './live';

/** An EventSource stand-in the test drives. */
class FakeSource implements LiveSource {
  readyState = 0;
  onopen: ((ev: Event) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  closed = false;
  private readonly listeners = new Map<string, (ev: MessageEvent<string>) => void>();
  addEventListener(type: string, listener: (ev: MessageEvent<string>) => void): void {
    this.listeners.set(type, listener);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  refuse(): void {
    this.readyState = 2;
    this.onerror?.(new Event('error'));
  }
  send(type: string, data: string): void {
    this.listeners.get(type)?.({ data } as MessageEvent<string>);
  }
}

function setUp() {
  const queries = new QueryClient();
  const invalidated: (QueryKey | 'all')[] = [];
  queries.invalidateQueries = ((filters?: { queryKey?: QueryKey }) => {
    invalidated.push(filters?.queryKey ?? 'all');
    return Promise.resolve();
  }) as QueryClient['invalidateQueries'];
  const sources: FakeSource[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const stop = startLiveUpdates(queries, {
    open: () => {
      const s = new FakeSource();
      sources.push(s);
      return s;
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => void ((t as { cleared: boolean }).cleared = true),
  });
  return { invalidated, sources, timers, stop };
}

describe('live updates in the dashboard', () => {
  it("marks the hinted rollout's queries stale and ignores malformed hints", () => {
    const { invalidated, sources } = setUp();
    sources[0]?.open();
    sources[0]?.send('rollout', '{"id":"ro_1"}');
    expect(invalidated).toEqual(staleKeys('rollout', 'ro_1'));
    sources[0]?.send('host', 'not json');
    expect(invalidated).toHaveLength(3);
  });

  it('reopens a refused stream with backoff, refetches everything after the gap, and closes on sign-out', () => {
    const { invalidated, sources, timers, stop } = setUp();
    sources[0]?.open();
    sources[0]?.refuse();
    expect(timers).toHaveLength(1);
    timers[0]?.fn();
    expect(sources).toHaveLength(2);
    sources[1]?.open();
    expect(invalidated).toEqual(['all']);
    stop();
    expect(sources[1]?.closed).toBe(true);
    sources[1]?.refuse();
    expect(timers).toHaveLength(1); // no reopening after sign-out
  });

  it('cancels a pending reopen on sign-out', () => {
    const { sources, timers, stop } = setUp();
    sources[0]?.refuse();
    stop();
    expect(timers[0]?.cleared).toBe(true);
  });

  it('backs off from 1 s to at most 60 s', () => {
    expect(backoffMs(1, () => 1)).toBe(1_000);
    expect(backoffMs(3, () => 1)).toBe(4_000);
    expect(backoffMs(20, () => 1)).toBe(60_000);
    expect(backoffMs(20, () => 0)).toBe(30_000);
  });
});
