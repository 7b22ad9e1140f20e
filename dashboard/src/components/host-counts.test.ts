import { describe, expect, it } from 'vitest';
import { countsText, progressOf } from './host-counts';

describe('rollout host counts', () => {
  it('counts finished installs either way against every host', () => {
    expect(progressOf({ pending: 3, installing: 1, succeeded: 4, failed: 1, 'rolled-back': 1 })).toEqual({ total: 10, finished: 6, succeeded: 4, failed: 1 });
    expect(progressOf({})).toEqual({ total: 0, finished: 0, succeeded: 0, failed: 0 });
  });

  it('says the counts largest first', () => {
    expect(countsText({ pending: 3, succeeded: 5, failed: 0 })).toBe('succeeded 5 · pending 3');
    expect(countsText({})).toBe('no hosts');
  });
});
