/**
 * Flags of `pnpm bench:rollout`. Strict: an unknown flag or a bad value is a
 * usage error (exit 2), never a silently different run.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_RUN_OPTIONS } from './run';

export interface RolloutArgs {
  scenario: string;
  json: boolean;
  databaseUrl: string | undefined;
  workers: number;
  /** Ring policy file (JSON: { rings: [...], rules?: [...] }); undefined: the controller's default rings. */
  policy: string | undefined;
  start: number;
  tickSec: number;
  concurrency: number;
  waitMs: number;
  cpuProfDir: string | undefined;
}

export class UsageError extends Error {}

export const USAGE = `usage: pnpm bench:rollout --scenario FILE [--json] [--database-url postgres://...] [--workers N] [--policy FILE]
                         [--start ISO] [--tick-sec N] [--concurrency N] [--wait-sec N] [--cpu-prof-dir DIR]
  --scenario FILE     the scenario to play (../shared/scenarios/README.md)
  --json              print the metrics as one JSON object on stdout (default: a table)
  --database-url URL  run the controller on a fresh database of this PostgreSQL server (default: PGlite in a temporary directory)
  --workers N         processes playing the hosts (default ${DEFAULT_RUN_OPTIONS.workers})
  --policy FILE       ring policy to run under: JSON {"rings": [{"name": "First", "percent": 1, ...}], "rules": [...]}
                      (the rings API's fields; rings not named are deleted; default: the controller's default rings)
  --start ISO         virtual start of the run (default ${new Date(DEFAULT_RUN_OPTIONS.start).toISOString()})
  --tick-sec N        virtual seconds between planner rounds (default ${DEFAULT_RUN_OPTIONS.tickSec})
  --concurrency N     enrollments and handshakes in flight (default ${DEFAULT_RUN_OPTIONS.concurrency})
  --wait-sec N        real seconds any one wait for the controller or the hosts may take (default ${DEFAULT_RUN_OPTIONS.waitMs / 1000})
  --cpu-prof-dir DIR  the controller and the host workers write CPU profiles into DIR when they stop`;

function whole(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}

export function parseRolloutArgs(argv: readonly string[]): RolloutArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        json: { type: 'boolean', default: false },
        'database-url': { type: 'string' },
        workers: { type: 'string', default: String(DEFAULT_RUN_OPTIONS.workers) },
        policy: { type: 'string' },
        start: { type: 'string' },
        'tick-sec': { type: 'string', default: String(DEFAULT_RUN_OPTIONS.tickSec) },
        concurrency: { type: 'string', default: String(DEFAULT_RUN_OPTIONS.concurrency) },
        'wait-sec': { type: 'string', default: String(DEFAULT_RUN_OPTIONS.waitMs / 1000) },
        'cpu-prof-dir': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!values.scenario) throw new UsageError('--scenario FILE is required');
  const databaseUrl = values['database-url'];
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new UsageError(`--database-url must start with postgres:// or postgresql://, got "${databaseUrl.slice(0, 40)}"`);
  let start = DEFAULT_RUN_OPTIONS.start;
  if (values.start !== undefined) {
    start = Date.parse(values.start);
    if (!Number.isFinite(start)) throw new UsageError(`--start must be an ISO 8601 time, got "${values.start}"`);
  }
  return {
    scenario: values.scenario,
    json: values.json,
    databaseUrl,
    workers: whole('workers', values.workers, 1, 16),
    policy: values.policy,
    start,
    tickSec: whole('tick-sec', values['tick-sec'], 1, 86_400),
    concurrency: whole('concurrency', values.concurrency, 1, 1000),
    waitMs: whole('wait-sec', values['wait-sec'], 1, 3600) * 1000,
    cpuProfDir: values['cpu-prof-dir'],
  };
}
