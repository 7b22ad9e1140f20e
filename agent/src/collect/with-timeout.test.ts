import { describe, it, expect } from 'vitest';
import { ManualClock } from '@patchfleet/shared/clock';
import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  it('gives the value when the work settles in time, without a warning', async () => {
    const warnings: string[] = [];
    const clock = new ManualClock();
    await expect(withTimeout('x', Promise.resolve(7), 100, 0, (m) => warnings.push(m), clock)).resolves.toBe(7);
    clock.advance(1000);
    expect(warnings).toEqual([]);
  });

  it('gives the fallback and warns when the work hangs', async () => {
    const warnings: string[] = [];
    const clock = new ManualClock();
    const p = withTimeout('si.users', new Promise<number>(() => undefined), 100, -1, (m) => warnings.push(m), clock);
    clock.advance(99);
    expect(warnings).toEqual([]);
    clock.advance(1);
    await expect(p).resolves.toBe(-1);
    expect(warnings).toEqual(['si.users: no answer after 100 ms, using an empty value']);
  });

  it('gives the fallback and passes the error on when the work fails', async () => {
    const seen: unknown[] = [];
    const boom = new Error('boom');
    await expect(withTimeout('x', Promise.reject(boom), 100, 'fb', (_m, e) => seen.push(e), new ManualClock())).resolves.toBe('fb');
    expect(seen).toEqual([boom]);
  });
});
