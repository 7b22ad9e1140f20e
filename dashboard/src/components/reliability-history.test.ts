import { describe, expect, it } from 'vitest';
import type { Reliability } from '../api/types';
import { ALL_CLASSES, classOptions, historyRows, historySeries, historySummary } from './reliability-history';

const WEB = '["ubuntu","24.04","R650","web"]';
const DB = '["ubuntu","24.04","R650","db"]';
const h = (hostClass: string, at: string, score: number, confidence = 0.2) => ({ hostClass, at, score, confidence, reasons: [`r${score}`] });
const history: Reliability['history'] = [h('', '2026-12-01T10:00:00Z', 88), h(WEB, '2026-12-02T10:00:00Z', 70), h('', '2026-12-02T10:00:00Z', 75), h(DB, '2026-12-03T10:00:00Z', 90), h(WEB, '2026-12-04T10:00:00Z', 40, 0.6)];
const classes: Reliability['classes'] = [
  { hostClass: WEB, label: 'Ubuntu 24.04 / R650 / web', score: 40, confidence: 0.6, pHarm: 0.3, trials: 5, harmed: 2, reasons: [], computedAt: '2026-12-04T10:00:00Z' },
  { hostClass: DB, label: 'Ubuntu 24.04 / R650 / db', score: 90, confidence: 0.3, pHarm: 0.01, trials: 3, harmed: 0, reasons: [], computedAt: '2026-12-03T10:00:00Z' },
];

describe('reliability history', () => {
  it('draws one step line per class, the whole patch first, points oldest first', () => {
    const series = historySeries(history, classes);
    expect(series.map((s) => [s.label, s.points.map((p) => p.v), s.step])).toEqual([
      ['Whole patch', [88, 75], true],
      ['Ubuntu 24.04 / R650 / db', [90], true],
      ['Ubuntu 24.04 / R650 / web', [70, 40], true],
    ]);
    expect(series[0]!.points[0]!.t).toBe(Date.parse('2026-12-01T10:00:00Z'));
  });

  it('keeps one class when one is selected, in the chart and the table', () => {
    expect(historySeries(history, classes, WEB).map((s) => s.label)).toEqual(['Ubuntu 24.04 / R650 / web']);
    expect(historyRows(history, classes, WEB).map((r) => [r.score, r.confidence])).toEqual([
      [40, 0.6],
      [70, 0.2],
    ]);
    expect(historyRows(history, classes, ALL_CLASSES).map((r) => r.at)).toEqual([...history.map((x) => x.at)].sort().reverse());
  });

  it('offers the whole patch then the classes by label, including a class known only from history', () => {
    expect(classOptions([...history, h('["windows"]', '2026-12-05T00:00:00Z', 50)], classes).map((o) => o.label)).toEqual(['Whole patch', '["windows"]', 'Ubuntu 24.04 / R650 / db', 'Ubuntu 24.04 / R650 / web']);
  });

  it('says in words where each line went', () => {
    expect(historySummary(historySeries(history, classes))).toBe('Whole patch: from 88 to 75 over 2 changes. Ubuntu 24.04 / R650 / db: 90, unchanged. Ubuntu 24.04 / R650 / web: from 70 to 40 over 2 changes.');
    expect(historySummary([])).toBe('No score recorded yet.');
  });
});
