/**
 * Flags of `pnpm bench:rollout`. Strict: an unknown flag, a bad value or a
 * flag that the chosen mode would ignore is a usage error (exit 2), never a
 * silently different run.
 *
 * Modes (exactly one of --scenario, --generate, --sweep):
 * - `--scenario FILE`: play one scenario file;
 * - `--generate --seed N`: play generateScenario(N) (test/sim/generate.ts);
 *   with `--out FILE` write it as JSON instead and run nothing;
 * - `--sweep N [--seed S]`: play generateScenario(S) .. generateScenario(S+N-1)
 *   one after another (test/sim/sweep.ts), optionally recording and resuming
 *   through `--results FILE`.
 * Several `--policy FILE` (and `--baseline`) play one scenario once per
 * policy and print the metrics side by side (test/sim/side-by-side.ts); a
 * sweep takes at most one policy and no --baseline.
 */
import { parseArgs } from 'node:util';
import { UsageError, wholeNumber as whole } from '../../bench/fanout/args';
import { MAX_GENERATED_HOSTS, MIN_GENERATED_HOSTS } from '../generate';
import { DEFAULT_RUN_OPTIONS } from './run';

/** What to play. */
export type RolloutTarget =
  /** A scenario file. */
  | { kind: 'file'; path: string }
  /** generateScenario(seed), played. */
  | { kind: 'generate'; seed: number; maxHosts: number }
  /** generateScenario(seed), written to `out` (an existing file only with `force`); nothing is played. */
  | { kind: 'write'; seed: number; out: string; force: boolean; maxHosts: number }
  /** generateScenario(firstSeed) .. generateScenario(firstSeed + count - 1), one after another. */
  | { kind: 'sweep'; count: number; firstSeed: number; results: string | undefined; maxHosts: number };

export interface RolloutArgs {
  target: RolloutTarget;
  json: boolean;
  databaseUrl: string | undefined;
  workers: number;
  /** Ring policy files (JSON: { rings: [...], rules?: [...] }), in the order given; none: the controller's default rings. */
  policies: string[];
  /** Also play the scenario under the controller's default rings (beside the policies). */
  baseline: boolean;
  start: number;
  tickSec: number;
  concurrency: number;
  waitMs: number;
  cpuProfDir: string | undefined;
}

export { UsageError };

/** Highest scenario seed (scenario.ts: a 32-bit unsigned integer). */
export const MAX_SEED = 0xffff_ffff;
/** Most scenarios in one sweep. */
export const MAX_SWEEP = 10_000;

export const USAGE = `usage: pnpm bench:rollout (--scenario FILE | --generate --seed N [--out FILE [--force]] | --sweep N [--seed S] [--results FILE]) [--max-hosts N]
                         [--json] [--policy FILE]... [--baseline] [--database-url postgres://...] [--workers N]
                         [--start ISO] [--tick-sec N] [--concurrency N] [--wait-sec N] [--cpu-prof-dir DIR]
  --scenario FILE     the scenario to play (../shared/scenarios/README.md)
  --generate          play the scenario test/sim/generate.ts draws from --seed N (0 to ${MAX_SEED})
  --out FILE          with --generate: write that scenario to FILE as JSON (a file --scenario takes) and play nothing;
  --force             an existing FILE is refused unless --force
  --sweep N           play N generated scenarios (seeds S, S+1, ..., S+N-1; --seed S, default 1) one after another:
                      progress on stderr, one JSON object on stdout at the end (the sweep summary and each run's summary);
                      exit 1 if any run failed (the others still run)
  --results FILE      with --sweep: append each finished run to FILE as one JSON line ({"seed", "report"} or {"seed", "error"});
                      a rerun with the same FILE skips the seeds that have a report in it and counts them in the summary
  --max-hosts N       with --generate or --sweep: draw fleets of 200 to N hosts (default and most 3000; the rest of each
                      scenario is drawn as without it, and its name ends in -maxN)
  --json              print the metrics as one JSON object on stdout (default: a table; a sweep always prints JSON)
  --policy FILE       ring policy to run under: JSON {"name"?: "...", "rings": [{"name": "First", "percent": 1, ...}], "rules": [...]}
                      (the rings API's fields; rings not named are deleted; default: the controller's default rings).
                      Given more than once (or with --baseline): the scenario is played once per policy, one after
                      another, and the metrics are printed side by side (JSON: {"scenario", "runs": [{"policy", "report"}]}).
                      A sweep takes at most one --policy
  --baseline          with --policy: also play the scenario under the controller's default rings (the first column)
  --database-url URL  run the controller on a fresh database of this PostgreSQL server (default: PGlite in a temporary directory)
  --workers N         processes playing the hosts (default ${DEFAULT_RUN_OPTIONS.workers})
  --start ISO         virtual start of the run (default ${new Date(DEFAULT_RUN_OPTIONS.start).toISOString()})
  --tick-sec N        virtual seconds between planner rounds (default ${DEFAULT_RUN_OPTIONS.tickSec})
  --concurrency N     enrollments and handshakes in flight (default ${DEFAULT_RUN_OPTIONS.concurrency})
  --wait-sec N        real seconds any one wait for the controller or the hosts may take (default ${DEFAULT_RUN_OPTIONS.waitMs / 1000})
  --cpu-prof-dir DIR  the controller and the host workers write CPU profiles into DIR when they stop`;


/** Flags that only matter when something is played (refused with --out). */
const RUN_FLAGS = ['json', 'policy', 'baseline', 'database-url', 'workers', 'start', 'tick-sec', 'concurrency', 'wait-sec', 'cpu-prof-dir'] as const;

export function parseRolloutArgs(argv: readonly string[]): RolloutArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      // No defaults here: which flags were given decides what is refused; the defaults are applied below.
      options: {
        scenario: { type: 'string' },
        generate: { type: 'boolean' },
        seed: { type: 'string' },
        out: { type: 'string' },
        force: { type: 'boolean' },
        sweep: { type: 'string' },
        results: { type: 'string' },
        'max-hosts': { type: 'string' },
        json: { type: 'boolean' },
        'database-url': { type: 'string' },
        workers: { type: 'string' },
        policy: { type: 'string', multiple: true },
        baseline: { type: 'boolean' },
        start: { type: 'string' },
        'tick-sec': { type: 'string' },
        concurrency: { type: 'string' },
        'wait-sec': { type: 'string' },
        'cpu-prof-dir': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  const modes = (['scenario', 'generate', 'sweep'] as const).filter((m) => values[m] !== undefined);
  if (modes.length === 0) throw new UsageError('one of --scenario FILE, --generate --seed N or --sweep N is required');
  if (modes.length > 1) throw new UsageError(`--${modes[0]} and --${modes[1]} cannot be used together: give one of --scenario, --generate, --sweep`);
  const mode = modes[0]!;
  if (values.seed !== undefined && mode === 'scenario') throw new UsageError('--seed goes with --generate or --sweep (a scenario file has its own seed)');
  if (values.out !== undefined && mode !== 'generate') throw new UsageError('--out FILE goes with --generate (it writes the generated scenario)');
  if (values.force && values.out === undefined) throw new UsageError('--force goes with --out FILE (it allows overwriting FILE)');
  if (values.results !== undefined && mode !== 'sweep') throw new UsageError('--results FILE goes with --sweep');
  if (values['max-hosts'] !== undefined && mode === 'scenario') throw new UsageError('--max-hosts goes with --generate or --sweep (a scenario file has its own fleet)');
  const maxHosts = whole('max-hosts', values['max-hosts'] ?? String(MAX_GENERATED_HOSTS), MIN_GENERATED_HOSTS, MAX_GENERATED_HOSTS);

  const policies = values.policy ?? [];
  const twice = policies.find((p, i) => policies.indexOf(p) !== i);
  if (twice !== undefined) throw new UsageError(`--policy ${twice} is given twice`);
  if (values.baseline && policies.length === 0) throw new UsageError('--baseline goes with --policy FILE (it adds a run under the default rings beside the policies)');

  let target: RolloutTarget;
  if (mode === 'scenario') {
    if (values.scenario === '') throw new UsageError('--scenario needs a file name');
    target = { kind: 'file', path: values.scenario! };
  } else if (mode === 'generate') {
    if (values.seed === undefined) throw new UsageError('--generate needs --seed N (0 to ' + MAX_SEED + ')');
    const seed = whole('seed', values.seed, 0, MAX_SEED);
    if (values.out !== undefined) {
      if (values.out === '') throw new UsageError('--out needs a file name');
      const given = RUN_FLAGS.filter((f) => values[f] !== undefined);
      if (given.length > 0) throw new UsageError(`--out writes the scenario and plays nothing: ${given.map((f) => `--${f}`).join(', ')} would be ignored`);
      target = { kind: 'write', seed, out: values.out, force: values.force ?? false, maxHosts };
    } else target = { kind: 'generate', seed, maxHosts };
  } else {
    const count = whole('sweep', values.sweep!, 1, MAX_SWEEP);
    const firstSeed = values.seed === undefined ? 1 : whole('seed', values.seed, 0, MAX_SEED);
    if (firstSeed + count - 1 > MAX_SEED) throw new UsageError(`--seed ${firstSeed} with --sweep ${count} goes past the highest seed ${MAX_SEED}`);
    if (policies.length > 1 || values.baseline) throw new UsageError('a sweep plays each scenario once: it takes at most one --policy and no --baseline (compare policies with one sweep per policy)');
    if (values.results === '') throw new UsageError('--results needs a file name');
    target = { kind: 'sweep', count, firstSeed, results: values.results, maxHosts };
  }

  const databaseUrl = values['database-url'];
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new UsageError(`--database-url must start with postgres:// or postgresql://, got "${databaseUrl.slice(0, 40)}"`);
  let start = DEFAULT_RUN_OPTIONS.start;
  if (values.start !== undefined) {
    start = Date.parse(values.start);
    if (!Number.isFinite(start)) throw new UsageError(`--start must be an ISO 8601 time, got "${values.start}"`);
  }
  return {
    target,
    json: values.json ?? false,
    databaseUrl,
    workers: whole('workers', values.workers ?? String(DEFAULT_RUN_OPTIONS.workers), 1, 16),
    policies,
    baseline: values.baseline ?? false,
    start,
    tickSec: whole('tick-sec', values['tick-sec'] ?? String(DEFAULT_RUN_OPTIONS.tickSec), 1, 86_400),
    concurrency: whole('concurrency', values.concurrency ?? String(DEFAULT_RUN_OPTIONS.concurrency), 1, 1000),
    waitMs: whole('wait-sec', values['wait-sec'] ?? String(DEFAULT_RUN_OPTIONS.waitMs / 1000), 1, 3600) * 1000,
    cpuProfDir: values['cpu-prof-dir'],
  };
}
