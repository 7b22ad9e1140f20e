/**
 * Flags and environment of `pnpm start --demo` (test/sim/demo.ts). Strict:
 * an unknown flag or a bad value is a usage error (exit 2), never a
 * silently different demo.
 */
import { parseArgs } from 'node:util';
import { isAbsolute, join, resolve } from 'node:path';
import type { Scenario } from './scenario';

/**
 * Real milliseconds per virtual hour at most, by default. Measured on the
 * 2-core machine the demo was written on (README proposal /tmp/readme-demo.md):
 * the 300-host demo takes about 0.5 to 1.5 s of real time per virtual hour
 * by itself, and its first gate trips around hour 40-45; at 2.5 s an hour
 * the trip shows within about 3 minutes of the start.
 */
export const DEFAULT_HOUR_MS = 2500;
/** Port of the demo's controller unless PATCHFLEET_DEMO_PORT says otherwise (the normal `pnpm start` uses 8443). */
export const DEFAULT_DEMO_PORT = 8444;
/** Longest virtual run the flags take, in days. */
export const MAX_DEMO_DAYS = 60;
export const MAX_DEMO_HOSTS = 5000;
export const MAX_HOUR_MS = 600_000;

export const DEMO_USAGE = `usage: pnpm start --demo [--demo-hour-ms N] [--demo-days N] [--demo-hosts N] [--demo-verbose]
  --demo-hour-ms N   real milliseconds per virtual hour at most (default ${DEFAULT_HOUR_MS}; 0: as fast as the machine goes)
  --demo-days N      simulated days (default: the demo scenario's, 21; at most ${MAX_DEMO_DAYS})
  --demo-hosts N     simulated hosts (default: the demo scenario's, 300; at most ${MAX_DEMO_HOSTS})
  --demo-verbose     also print the simulator's own progress lines
environment: PATCHFLEET_HOME (state folder, default .patchfleet; the demo uses its demo/ folder),
             PATCHFLEET_DEMO_PORT (default ${DEFAULT_DEMO_PORT}; 0 picks a free port)`;

export class DemoUsageError extends Error {}

export interface DemoArgs {
  hourMs: number;
  /** Undefined: the scenario's days. */
  days: number | undefined;
  /** Undefined: the scenario's fleet size. */
  hosts: number | undefined;
  verbose: boolean;
  /** The demo's controller data directory: `$PATCHFLEET_HOME/demo`. */
  dataDir: string;
  /** Lock file of a running demo, beside the data directory. */
  lockFile: string;
  port: number;
}

function whole(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw new DemoUsageError(`${flag} takes a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

/** Parses the demo's flags (`--demo` itself is accepted and means nothing more) and environment; `root` is the repository. */
export function parseDemoArgs(argv: readonly string[], env: NodeJS.ProcessEnv, root: string): DemoArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        demo: { type: 'boolean' },
        'demo-hour-ms': { type: 'string' },
        'demo-days': { type: 'string' },
        'demo-hosts': { type: 'string' },
        'demo-verbose': { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new DemoUsageError((err as Error).message);
  }
  const home = resolve(root, env.PATCHFLEET_HOME ?? join(root, '.patchfleet'));
  const portText = env.PATCHFLEET_DEMO_PORT;
  const port = portText === undefined || portText === '' ? DEFAULT_DEMO_PORT : whole('PATCHFLEET_DEMO_PORT', portText, 0, 65535)!;
  const dataDir = join(home, 'demo');
  return {
    hourMs: whole('--demo-hour-ms', values['demo-hour-ms'] as string | undefined, 0, MAX_HOUR_MS) ?? DEFAULT_HOUR_MS,
    days: whole('--demo-days', values['demo-days'] as string | undefined, 1, MAX_DEMO_DAYS),
    hosts: whole('--demo-hosts', values['demo-hosts'] as string | undefined, 1, MAX_DEMO_HOSTS),
    verbose: values['demo-verbose'] === true,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(dataDir),
    lockFile: join(home, 'demo.lock'),
    port,
  };
}

/** The demo scenario with the flags' days and fleet size (a copy; the rest as the file says). */
export function demoScenarioOf(base: Scenario, args: Pick<DemoArgs, 'days' | 'hosts'>): Scenario {
  return { ...base, days: args.days ?? base.days, fleet: { ...base.fleet, hosts: args.hosts ?? base.fleet.hosts } };
}
