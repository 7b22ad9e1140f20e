import { describe, expect, it } from 'vitest';
import { buildReport, daysTo95, goalsMet, median, medianOrNever, summarize, summarizeSweep, type PairOutcome, type PairResult, type RolloutReport } from './metrics';
import type { PairTruth } from './truth';

const truth = (patch: string, cls: string, bad: boolean): PairTruth => ({ patch, class: cls, bad, reasons: bad ? ['crashMultiplier 6 >= 2'] : [] });

function outcome(patch: string, cls: string, o: Partial<PairOutcome> = {}): PairOutcome {
  return { patch, class: cls, blocked: false, blockedAtDay: null, exposed: 0, harmed: 0, rolledBack: 0, hosts: 100, patchedAtEnd: 0, daysTo95: null, ...o };
}

function pair(bad: boolean, o: Partial<PairResult> = {}): PairResult {
  return { patch: 'KB5000001', class: 'c', bad, blocked: false, blockedAtDay: null, exposed: 0, harmed: 0, rolledBack: 0, hosts: 100, patchedAtEnd: 0, daysTo95: null, ...o };
}

describe('buildReport', () => {
  const t = [truth('KB5066835', 'dell', false), truth('KB5066835', 'lenovo', true), truth('USN-7545-1', 'web', false)];
  const outcomes = [
    outcome('USN-7545-1', 'web', { hosts: 500, exposed: 500, patchedAtEnd: 490, daysTo95: 6.5 }),
    outcome('KB5066835', 'lenovo', { hosts: 500, exposed: 14, harmed: 6, rolledBack: 6, blocked: true, blockedAtDay: 1.6 }),
    outcome('KB5066835', 'dell', { hosts: 900, exposed: 900, patchedAtEnd: 880, daysTo95: 9.5 }),
  ];

  it('prints the README shape: pairs in truth order with the verdict, then the summary', () => {
    const r = buildReport('mixed', t, outcomes, 41.234);
    expect(JSON.parse(JSON.stringify(r))).toEqual({
      scenario: 'mixed',
      pairs: [
        { patch: 'KB5066835', class: 'dell', bad: false, blocked: false, blockedAtDay: null, exposed: 900, harmed: 0, rolledBack: 0, hosts: 900, patchedAtEnd: 880, daysTo95: 9.5 },
        { patch: 'KB5066835', class: 'lenovo', bad: true, blocked: true, blockedAtDay: 1.6, exposed: 14, harmed: 6, rolledBack: 6, hosts: 500, patchedAtEnd: 0, daysTo95: null },
        { patch: 'USN-7545-1', class: 'web', bad: false, blocked: false, blockedAtDay: null, exposed: 500, harmed: 0, rolledBack: 0, hosts: 500, patchedAtEnd: 490, daysTo95: 6.5 },
      ],
      summary: { precision: 1, recall: 1, badExposureMedian: 0.028, badHarmedTotal: 6, goodCoverage: 1370 / 1400, goodDaysTo95Median: 8, wallSeconds: 41.2 },
    });
    expect(Object.keys(r.pairs[0]!)).toEqual(['patch', 'class', 'bad', 'blocked', 'blockedAtDay', 'exposed', 'harmed', 'rolledBack', 'hosts', 'patchedAtEnd', 'daysTo95']);
    expect(Object.keys(r.summary)).toEqual(['precision', 'recall', 'badExposureMedian', 'badHarmedTotal', 'goodCoverage', 'goodDaysTo95Median', 'wallSeconds']);
  });

  it('refuses missing, repeated and unknown pairs', () => {
    expect(() => buildReport('x', t, outcomes.slice(1), 1)).toThrow('no outcome for USN-7545-1 on web');
    expect(() => buildReport('x', t, [...outcomes, outcomes[0]!], 1)).toThrow('two outcomes for USN-7545-1 on web');
    expect(() => buildReport('x', t, [...outcomes, outcome('KB5066835', 'hp')], 1)).toThrow('not a pair of the scenario');
  });

  it('refuses counts that cannot be right', () => {
    const bad = (o: Partial<PairOutcome>) => () => buildReport('x', [t[0]!], [outcome('KB5066835', 'dell', o)], 1);
    expect(bad({ exposed: 101 })).toThrow('more hosts exposed');
    expect(bad({ patchedAtEnd: 101 })).toThrow('more hosts exposed or patched');
    expect(bad({ exposed: 3, harmed: 4 })).toThrow('more hosts harmed');
    expect(bad({ exposed: 3, rolledBack: 4 })).toThrow('rolled back');
    expect(bad({ exposed: -1 })).toThrow('exposed -1 is not a count');
    expect(bad({ harmed: 0.5, exposed: 1 })).toThrow('harmed 0.5 is not a count');
    expect(bad({ hosts: 0 })).toThrow('no host');
    expect(bad({ blocked: true })).toThrow('blocked without blockedAtDay');
    expect(bad({ exposed: 100, patchedAtEnd: 100 })).not.toThrow();
  });
});

describe('summarize', () => {
  it('computes precision and recall from blocked and bad pairs', () => {
    const s = summarize([pair(true, { blocked: true, blockedAtDay: 1 }), pair(true), pair(false, { blocked: true, blockedAtDay: 2 }), pair(false), pair(true, { blocked: true, blockedAtDay: 3 })], 0);
    expect(s.precision).toBeCloseTo(2 / 3, 12);
    expect(s.recall).toBeCloseTo(2 / 3, 12);
  });

  it('gives precision 1 when nothing is blocked', () => {
    const s = summarize([pair(true), pair(false)], 0);
    expect(s.precision).toBe(1);
    expect(s.recall).toBe(0);
  });

  it('gives recall 1 and no exposure median when nothing is bad', () => {
    const s = summarize([pair(false, { blocked: true, blockedAtDay: 1 }), pair(false)], 0);
    expect(s.recall).toBe(1);
    expect(s.precision).toBe(0);
    expect(s.badExposureMedian).toBeNull();
    expect(s.badHarmedTotal).toBe(0);
  });

  it('takes the median exposure and the total harm over bad pairs only', () => {
    const s = summarize([pair(true, { exposed: 1, harmed: 1 }), pair(true, { exposed: 5, harmed: 2 }), pair(true, { exposed: 30, harmed: 7, hosts: 1000 }), pair(false, { exposed: 100, harmed: 50 })], 0);
    expect(s.badExposureMedian).toBe(0.03); // 0.01, 0.03 (30 of 1000), 0.05
    expect(s.badHarmedTotal).toBe(10);
  });

  it('pools good coverage over hosts', () => {
    const s = summarize([pair(false, { hosts: 1000, patchedAtEnd: 990 }), pair(false, { hosts: 10, patchedAtEnd: 0 }), pair(true, { hosts: 500, patchedAtEnd: 0 })], 0);
    expect(s.goodCoverage).toBe(990 / 1010);
    expect(summarize([pair(true)], 0).goodCoverage).toBeNull();
  });

  it('gives a null days-to-95 median when most good pairs never got there', () => {
    expect(summarize([pair(false, { daysTo95: 3 }), pair(false), pair(false)], 0).goodDaysTo95Median).toBeNull();
    expect(summarize([pair(false, { daysTo95: 3 }), pair(false, { daysTo95: 7 }), pair(false)], 0).goodDaysTo95Median).toBe(7);
    expect(summarize([pair(false, { daysTo95: 3 }), pair(false, { daysTo95: 8 }), pair(true, { daysTo95: null })], 0).goodDaysTo95Median).toBe(5.5);
  });
});

describe('median and medianOrNever', () => {
  it('take the middle value, or the mean of the two middle ones', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(medianOrNever([null, 1, 2])).toBe(2);
    expect(medianOrNever([null, 1, 2, 3])).toBe(2.5);
    expect(medianOrNever([null, null, 1, 2])).toBeNull();
    expect(medianOrNever([])).toBeNull();
  });
});

describe('daysTo95', () => {
  it('gives the days from release to the first point with 95 % patched', () => {
    const series = [{ day: 2, patched: 0 }, { day: 3.5, patched: 10 }, { day: 6, patched: 18 }, { day: 9.25, patched: 19 }, { day: 10, patched: 17 }, { day: 12, patched: 20 }];
    expect(daysTo95(series, 20, 2)).toBe(7.25); // 19 of 20 is 95 %
    expect(daysTo95(series, 21, 2)).toBe(10); // ceil(19.95) = 20
    expect(daysTo95(series, 20, 2, 0.5)).toBe(1.5); // 10 of 20 at day 3.5
  });

  it('is null when 95 % is never reached, and for an empty series', () => {
    expect(daysTo95([{ day: 1, patched: 18 }], 20, 0)).toBeNull();
    expect(daysTo95([], 20, 0)).toBeNull();
  });

  it('needs every host of a class of one, and refuses a series going back in time', () => {
    expect(daysTo95([{ day: 1, patched: 0 }, { day: 4, patched: 1 }], 1, 1)).toBe(3);
    expect(() => daysTo95([{ day: 4, patched: 0 }, { day: 3, patched: 1 }], 1, 0)).toThrow(RangeError);
  });
});

describe('goalsMet and summarizeSweep', () => {
  const report = (name: string, pairs: PairResult[], wallSeconds = 10): RolloutReport => ({ scenario: name, pairs, summary: summarize(pairs, wallSeconds) });
  const perfect = report('perfect', [
    pair(true, { blocked: true, blockedAtDay: 1, exposed: 1, harmed: 1, rolledBack: 1 }),
    pair(false, { exposed: 100, patchedAtEnd: 100, daysTo95: 4 }),
  ]);
  const slow = report('slow', [pair(false, { exposed: 100, patchedAtEnd: 96, daysTo95: 12 })], 30);
  const missed = report('missed', [
    pair(true, { exposed: 100, harmed: 20 }),
    pair(false, { blocked: true, blockedAtDay: 3, exposed: 5, patchedAtEnd: 0 }),
  ]);

  it('checks each goal against a run', () => {
    expect(goalsMet(perfect)).toEqual({ precision: true, recall: true, badExposureMedian: true, goodCoverage: true, goodDaysTo95Median: true, all: true });
    expect(goalsMet(slow)).toEqual({ precision: true, recall: true, badExposureMedian: true, goodCoverage: true, goodDaysTo95Median: false, all: false });
    expect(goalsMet(missed)).toEqual({ precision: false, recall: false, badExposureMedian: false, goodCoverage: false, goodDaysTo95Median: false, all: false });
  });

  it('counts the runs meeting each goal and pools the pairs', () => {
    const s = summarizeSweep([perfect, slow, missed]);
    expect(s.scenarios).toBe(3);
    expect(s.pairs).toEqual({ total: 5, bad: 2, good: 3, blocked: 2 });
    expect(s.goalsMet).toEqual({ precision: 2, recall: 2, badExposureMedian: 2, goodCoverage: 2, goodDaysTo95Median: 1, all: 1 });
    expect(s.pooled.precision).toBe(0.5);
    expect(s.pooled.recall).toBe(0.5);
    expect(s.pooled.badExposureMedian).toBeCloseTo(0.505, 12);
    expect(s.pooled.badHarmedTotal).toBe(21);
    expect(s.pooled.goodCoverage).toBe(196 / 300);
    expect(s.pooled.goodDaysTo95Median).toBe(12);
    expect(s.pooled.wallSeconds).toBe(50);
    expect(s.medianOfRuns).toEqual({ precision: 0.5, recall: 0.5, badExposureMedian: 0.505, goodCoverage: 0.96, goodDaysTo95Median: 12, wallSeconds: 10 });
    expect(s.goals.recall).toBe(0.99);
  });

  it('summarizes an empty sweep without dividing by zero', () => {
    const s = summarizeSweep([]);
    expect(s.scenarios).toBe(0);
    expect(s.pooled.precision).toBe(1);
    expect(s.goalsMet.all).toBe(0);
  });
});
