import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '@patchfleet/shared';
import { MicroBatch } from './micro-batch';

const turn = () => new Promise((r) => setImmediate(r));

/** A batcher whose statement the test answers: each run waits until the test releases it. */
function gated(opts: { windowMs?: number; timer?: ManualClock; maxBatch?: number; one?: (n: number) => Promise<string> } = {}) {
  const runs: number[][] = [];
  const releases: ((fail?: Error) => void)[] = [];
  const batch = new MicroBatch<number, string>({
    clock: systemClock,
    label: 'test',
    ...opts,
    run: (items) => {
      runs.push([...items]);
      return new Promise((resolve, reject) => releases.push((fail) => (fail ? reject(fail) : resolve(items.map((n) => `r${n}`)))));
    },
  });
  return { batch, runs, releases };
}

describe('MicroBatch', () => {
  it('runs the requests of one event-loop turn as one batch and answers each with its own result', async () => {
    const { batch, runs, releases } = gated();
    const answers = Promise.all([1, 2, 3].map((n) => batch.add(n)));
    await turn();
    expect(runs).toEqual([[1, 2, 3]]);
    releases[0]?.();
    expect(await answers).toEqual(['r1', 'r2', 'r3']);
    expect(batch.stats).toMatchObject({ batches: 1, items: 3, largest: 3 });
  });

  it('queues what arrives while a batch is in the database for the next one (group commit)', async () => {
    const { batch, runs, releases } = gated();
    const first = batch.add(1);
    await turn();
    const later = [batch.add(2), batch.add(3)];
    await turn();
    expect(runs).toEqual([[1]]); // 2 and 3 wait for the statement in flight
    releases[0]?.();
    expect(await first).toBe('r1');
    await turn();
    expect(runs).toEqual([[1], [2, 3]]);
    releases[1]?.();
    expect(await Promise.all(later)).toEqual(['r2', 'r3']);
  });

  it('waits windowMs (on its timer) after the first request, so that later ones join', async () => {
    const timer = new ManualClock(0);
    const { batch, runs, releases } = gated({ windowMs: 20, timer });
    const a = batch.add(1);
    await turn();
    timer.advance(10);
    const b = batch.add(2);
    await turn();
    expect(runs).toEqual([]);
    timer.advance(10);
    await turn();
    expect(runs).toEqual([[1, 2]]);
    releases[0]?.();
    expect(await Promise.all([a, b])).toEqual(['r1', 'r2']);
  });

  it('splits more than maxBatch requests over several statements', async () => {
    const { batch, runs, releases } = gated({ maxBatch: 2 });
    const all = Promise.all([1, 2, 3, 4, 5].map((n) => batch.add(n)));
    for (let i = 0; i < 3; i += 1) {
      await turn();
      releases[i]?.();
    }
    expect(await all).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(runs).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("a failed statement's error reaches every request of the batch, and the next batch still runs", async () => {
    const { batch, runs, releases } = gated();
    const boom = new Error('database went away');
    const failed = [1, 2, 3].map((n) => batch.add(n).then(() => 'answered', (err: unknown) => err));
    await turn();
    releases[0]?.(boom);
    expect(await Promise.all(failed)).toEqual([boom, boom, boom]);
    const next = batch.add(4);
    await turn();
    expect(runs).toHaveLength(2);
    releases[1]?.();
    expect(await next).toBe('r4');
  });

  it('with `one`, a failed batch is retried item by item: only the bad item fails', async () => {
    const seen: number[] = [];
    const { batch, releases } = gated({
      one: async (n) => {
        seen.push(n);
        if (n === 2) throw new Error('row 2 refused');
        return `one${n}`;
      },
    });
    const answers = [1, 2, 3].map((n) => batch.add(n).then((r) => r, (err: unknown) => (err as Error).message));
    await turn();
    releases[0]?.(new Error('batch refused'));
    expect(await Promise.all(answers)).toEqual(['one1', 'row 2 refused', 'one3']);
    expect(seen.sort()).toEqual([1, 2, 3]);
    expect(batch.stats.fallbacks).toBe(1);
  });

  it('a result count that does not match the batch is an error for every request', async () => {
    const batch = new MicroBatch<number, number>({ clock: systemClock, label: 'short', run: async () => [1] });
    const answers = [1, 2].map((n) => batch.add(n).then(() => 'answered', (err: unknown) => (err as Error).message));
    expect(await Promise.all(answers)).toEqual(['short: 1 results for 2 items', 'short: 1 results for 2 items']);
  });
});
