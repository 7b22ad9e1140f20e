/**
 * `pnpm bench:rollout (--scenario FILE | --generate --seed N [--out FILE] | --sweep N [--seed S] [--results FILE])
 *   [--json] [--policy FILE]... [--baseline] [--database-url URL] [--workers N] ...` (USAGE in runner/args.ts)
 *
 * Plays a rollout scenario (../shared/scenarios/README.md) against one real
 * controller in simulation mode and prints its metrics: one JSON object on
 * stdout with --json (a table otherwise); progress goes to stderr. How a run
 * goes: test/sim/runner/run.ts.
 * - `--generate --seed N` plays generateScenario(N) (test/sim/generate.ts) as
 *   --scenario would; with `--out FILE` it only writes it (generated-file.ts).
 * - `--sweep N [--seed S]` plays the generated scenarios of seeds S .. S+N-1
 *   one after another and prints the sweep summary as JSON (sweep.ts);
 *   `--results FILE` records each finished run and lets a rerun resume.
 * - Several `--policy FILE` (or one with `--baseline`) play the scenario once
 *   per policy, one after another, and print the metrics side by side
 *   (side-by-side.ts; JSON: {"scenario", "runs": [{"policy", "report"}]}).
 *   One policy or none prints what a single run always printed.
 * Exit 0 when every run completed (whatever its metrics) or the scenario was
 * written, 1 when a run failed or was stopped, 2 on a usage error (bad flags,
 * a policy or results file that cannot be used, an --out file that exists).
 */
import { Errors, isPfError } from '@patchfleet/shared/errors';
import { generateScenario } from './generate';
import { FileExistsError, writeScenarioFile } from './generated-file';
import type { RolloutReport } from './metrics';
import { loadScenario, type Scenario } from './scenario';
import { parseRolloutArgs, USAGE, UsageError, type RolloutArgs } from './runner/args';
import type { RingPolicy } from './runner/controller';
import { runRollout, type RunLog, type RunOptions, type RunResult } from './runner/run';
import { BASELINE, PolicyFileError, policyLabels, readPolicy, sideBySideTable, type ComparedRun } from './side-by-side';
import { readResults, resultsAppender, ResultsFileError, runSweep, type PreviousResults, type SweepLine, type SweepResult } from './sweep';

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

const errorText = (err: unknown): string => `${isPfError(err) ? `${err.code}: ` : ''}${err instanceof Error ? err.message : String(err)}`;

/** What a run found beside its report: why pairs are blocked, how the rollouts ended, the totals. */
function logRun(result: RunResult, log: RunLog): void {
  for (const b of result.reasons) log(`blocked: ${b.patch} on ${b.class} by ${b.by} at day ${b.atDay.toFixed(2)}`);
  for (const ro of result.rollouts) log(`rollout ${ro.name}: ${ro.state}${ro.stateReason ? ` (${ro.stateReason})` : ''}`);
  const t = result.totals;
  log(`totals: ${t.installs} installs (${t.installFailures} failed), ${t.reboots} reboots (${t.bootFailures} not back), ${t.rollbacks} rollbacks, ${t.samples} health samples, ${t.commandsSent} command frames; controller busy ${(t.controllerWallMs / 1000).toFixed(1)} s in steps`);
}

async function main(): Promise<number> {
  let args: RolloutArgs;
  const policies: { file: string; policy: RingPolicy }[] = [];
  let record: ((line: SweepLine) => void) | undefined;
  let previous: PreviousResults | undefined;
  try {
    args = parseRolloutArgs(process.argv.slice(2));
    // Every policy file is checked before the first run starts: a typo in the last one must not cost the runs before it.
    for (const file of args.policies) policies.push({ file, policy: await readPolicy(file) });
    if (args.target.kind === 'sweep' && args.target.results !== undefined) {
      previous = await readResults(args.target.results);
      record = resultsAppender(args.target.results, previous);
    }
    if (args.target.kind === 'write') {
      const { seed, out, force, maxHosts } = args.target;
      const scenario = generateScenario(seed, { maxHosts });
      await writeScenarioFile(out, scenario, force);
      say(`wrote ${out}: scenario ${scenario.name}, ${scenario.fleet.hosts} hosts in ${scenario.fleet.classes.length} classes, ${scenario.patches.length} patches, ${scenario.days} days`);
      return 0;
    }
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof PolicyFileError || err instanceof ResultsFileError || err instanceof FileExistsError)) throw err;
    process.stderr.write(`error ${Errors.USAGE.code}: ${err.message}\n${USAGE}\n`);
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
  const runOptions = (policy: RingPolicy | undefined): RunOptions => ({
    databaseUrl: args.databaseUrl,
    workers: args.workers,
    start: args.start,
    tickSec: args.tickSec,
    policy,
    concurrency: args.concurrency,
    waitMs: args.waitMs,
    cpuProfDir: args.cpuProfDir,
    signal: abort.signal,
  });
  const target = args.target;

  if (target.kind === 'sweep') {
    const policy = policies[0]?.policy;
    if (policies[0]) say(`sweep under policy ${policyLabels(policies, false)[0]}`);
    let result: SweepResult;
    try {
      result = await runSweep({
        firstSeed: target.firstSeed,
        count: target.count,
        generate: (seed: number) => generateScenario(seed, { maxHosts: target.maxHosts }),
        run: async (scenario: Scenario, seed: number) => {
          const log: RunLog = (line) => say(`  seed ${seed}: ${line}`);
          const r = await runRollout(scenario, runOptions(policy), log);
          logRun(r, log);
          return r.report;
        },
        previous,
        record,
        log: say,
        now: () => performance.now(),
        signal: abort.signal,
      });
    } catch (err) {
      // Only the results file can throw here (a full disk, a file removed, a report of another scenario under a seed): the results so far are in the file.
      say(`sweep failed: ${errorText(err)}`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const s = result.summary;
    say(`sweep: ${s.scenarios} of ${target.count} scenarios measured, ${result.failed.length} failed${result.interrupted ? ', stopped before the end' : ''}; all goals met by ${s.goalsMet.all}`);
    return result.failed.length > 0 || result.interrupted ? 1 : 0;
  }

  let scenario: Scenario;
  try {
    scenario = target.kind === 'file' ? await loadScenario(target.path) : generateScenario(target.seed, { maxHosts: target.maxHosts });
  } catch (err) {
    say(`failed: ${errorText(err)}`);
    return 1;
  }

  const labels = policyLabels(policies, args.baseline);
  const runs = [...(args.baseline ? [undefined] : []), ...policies.map((p) => p.policy)];
  if (runs.length <= 1) {
    try {
      const result = await runRollout(scenario, runOptions(runs[0]), say);
      logRun(result, say);
      process.stdout.write(args.json ? `${JSON.stringify(result.report)}\n` : `${table(result.report)}\n`);
      return 0;
    } catch (err) {
      say(`failed: ${errorText(err)}`);
      return 1;
    }
  }

  // Side by side: one run per policy, one after another; a failed run is reported and the others still run.
  const compared: ComparedRun[] = [];
  for (const [i, policy] of runs.entries()) {
    const label = labels[i]!;
    if (abort.signal.aborted) {
      compared.push({ policy: label, error: 'not run (stopped)' });
      continue;
    }
    const log: RunLog = (line) => say(`  [${label}] ${line}`);
    say(`run ${i + 1}/${runs.length}: ${scenario.name} under ${label === BASELINE ? 'the default rings' : `policy ${label}`}`);
    try {
      const result = await runRollout(scenario, runOptions(policy), log);
      logRun(result, log);
      compared.push({ policy: label, report: result.report });
    } catch (err) {
      say(`run ${i + 1}/${runs.length} (${label}) failed: ${errorText(err)}`);
      compared.push({ policy: label, error: errorText(err) });
    }
  }
  process.stdout.write(
    args.json
      ? `${JSON.stringify({ scenario: scenario.name, runs: compared.map((c) => (c.report ? { policy: c.policy, report: c.report } : { policy: c.policy, error: c.error })) })}\n`
      : `${sideBySideTable(scenario.name, compared)}\n`,
  );
  return compared.some((c) => !c.report) ? 1 : 0;
}

process.exitCode = await main();
