/** Flags of `pnpm bench:rollout`: defaults, values, and usage errors for what would silently run something else. */
import { describe, expect, it } from 'vitest';
import { MAX_SEED, parseRolloutArgs, UsageError } from './args';
import { DEFAULT_RUN_OPTIONS } from './run';

const DEFAULTS = {
  json: false,
  databaseUrl: undefined,
  workers: DEFAULT_RUN_OPTIONS.workers,
  policies: [],
  baseline: false,
  start: DEFAULT_RUN_OPTIONS.start,
  tickSec: 3600,
  concurrency: DEFAULT_RUN_OPTIONS.concurrency,
  waitMs: DEFAULT_RUN_OPTIONS.waitMs,
  cpuProfDir: undefined,
};

describe('bench:rollout flags', () => {
  it('needs a scenario; everything else has a default', () => {
    expect(() => parseRolloutArgs([])).toThrow(UsageError);
    expect(() => parseRolloutArgs([])).toThrow(/one of --scenario FILE, --generate --seed N or --sweep N is required/);
    expect(parseRolloutArgs(['--scenario', 's.json'])).toEqual({ target: { kind: 'file', path: 's.json' }, ...DEFAULTS });
  });

  it('reads every flag of a run', () => {
    const a = parseRolloutArgs(['--scenario', 's.json', '--json', '--database-url', 'postgres://u@h/db', '--workers', '3', '--policy', 'p.json', '--start', '2026-03-10T17:00:00Z', '--tick-sec', '900', '--concurrency', '8', '--wait-sec', '30', '--cpu-prof-dir', '/tmp/p']);
    expect(a).toEqual({
      target: { kind: 'file', path: 's.json' },
      json: true,
      databaseUrl: 'postgres://u@h/db',
      workers: 3,
      policies: ['p.json'],
      baseline: false,
      start: Date.parse('2026-03-10T17:00:00Z'),
      tickSec: 900,
      concurrency: 8,
      waitMs: 30_000,
      cpuProfDir: '/tmp/p',
    });
  });

  it('--generate --seed N plays that generated scenario, with the run flags', () => {
    expect(parseRolloutArgs(['--generate', '--seed', '7'])).toEqual({ target: { kind: 'generate', seed: 7, maxHosts: 3000 }, ...DEFAULTS });
    expect(parseRolloutArgs(['--generate', '--seed', '0', '--json', '--workers', '1'])).toEqual({ target: { kind: 'generate', seed: 0, maxHosts: 3000 }, ...DEFAULTS, json: true, workers: 1 });
    expect(parseRolloutArgs(['--generate', '--seed', String(MAX_SEED)]).target).toEqual({ kind: 'generate', seed: MAX_SEED, maxHosts: 3000 });
  });

  it('--generate --seed N --out FILE writes it (--force: over an existing file)', () => {
    expect(parseRolloutArgs(['--generate', '--seed', '3', '--out', 'g.json']).target).toEqual({ kind: 'write', seed: 3, out: 'g.json', force: false, maxHosts: 3000 });
    expect(parseRolloutArgs(['--generate', '--seed', '3', '--out', 'g.json', '--force']).target).toEqual({ kind: 'write', seed: 3, out: 'g.json', force: true, maxHosts: 3000 });
  });

  it('--sweep N: seeds from 1 by default, or from --seed S; --results FILE', () => {
    expect(parseRolloutArgs(['--sweep', '5'])).toEqual({ target: { kind: 'sweep', count: 5, firstSeed: 1, results: undefined, maxHosts: 3000 }, ...DEFAULTS });
    expect(parseRolloutArgs(['--sweep', '2', '--seed', '40', '--results', 'r.jsonl']).target).toEqual({ kind: 'sweep', count: 2, firstSeed: 40, results: 'r.jsonl', maxHosts: 3000 });
    expect(parseRolloutArgs(['--sweep', '1', '--seed', String(MAX_SEED)]).target).toEqual({ kind: 'sweep', count: 1, firstSeed: MAX_SEED, results: undefined, maxHosts: 3000 });
    // The run flags are the same as for one run; one policy for every scenario; --json is accepted (a sweep prints JSON anyway).
    const a = parseRolloutArgs(['--sweep', '3', '--policy', 'p.json', '--workers', '4', '--json']);
    expect(a).toMatchObject({ policies: ['p.json'], workers: 4, json: true });
  });

  it('--max-hosts N caps generated fleets (with --generate or --sweep only, 200 to 3000)', () => {
    expect(parseRolloutArgs(['--sweep', '50', '--max-hosts', '400']).target).toEqual({ kind: 'sweep', count: 50, firstSeed: 1, results: undefined, maxHosts: 400 });
    expect(parseRolloutArgs(['--generate', '--seed', '2', '--max-hosts', '200']).target).toEqual({ kind: 'generate', seed: 2, maxHosts: 200 });
    expect(parseRolloutArgs(['--generate', '--seed', '2', '--max-hosts', '300', '--out', 'g.json']).target).toMatchObject({ kind: 'write', maxHosts: 300 });
    expect(() => parseRolloutArgs(['--scenario', 'a.json', '--max-hosts', '400'])).toThrow(/--max-hosts goes with --generate or --sweep/);
    expect(() => parseRolloutArgs(['--sweep', '5', '--max-hosts', '199'])).toThrow(UsageError);
    expect(() => parseRolloutArgs(['--sweep', '5', '--max-hosts', '3001'])).toThrow(UsageError);
    expect(() => parseRolloutArgs(['--sweep', '5', '--max-hosts', 'many'])).toThrow(UsageError);
  });

  it('--policy more than once, and --baseline beside it, in the order given', () => {
    expect(parseRolloutArgs(['--scenario', 's.json', '--policy', 'b.json', '--policy', 'a.json'])).toMatchObject({ policies: ['b.json', 'a.json'], baseline: false });
    expect(parseRolloutArgs(['--generate', '--seed', '2', '--policy', 'a.json', '--baseline'])).toMatchObject({ target: { kind: 'generate', seed: 2 }, policies: ['a.json'], baseline: true });
  });

  it.each([
    // run flags
    [['--scenario', 's.json', '--workers', '0'], /--workers must be a whole number from 1/],
    [['--scenario', 's.json', '--workers', '2.5'], /--workers/],
    [['--scenario', 's.json', '--database-url', 'mysql://x'], /--database-url must start with postgres/],
    [['--scenario', 's.json', '--start', 'yesterday'], /--start must be an ISO 8601 time/],
    [['--scenario', 's.json', '--tick-sec', '0'], /--tick-sec/],
    [['--scenario', 's.json', 'extra'], /positional/i],
    [['--scenario', 's.json', '--frobnicate'], /frobnicate/],
    [['--scenario', ''], /--scenario needs a file name/],
    // modes
    [['--scenario', 's.json', '--generate', '--seed', '1'], /--scenario and --generate cannot be used together/],
    [['--scenario', 's.json', '--sweep', '3'], /--scenario and --sweep cannot be used together/],
    [['--generate', '--seed', '1', '--sweep', '3'], /--generate and --sweep cannot be used together/],
    // --seed
    [['--scenario', 's.json', '--seed', '3'], /--seed goes with --generate or --sweep/],
    [['--generate'], /--generate needs --seed N/],
    [['--generate', '--seed=-1'], /--seed must be a whole number from 0 to 4294967295/],
    [['--generate', '--seed', '4294967296'], /--seed must be a whole number/],
    [['--generate', '--seed', 'x'], /--seed must be a whole number/],
    [['--sweep', '3', '--seed', '1.5'], /--seed must be a whole number/],
    [['--sweep', '3', '--seed', String(MAX_SEED - 1)], /goes past the highest seed/],
    // --out / --force
    [['--scenario', 's.json', '--out', 'g.json'], /--out FILE goes with --generate/],
    [['--sweep', '2', '--out', 'g.json'], /--out FILE goes with --generate/],
    [['--generate', '--seed', '1', '--force'], /--force goes with --out FILE/],
    [['--generate', '--seed', '1', '--out', ''], /--out needs a file name/],
    [['--generate', '--seed', '1', '--out', 'g.json', '--json'], /plays nothing: --json would be ignored/],
    [['--generate', '--seed', '1', '--out', 'g.json', '--policy', 'p.json', '--workers', '2'], /plays nothing: --policy, --workers would be ignored/],
    // --sweep / --results
    [['--sweep', '0'], /--sweep must be a whole number from 1 to 10000/],
    [['--sweep', '10001'], /--sweep must be a whole number/],
    [['--sweep', 'all'], /--sweep must be a whole number/],
    [['--sweep'], /argument missing|requires|--sweep/],
    [['--sweep', '2', '--results', ''], /--results needs a file name/],
    [['--scenario', 's.json', '--results', 'r.jsonl'], /--results FILE goes with --sweep/],
    [['--generate', '--seed', '1', '--results', 'r.jsonl'], /--results FILE goes with --sweep/],
    // policies
    [['--scenario', 's.json', '--baseline'], /--baseline goes with --policy FILE/],
    [['--scenario', 's.json', '--policy', 'a.json', '--policy', 'a.json'], /--policy a.json is given twice/],
    [['--sweep', '2', '--policy', 'a.json', '--policy', 'b.json'], /a sweep plays each scenario once: it takes at most one --policy/],
    [['--sweep', '2', '--policy', 'a.json', '--baseline'], /no --baseline/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseRolloutArgs(argv)).toThrow(UsageError);
    expect(() => parseRolloutArgs(argv)).toThrow(message);
  });
});
