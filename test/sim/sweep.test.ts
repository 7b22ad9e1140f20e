/**
 * The sweep without a controller: a fake runner that makes a report from the
 * scenario it is given, real generated scenarios, a results file in a
 * temporary directory. Order, resume, failures, Ctrl-C and the summary.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateScenario } from './generate';
import { summarize, summarizeSweep, type PairResult, type RolloutReport } from './metrics';
import type { Scenario } from './scenario';
import { duration, goalsLine, parseResults, readResults, resultsAppender, ResultsFileError, runSweep, summaryLine, type SweepLine } from './sweep';

/** A report for a scenario: one bad pair, blocked when the seed is even; one good pair, fully patched. */
function fakeReport(scenario: Scenario): RolloutReport {
  const blocked = scenario.seed % 2 === 0;
  const pairs: PairResult[] = [
    { patch: 'KB5000001', class: 'a', bad: true, blocked, blockedAtDay: blocked ? 1.5 : null, exposed: 2, harmed: 1, rolledBack: 0, hosts: 100, patchedAtEnd: blocked ? 0 : 100, daysTo95: null },
    { patch: 'KB5000002', class: 'a', bad: false, blocked: false, blockedAtDay: null, exposed: 100, harmed: 0, rolledBack: 0, hosts: 100, patchedAtEnd: 100, daysTo95: 3 + (scenario.seed % 5) },
  ];
  return { scenario: scenario.name, pairs, summary: summarize(pairs, 10 + scenario.seed) };
}

/** A clock that moves `step` ms each time it is read. */
const ticking = (step: number) => {
  let t = 0;
  return () => (t += step);
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-sweep-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('runSweep', () => {
  it('plays seeds S .. S+N-1 in order, records each as it finishes, and sums them up', async () => {
    const played: number[] = [];
    const recorded: SweepLine[] = [];
    const log: string[] = [];
    const result = await runSweep({
      firstSeed: 5,
      count: 4,
      generate: generateScenario,
      run: async (scenario, seed) => {
        // Every earlier scenario is recorded before the next one starts.
        expect(recorded.map((l) => l.seed)).toEqual(played);
        played.push(seed);
        expect(scenario).toEqual(generateScenario(seed));
        return fakeReport(scenario);
      },
      record: (line) => recorded.push(line),
      log: (line) => log.push(line),
      now: ticking(5000),
    });
    expect(played).toEqual([5, 6, 7, 8]);
    expect(recorded.map((l) => l.seed)).toEqual([5, 6, 7, 8]);
    const reports = [5, 6, 7, 8].map((s) => fakeReport(generateScenario(s)));
    expect(recorded).toEqual(reports.map((report, i) => ({ seed: 5 + i, report })));
    expect(result.summary).toEqual(summarizeSweep(reports));
    expect(result.summary.scenarios).toBe(4);
    // Only even seeds block the bad pair: recall goal met by 6 and 8.
    expect(result.summary.goalsMet.recall).toBe(2);
    expect(result.runs).toEqual(reports.map((r, i) => ({ seed: 5 + i, scenario: `generated-${5 + i}`, summary: r.summary, goalsMet: goalsLine(r) === 'goals met', resumed: false })));
    expect(result.runs.map((r) => r.goalsMet)).toEqual([false, true, false, true]);
    expect(result).toMatchObject({ seeds: { first: 5, count: 4 }, failed: [], interrupted: false });

    // Progress: seed, name, hosts, the summary line, goals, wall seconds, time left (5 s per run from the ticking clock).
    const done = log.filter((l) => / s; /.test(l));
    expect(done).toHaveLength(4);
    const g6 = generateScenario(6);
    expect(done[1]).toBe(`sweep 2/4: seed 6 generated-6 (${g6.fleet.hosts} hosts): ${summaryLine(reports[1]!.summary)}; goals met; 5.0 s; about 10 s left`);
    expect(done[0]).toContain('goals not met: recall');
    expect(done[3]).toMatch(/; done$/);
  });

  it('goes on after a failed run, records the error, and leaves it out of the summary', async () => {
    const recorded: SweepLine[] = [];
    const log: string[] = [];
    const result = await runSweep({
      firstSeed: 1,
      count: 3,
      generate: generateScenario,
      run: async (scenario, seed) => {
        if (seed === 2) throw new Error('controller died');
        return fakeReport(scenario);
      },
      record: (line) => recorded.push(line),
      log: (line) => log.push(line),
      now: ticking(1000),
    });
    expect(recorded.map((l) => ('error' in l ? `${l.seed}: ${l.error}` : l.seed))).toEqual([1, '2: controller died', 3]);
    expect(result.failed).toEqual([{ seed: 2, error: 'controller died' }]);
    expect(result.runs.map((r) => r.seed)).toEqual([1, 3]);
    expect(result.summary).toEqual(summarizeSweep([1, 3].map((s) => fakeReport(generateScenario(s)))));
    expect(log.some((l) => l.includes('seed 2 generated-2 FAILED: controller died'))).toBe(true);
    expect(result.interrupted).toBe(false);
  });

  it('stops at Ctrl-C: the run cut short is neither recorded nor counted as failed, no further seed starts', async () => {
    const abort = new AbortController();
    const played: number[] = [];
    const recorded: SweepLine[] = [];
    const result = await runSweep({
      firstSeed: 1,
      count: 4,
      generate: generateScenario,
      run: async (scenario, seed) => {
        played.push(seed);
        if (seed === 2) {
          abort.abort();
          throw new Error('stopped at hour 3 of 72');
        }
        return fakeReport(scenario);
      },
      record: (line) => recorded.push(line),
      log: () => undefined,
      now: ticking(1000),
      signal: abort.signal,
    });
    expect(played).toEqual([1, 2]);
    expect(recorded.map((l) => l.seed)).toEqual([1]);
    expect(result).toMatchObject({ failed: [], interrupted: true });
    expect(result.runs.map((r) => r.seed)).toEqual([1]);
  });

  it('resumes from a results file: skips the seeds with a report, plays failed and missing ones, sums up all', async () => {
    const file = join(dir, 'results.jsonl');
    const r = (seed: number) => fakeReport(generateScenario(seed));
    const lines = [
      { seed: 3, report: r(3) },
      { seed: 4, error: 'timed out' },
      { seed: 99, report: r(99) }, // another sweep's seed: kept, not counted
      { seed: 5, report: r(5) },
    ];
    // The last write was cut short by a crash.
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"seed": 6, "rep`);
    const previous = await readResults(file);
    expect([...previous.reports.keys()]).toEqual([3, 99, 5]);
    expect([...previous.failedSeeds]).toEqual([4]);
    expect(previous.truncateTo).not.toBeNull();

    const played: number[] = [];
    const log: string[] = [];
    const result = await runSweep({
      firstSeed: 3,
      count: 4,
      generate: generateScenario,
      run: async (scenario, seed) => {
        played.push(seed);
        return fakeReport(scenario);
      },
      previous,
      record: resultsAppender(file, previous),
      log: (line) => log.push(line),
      now: ticking(1000),
    });
    expect(played).toEqual([4, 6]);
    expect(result.runs.map((x) => [x.seed, x.resumed])).toEqual([[3, true], [4, false], [5, true], [6, false]]);
    expect(result.summary).toEqual(summarizeSweep([3, 4, 5, 6].map(r)));
    expect(log[0]).toBe('results file: 2 of the 4 seeds done already (skipped), 1 that failed before played again, 1 reports of other seeds left out');

    // The file: the old lines, the cut line gone, the two new results; a second rerun plays nothing.
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as SweepLine).seed)).toEqual([3, 4, 99, 5, 4, 6]);
    const again = await readResults(file);
    expect(again.truncateTo).toBeNull();
    expect(again.failedSeeds.size).toBe(0);
    const rerun = await runSweep({ firstSeed: 3, count: 4, generate: generateScenario, run: () => Promise.reject(new Error('must not run')), previous: again, log: () => undefined, now: ticking(1) });
    expect(rerun.failed).toEqual([]);
    expect(rerun.summary).toEqual(result.summary);
  });
});

describe('runSweep with a results file of another --max-hosts', () => {
  it('refuses a report of another scenario under one of its seeds', async () => {
    const previous = parseResults(`${JSON.stringify({ seed: 3, report: fakeReport(generateScenario(3)) })}\n`, 'r.jsonl');
    const sweep = runSweep({ firstSeed: 3, count: 1, generate: (seed) => generateScenario(seed, { maxHosts: 400 }), run: () => Promise.reject(new Error('must not run')), previous, log: () => undefined, now: ticking(1) });
    await expect(sweep).rejects.toThrow(/holds seed 3 as scenario generated-3, but this sweep plays generated-3-max400/);
  });
});

describe('results files', () => {
  it('a file that cannot be written is an error when it is opened, before any run', () => {
    expect(() => resultsAppender(join(dir, 'no-such-dir', 'r.jsonl'), { reports: new Map(), failedSeeds: new Set(), truncateTo: null })).toThrow(ResultsFileError);
    expect(() => resultsAppender(join(dir, 'no-such-dir', 'r.jsonl'), { reports: new Map(), failedSeeds: new Set(), truncateTo: null })).toThrow(/r\.jsonl: cannot write it: /);
  });

  it('a missing file holds nothing', async () => {
    const p = await readResults(join(dir, 'none.jsonl'));
    expect(p.reports.size).toBe(0);
    expect(p.truncateTo).toBeNull();
  });

  it.each([
    ['not json\n', /line 1 is not JSON/],
    ['{"report": {}}\n', /line 1 has no seed/],
    ['{"seed": 1}\n', /line 1 \(seed 1\) holds neither a report nor an error/],
    [`{"seed": 1, "error": "x"}\n{"seed": 2, "report": {"scenario": "s"}}\n`, /line 2 \(seed 2\) holds neither/],
  ])('refuses %j', (text, message) => {
    expect(() => parseResults(text, 'r.jsonl')).toThrow(ResultsFileError);
    expect(() => parseResults(text, 'r.jsonl')).toThrow(message);
  });
});

describe('progress text', () => {
  it('summaryLine lists every summary field', () => {
    const s = { precision: 1, recall: 0.5, badExposureMedian: 0.0142, badHarmedTotal: 6, goodCoverage: null, goodDaysTo95Median: 9.5, wallSeconds: 41 };
    expect(summaryLine(s)).toBe('precision 1 recall 0.500 badExposureMedian 0.014 badHarmedTotal 6 goodCoverage - goodDaysTo95Median 9.500 wallSeconds 41.0');
  });

  it('duration', () => {
    expect([duration(0), duration(59.4), duration(61), duration(3725), duration(-3)]).toEqual(['0 s', '59 s', '1 min 01 s', '1 h 02 min', '0 s']);
  });
});
