/**
 * `pnpm bench:rollout --scenario FILE [--json] [--database-url URL] [--workers N] [--policy FILE]`
 *
 * Plays a rollout scenario (../shared/scenarios/README.md) against one real
 * controller in simulation mode and prints its metrics: one JSON object on
 * stdout with --json (a table otherwise); progress goes to stderr. How a run
 * goes: test/sim/runner/run.ts. Exit 0 when the run completed (whatever its
 * metrics), 1 when it failed, 2 on a usage error.
 */
import { readFile } from 'node:fs/promises';
import { isPfError } from '@patchfleet/shared/errors';
import type { RolloutReport } from './metrics';
import { loadScenario } from './scenario';
import { parseRolloutArgs, USAGE, UsageError, type RolloutArgs } from './runner/args';
import type { RingPolicy } from './runner/controller';
import { runRollout } from './runner/run';

const say = (line: string) => process.stderr.write(`[bench:rollout] ${line}\n`);

function table(r: RolloutReport): string {
  const cell = (v: unknown) => (v === null ? '-' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v));
  const cols = ['patch', 'class', 'bad', 'blocked', 'blockedAtDay', 'exposed', 'harmed', 'rolledBack', 'hosts', 'patchedAtEnd', 'daysTo95'] as const;
  const rows = [cols.map(String), ...r.pairs.map((p) => cols.map((c) => cell(p[c])))];
  const widths = cols.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) => row.map((v, i) => v.padEnd(widths[i]!)).join('  '));
  const s = r.summary;
  return [`scenario ${r.scenario}`, ...lines, '', ...Object.entries(s).map(([k, v]) => `${k.padEnd(20)} ${cell(v)}`)].join('\n');
}

async function readPolicy(path: string): Promise<RingPolicy> {
  const value = JSON.parse(await readFile(path, 'utf8')) as RingPolicy;
  if (!value || !Array.isArray(value.rings) || value.rings.some((r) => typeof r?.name !== 'string')) throw new UsageError(`${path}: a policy is {"rings": [{"name": ..., ...}], "rules"?: [...]}`);
  return value;
}

async function main(): Promise<number> {
  let args: RolloutArgs;
  let policy: RingPolicy | undefined;
  try {
    args = parseRolloutArgs(process.argv.slice(2));
    if (args.policy) policy = await readPolicy(args.policy);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error PF_ERR_USAGE: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  // Ctrl-C stops the run at its next step; the run then stops the controller and the workers and removes what it made.
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    say(`${signal}: stopping at the next step (again to leave at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const scenario = await loadScenario(args.scenario);
    const result = await runRollout(
      scenario,
      { databaseUrl: args.databaseUrl, workers: args.workers, start: args.start, tickSec: args.tickSec, policy, concurrency: args.concurrency, waitMs: args.waitMs, cpuProfDir: args.cpuProfDir, signal: abort.signal },
      say,
    );
    for (const b of result.reasons) say(`blocked: ${b.patch} on ${b.class} by ${b.by} at day ${b.atDay.toFixed(2)}`);
    for (const ro of result.rollouts) say(`rollout ${ro.name}: ${ro.state}${ro.stateReason ? ` (${ro.stateReason})` : ''}`);
    const t = result.totals;
    say(`totals: ${t.installs} installs (${t.installFailures} failed), ${t.reboots} reboots (${t.bootFailures} not back), ${t.rollbacks} rollbacks, ${t.samples} health samples, ${t.commandsSent} command frames; controller busy ${(t.controllerWallMs / 1000).toFixed(1)} s in steps`);
    process.stdout.write(args.json ? `${JSON.stringify(result.report)}\n` : `${table(result.report)}\n`);
    return 0;
  } catch (err) {
    say(`failed: ${isPfError(err) ? `${err.code}: ` : ''}${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main();
