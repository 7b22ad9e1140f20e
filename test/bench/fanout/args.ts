/**
 * Flags of `pnpm bench:fanout`. Parsing is strict: an unknown flag or a bad
 * value is a usage error (exit 2), never a silently different benchmark.
 */
import { parseArgs } from 'node:util';

/** What one run measures and how. */
export interface FanoutOptions {
  agents: number;
  /** PostgreSQL URL; undefined means embedded PGlite in a temporary data directory. */
  databaseUrl: string | undefined;
  json: boolean;
  /** Enrollments and handshakes in flight at once (over all worker processes). */
  concurrency: number;
  /** Processes holding the simulated agents; 0 keeps them in the bench process itself. */
  workers: number;
  /** When set, the controller and the agent worker processes write V8 CPU profiles into this directory. */
  cpuProfDir: string | undefined;
  /** Controller replicas: 1, or 2 on one PostgreSQL database (failover and the reconnect storm). */
  controllers: 1 | 2;
  /** PATCHFLEET_MAX_AGENTS for the controller (below `agents`): the agents past it are refused; undefined: the controller's own cap. */
  maxAgents: number | undefined;
}

/** A usage mistake: the message is for the person at the terminal. */
export class UsageError extends Error {}

/** The local test server, used for a throwaway database when two replicas need PostgreSQL and no URL is given. */
export const LOCAL_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export const USAGE = `usage: pnpm bench:fanout [--agents N] [--controllers 1|2] [--database-url postgres://...] [--json] [--concurrency N] [--workers N] [--cpu-prof-dir DIR] [--max-agents M]
  --agents N          simulated agents to enroll, connect and command (default 1000)
  --controllers N     controller replicas (default 1); 2 runs them on one PostgreSQL database, spreads the agents
                      over both, then SIGKILLs replica 2 and measures how fast its agents are back on replica 1
  --database-url URL  run the controller on PostgreSQL (default: DATABASE_URL, else embedded PGlite;
                      with --controllers 2: DATABASE_URL, else ${LOCAL_POSTGRES_URL})
  --json              print one JSON object on stdout instead of a table
  --concurrency N     enrollments / handshakes in flight (default 200)
  --workers N         processes holding the agents, 0 = the bench process itself (default 2)
  --cpu-prof-dir DIR  write CPU profiles of the controller and the agent workers into DIR
  --max-agents M      start the controller with PATCHFLEET_MAX_AGENTS=M (M below --agents, one controller): every agent
                      tries once; one refused with PF_ERR_CONTROLLER_FULL is counted, not retried; the command goes to
                      the agents held after the connect phase only. Without it the controller's own cap (from its
                      open-file limit) is printed`;

/** `--flag` as a whole number in [min, max]; a {@link UsageError} naming the flag otherwise. */
export function wholeNumber(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** Parses argv (without node and the script). Throws {@link UsageError}. */
export function parseFanoutArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): FanoutOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        agents: { type: 'string', default: '1000' },
        'database-url': { type: 'string' },
        json: { type: 'boolean', default: false },
        concurrency: { type: 'string', default: '200' },
        workers: { type: 'string', default: '2' },
        'cpu-prof-dir': { type: 'string' },
        controllers: { type: 'string', default: '1' },
        'max-agents': { type: 'string' },
      },
    }));
  } catch (err) {
    // node:util names the offending flag; keep its words, drop its stack.
    throw new UsageError((err as Error).message);
  }
  // The commands route takes at most 20,000 host ids in one request.
  const agents = wholeNumber('agents', values.agents, 1, 20_000);
  const concurrency = wholeNumber('concurrency', values.concurrency, 1, 5_000);
  const workers = wholeNumber('workers', values.workers, 0, 16);
  if (values.controllers !== '1' && values.controllers !== '2') {
    throw new UsageError(`--controllers must be 1 or 2, got "${values.controllers}"`);
  }
  const controllers = values.controllers === '2' ? 2 : 1;
  let databaseUrl = values['database-url'] ?? (env.DATABASE_URL || undefined);
  if (controllers === 2 && databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    // Replicas share one database through PostgreSQL (LISTEN/NOTIFY, advisory locks); PGlite belongs to one process.
    throw new UsageError(`--controllers 2 needs PostgreSQL, not "${databaseUrl.slice(0, 40)}": two replicas cannot share an embedded PGlite database; give --database-url postgres://... or leave it out for ${LOCAL_POSTGRES_URL}`);
  }
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new UsageError(`--database-url must start with postgres:// or postgresql://, got "${databaseUrl.slice(0, 40)}"`);
  }
  if (controllers === 2) databaseUrl ??= LOCAL_POSTGRES_URL;
  let maxAgents: number | undefined;
  if (values['max-agents'] !== undefined) {
    maxAgents = wholeNumber('max-agents', values['max-agents'], 1, 20_000);
    if (maxAgents >= agents) throw new UsageError(`--max-agents must be below --agents (${agents}), got ${maxAgents}: the agents past the cap are the refusals it measures`);
    if (controllers === 2) throw new UsageError('--max-agents runs with one controller, not with --controllers 2');
  }
  return { agents, databaseUrl, json: values.json, concurrency, workers, cpuProfDir: values['cpu-prof-dir'], controllers, maxAgents };
}
