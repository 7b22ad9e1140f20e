/**
 * `pnpm bench:rollout --sweep N [--seed S] [--results FILE]`: generated
 * scenarios (generate.ts) with seeds S .. S+N-1 played one after another,
 * and their decision quality summed up (metrics.ts summarizeSweep).
 *
 * The runner, the generator, the clock and the results file are injected,
 * so ordering, resuming, failures and the summary are tested without a
 * controller (sweep.test.ts); bench-rollout.ts passes runRollout.
 *
 * Results file (--results FILE): one JSON line per finished scenario,
 * appended as soon as it finishes: {"seed": 3, "report": {...}} (the report
 * --json prints) or {"seed": 3, "error": "..."}. A rerun with the same file
 * skips the seeds that have a report in it and counts those reports in the
 * summary; seeds with only an error line are played again (a failure may be
 * the machine's, not the scenario's). Lines of seeds outside S .. S+N-1 are
 * kept in the file and left out of the summary. A last line without its
 * newline (the process died while writing it) is ignored and removed when
 * the file is opened for appending; any other line
 * that is not a result is an error, so a wrong file is never half-read.
 */
import { appendFileSync, truncateSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { goalsMet, summarizeSweep, type GoalName, type RolloutReport, type RolloutSummary, type SweepSummary } from './metrics';
import type { Scenario } from './scenario';

/** One line of the results file. */
export type SweepLine = { seed: number; report: RolloutReport } | { seed: number; error: string };

/** What a results file holds. */
export interface PreviousResults {
  /** The last report per seed. */
  reports: Map<number, RolloutReport>;
  /** Seeds with an error line and no report. */
  failedSeeds: Set<number>;
  /** The file ends inside a line (a write cut short): its length in bytes without that line, else null. */
  truncateTo: number | null;
}

export const NO_RESULTS: PreviousResults = Object.freeze({ reports: new Map(), failedSeeds: new Set(), truncateTo: null }) as PreviousResults;

/** A results file's line is not a sweep result. */
export class ResultsFileError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isReport(v: unknown): v is RolloutReport {
  return isObject(v) && typeof v.scenario === 'string' && Array.isArray(v.pairs) && isObject(v.summary) && typeof v.summary.precision === 'number' && typeof v.summary.wallSeconds === 'number';
}

/** Reads the text of a results file (see the file comment). `source` names it in errors. */
export function parseResults(text: string, source: string): PreviousResults {
  const reports = new Map<number, RolloutReport>();
  const errored = new Set<number>();
  const lines = text.split('\n');
  // The text after the last newline: empty for a complete file, a cut-short line otherwise.
  const tail = lines.pop()!;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new ResultsFileError(`${source} line ${i + 1} is not JSON: not a sweep results file?`);
    }
    if (!isObject(v) || typeof v.seed !== 'number' || !Number.isSafeInteger(v.seed) || v.seed < 0) throw new ResultsFileError(`${source} line ${i + 1} has no seed: not a sweep results file?`);
    if (isReport(v.report)) reports.set(v.seed, v.report);
    else if (typeof v.error === 'string') errored.add(v.seed);
    else throw new ResultsFileError(`${source} line ${i + 1} (seed ${v.seed}) holds neither a report nor an error`);
  });
  return { reports, failedSeeds: new Set([...errored].filter((s) => !reports.has(s))), truncateTo: tail === '' ? null : Buffer.byteLength(text) - Buffer.byteLength(tail) };
}

/** Reads a results file; a file that does not exist yet holds nothing. */
export async function readResults(path: string): Promise<PreviousResults> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return NO_RESULTS;
    throw new ResultsFileError(`${path}: cannot read it: ${(err as Error).message}`);
  }
  return parseResults(text, path);
}

/**
 * Appends lines to a results file, each written before the call returns.
 * Opens the file at once (so a file that cannot be written is an error
 * before the first run, not after it) and removes a line cut short at its
 * end (`previous.truncateTo`), so the file stays one result per line.
 */
export function resultsAppender(path: string, previous: PreviousResults): (line: SweepLine) => void {
  try {
    if (previous.truncateTo !== null) truncateSync(path, previous.truncateTo);
    appendFileSync(path, '');
  } catch (err) {
    throw new ResultsFileError(`${path}: cannot write it: ${(err as Error).message}`);
  }
  return (line) => appendFileSync(path, `${JSON.stringify(line)}\n`);
}

const num = (v: number | null): string => (v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(3));

/** A run's summary on one line: `precision 1 recall 0.5 ... wallSeconds 41.2`. */
export function summaryLine(s: RolloutSummary): string {
  return (Object.keys(s) as (keyof RolloutSummary)[]).map((k) => `${k} ${k === 'wallSeconds' ? s[k].toFixed(1) : num(s[k])}`).join(' ');
}

/** `goals met`, or `goals not met: recall, goodCoverage`. */
export function goalsLine(report: RolloutReport): string {
  const met = goalsMet(report);
  const missed = (Object.keys(met) as (GoalName | 'all')[]).filter((k) => k !== 'all' && !met[k]);
  return met.all ? 'goals met' : `goals not met: ${missed.join(', ')}`;
}

/** `1 h 02 min`, `4 min 10 s`, `12 s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

export interface SweepOptions {
  firstSeed: number;
  count: number;
  /** The scenario of a seed (generateScenario). */
  generate: (seed: number) => Scenario;
  /** Plays one scenario. */
  run: (scenario: Scenario, seed: number) => Promise<RolloutReport>;
  /** What the results file already holds (default: nothing). */
  previous?: PreviousResults;
  /** Records a finished scenario (the results file), before the next one starts. */
  record?: (line: SweepLine) => void;
  /** Progress (stderr). */
  log: (line: string) => void;
  /** Real time in ms (wall seconds and the estimate of time left). */
  now: () => number;
  /** When aborted, no further scenario starts, and a run that then fails is not counted as failed. */
  signal?: AbortSignal;
}

/** One scenario of the sweep, as printed at the end. */
export interface SweepRun {
  seed: number;
  scenario: string;
  summary: RolloutSummary;
  goalsMet: boolean;
  /** Taken from the results file, not played by this process. */
  resumed: boolean;
}

/** What `--sweep` prints on stdout. */
export interface SweepResult {
  seeds: { first: number; count: number };
  /** summarizeSweep over every report (resumed ones included). */
  summary: SweepSummary;
  /** One per scenario with a report, in seed order. */
  runs: SweepRun[];
  /** Scenarios whose run failed in this process, in seed order. */
  failed: { seed: number; error: string }[];
  /** Stopped (Ctrl-C) before every seed was played: the seeds neither in runs nor in failed were not. */
  interrupted: boolean;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Plays the sweep; never throws for a failing run (it is in `failed`), only for a failing `record` or a previous report of another scenario under one of its seeds. */
export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  const previous = o.previous ?? NO_RESULTS;
  const seeds = Array.from({ length: o.count }, (_, i) => o.firstSeed + i);
  const reports = new Map<number, { report: RolloutReport; resumed: boolean }>();
  for (const seed of seeds) {
    const r = previous.reports.get(seed);
    if (!r) continue;
    // A report of another scenario under the same seed (another --max-hosts) is not this sweep's result.
    const name = o.generate(seed).name;
    if (r.scenario !== name) throw new ResultsFileError(`the results file holds seed ${seed} as scenario ${r.scenario}, but this sweep plays ${name} (another --max-hosts?): give another --results file`);
    reports.set(seed, { report: r, resumed: true });
  }
  const outside = [...previous.reports.keys()].filter((s) => s < o.firstSeed || s >= o.firstSeed + o.count).length;
  if (previous.reports.size > 0 || previous.failedSeeds.size > 0) {
    const retried = seeds.filter((s) => previous.failedSeeds.has(s)).length;
    o.log(`results file: ${reports.size} of the ${o.count} seeds done already (skipped)${retried ? `, ${retried} that failed before played again` : ''}${outside ? `, ${outside} reports of other seeds left out` : ''}`);
  }
  if (previous.truncateTo !== null) o.log('results file: its last line was cut short (a run stopped while writing it) and is removed');
  const todo = seeds.filter((s) => !reports.has(s));
  const failed: { seed: number; error: string }[] = [];
  let interrupted = false;
  let spent = 0;
  let played = 0;
  for (const [i, seed] of todo.entries()) {
    if (o.signal?.aborted) {
      interrupted = true;
      break;
    }
    const at = `${i + 1}/${todo.length}`;
    const t0 = o.now();
    let name = `seed ${seed}`;
    let hosts = 0;
    let line: SweepLine;
    try {
      const scenario = o.generate(seed);
      name = scenario.name;
      hosts = scenario.fleet.hosts;
      o.log(`sweep ${at}: seed ${seed} ${name}, ${scenario.fleet.hosts} hosts, ${scenario.fleet.classes.length} classes, ${scenario.patches.length} patches`);
      const report = await o.run(scenario, seed);
      reports.set(seed, { report, resumed: false });
      line = { seed, report };
    } catch (err) {
      if (o.signal?.aborted) {
        interrupted = true;
        o.log(`sweep ${at}: seed ${seed} ${name} stopped: ${message(err)}`);
        break;
      }
      failed.push({ seed, error: message(err) });
      line = { seed, error: message(err) };
    }
    const wall = (o.now() - t0) / 1000;
    spent += wall;
    played++;
    o.record?.(line);
    const left = todo.length - (i + 1);
    const eta = left === 0 ? 'done' : `about ${duration((spent / played) * left)} left`;
    if ('report' in line) o.log(`sweep ${at}: seed ${seed} ${name} (${hosts} hosts): ${summaryLine(line.report.summary)}; ${goalsLine(line.report)}; ${wall.toFixed(1)} s; ${eta}`);
    else o.log(`sweep ${at}: seed ${seed} ${name} FAILED: ${line.error}; ${wall.toFixed(1)} s; ${eta}`);
  }
  const done = seeds.filter((s) => reports.has(s)).map((s) => ({ seed: s, ...reports.get(s)! }));
  return {
    seeds: { first: o.firstSeed, count: o.count },
    summary: summarizeSweep(done.map((d) => d.report)),
    runs: done.map((d) => ({ seed: d.seed, scenario: d.report.scenario, summary: d.report.summary, goalsMet: goalsMet(d.report).all, resumed: d.resumed })),
    failed,
    interrupted,
  };
}
