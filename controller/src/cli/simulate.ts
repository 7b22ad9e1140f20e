/**
 * `patchfleet simulate --scenario FILE --policy FILE [--policy FILE]... [--baseline] [--json] [--database-url URL]`:
 * what-if for admins. Plays one rollout scenario (../shared/scenarios/README.md) once per ring policy (and with
 * --baseline once under the default rings), each against a real controller on a simulated clock with simulated
 * hosts, and prints their metrics side by side: exposure, coverage, days to 95 %, hosts harmed, per pair.
 *
 * The fleet simulator lives in the source tree (test/sim, `pnpm bench:rollout`), not in the controller package,
 * and drives a controller process of its own: this command checks the flags, then runs it as a child process
 * (`bench:rollout --scenario ... --policy ...`) and exits with its code. Where the tree is not there (a
 * controller installed without it) it says so with PF_ERR_SIMULATOR_UNAVAILABLE.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { Errors, PfError } from '@patchfleet/shared';
import { isPfError } from '@patchfleet/shared/errors';
import { action, printError } from './output';

/** The repository root when this file runs from the source tree (controller/src/cli/). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SIMULATOR_ENTRY = resolve(ROOT, 'test/sim/bench-rollout.ts');

export interface SimulateOptions {
  scenario?: string;
  policy?: string[];
  baseline?: boolean;
  json?: boolean;
  databaseUrl?: string;
}

/** The simulator's arguments for these options; a usage error (PF_ERR_USAGE) when they cannot make a comparison. */
export function simulatorArgs(opts: SimulateOptions, cwd = process.cwd()): string[] {
  if (!opts.scenario) throw new PfError(Errors.USAGE, '--scenario FILE is required (a rollout scenario; see ../shared/scenarios/README.md)');
  const policies = opts.policy ?? [];
  const runs = policies.length + (opts.baseline ? 1 : 0);
  if (runs < 2) {
    throw new PfError(Errors.USAGE, `a comparison needs two runs or more: give two --policy files, or one with --baseline (the default rings); got ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}${opts.baseline ? ' and --baseline' : ''}`);
  }
  const file = (f: string): string => {
    const path = resolve(cwd, f);
    if (!existsSync(path)) throw new PfError(Errors.BAD_INPUT_FILE, `${f}: no such file`);
    return path;
  };
  return [
    '--scenario',
    file(opts.scenario),
    ...policies.flatMap((p) => ['--policy', file(p)]),
    ...(opts.baseline ? ['--baseline'] : []),
    ...(opts.json ? ['--json'] : []),
    ...(opts.databaseUrl ? ['--database-url', opts.databaseUrl] : []),
  ];
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('what-if: play a rollout scenario under two or more ring policies on simulated hosts and print their metrics side by side')
    .option('--scenario <file>', 'rollout scenario (JSON, ../shared/scenarios/README.md)')
    .option('--policy <file>', 'ring policy to compare: JSON {"name": ..., "rings": [{"name": "Test", "percent": 2, ...}], "rules": [...]} (repeat)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--baseline', 'also run the controller\'s default rings')
    .option('--json', 'one JSON object {scenario, runs: [{policy, report}]} on stdout instead of the table')
    .option('--database-url <url>', 'run each controller on a fresh database of this PostgreSQL server (default: embedded PGlite)')
    .action(async (opts: SimulateOptions) => {
      let args: string[];
      try {
        args = simulatorArgs(opts);
      } catch (err) {
        // Flags that cannot make a comparison are a usage error (exit 2), like commander's own.
        printError(err);
        process.exitCode = isPfError(err) && err.code === Errors.USAGE.code ? 2 : 1;
        return;
      }
      await action(async () => {
        if (!existsSync(SIMULATOR_ENTRY)) {
          throw new PfError(Errors.SIMULATOR_UNAVAILABLE, `the fleet simulator is not here (${SIMULATOR_ENTRY}): it ships with the source tree; run \`pnpm patchfleet simulate\` in a checkout of the repository`);
        }
        process.stderr.write(`simulate: ${opts.policy?.length ?? 0} polic${opts.policy?.length === 1 ? 'y' : 'ies'}${opts.baseline ? ' and the default rings' : ''}, one run after another (progress below; each run takes minutes for a few hundred hosts and three weeks)\n`);
        const code = await new Promise<number>((done, fail) => {
          const child = spawn(process.execPath, ['--import', 'tsx', SIMULATOR_ENTRY, ...args], { cwd: ROOT, stdio: 'inherit' });
          child.once('error', fail);
          child.once('exit', (c, signal) => done(c ?? (signal ? 130 : 1)));
          // Ctrl-C reaches the child too (same process group); it stops at its next step and cleans up.
          process.on('SIGINT', () => undefined);
        });
        process.exitCode = code;
      })();
    });
}
