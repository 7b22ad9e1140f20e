/** Flags of `pnpm bench:rollout`: defaults, values, and usage errors for what would silently run something else. */
import { describe, expect, it } from 'vitest';
import { parseRolloutArgs, UsageError } from './args';
import { DEFAULT_RUN_OPTIONS } from './run';

describe('bench:rollout flags', () => {
  it('needs a scenario; everything else has a default', () => {
    expect(() => parseRolloutArgs([])).toThrow(UsageError);
    expect(parseRolloutArgs(['--scenario', 's.json'])).toEqual({
      scenario: 's.json',
      json: false,
      databaseUrl: undefined,
      workers: DEFAULT_RUN_OPTIONS.workers,
      policy: undefined,
      start: DEFAULT_RUN_OPTIONS.start,
      tickSec: 3600,
      concurrency: DEFAULT_RUN_OPTIONS.concurrency,
      waitMs: DEFAULT_RUN_OPTIONS.waitMs,
      cpuProfDir: undefined,
    });
  });

  it('reads every flag', () => {
    const a = parseRolloutArgs(['--scenario', 's.json', '--json', '--database-url', 'postgres://u@h/db', '--workers', '3', '--policy', 'p.json', '--start', '2026-03-10T17:00:00Z', '--tick-sec', '900', '--concurrency', '8', '--wait-sec', '30', '--cpu-prof-dir', '/tmp/p']);
    expect(a).toEqual({ scenario: 's.json', json: true, databaseUrl: 'postgres://u@h/db', workers: 3, policy: 'p.json', start: Date.parse('2026-03-10T17:00:00Z'), tickSec: 900, concurrency: 8, waitMs: 30_000, cpuProfDir: '/tmp/p' });
  });

  it.each([
    [['--scenario', 's.json', '--workers', '0'], /--workers must be a whole number from 1/],
    [['--scenario', 's.json', '--workers', '2.5'], /--workers/],
    [['--scenario', 's.json', '--database-url', 'mysql://x'], /--database-url must start with postgres/],
    [['--scenario', 's.json', '--start', 'yesterday'], /--start must be an ISO 8601 time/],
    [['--scenario', 's.json', '--tick-sec', '0'], /--tick-sec/],
    [['--scenario', 's.json', '--seed', '3'], /seed/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseRolloutArgs(argv)).toThrow(message);
  });
});
