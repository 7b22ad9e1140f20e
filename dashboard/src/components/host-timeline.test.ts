import { describe, expect, it } from 'vitest';
import type { HostHealth, HostOverview } from '../api/types';
import { changeMarkers, healthSeries, timelineRows } from './host-timeline';

const point = (start: string, counts: Partial<Record<'appCrashes' | 'kernelCrashes' | 'serviceFailures' | 'unexpectedShutdowns' | 'probeFailures', number | null>>): HostHealth['series'][number] => ({
  start,
  end: new Date(Date.parse(start) + 3_600_000).toISOString(),
  samples: 12,
  coveredSec: 3600,
  appCrashes: 0,
  kernelCrashes: 0,
  serviceFailures: 0,
  unexpectedShutdowns: 0,
  probeFailures: 0,
  probeRuns: 12,
  bootIds: ['b1'],
  ...counts,
});
const health = {
  from: '2026-12-06T00:00:00.000Z',
  to: '2026-12-07T00:00:00.000Z',
  series: [point('2026-12-06T08:00:00.000Z', { appCrashes: 2, kernelCrashes: 1, unexpectedShutdowns: null }), point('2026-12-06T09:00:00.000Z', { serviceFailures: 4 })],
  events: [{ kind: 'app-crash', at: '2026-12-06T08:12:00.000Z', subject: 'nginx', message: 'signal 11' }],
} as HostHealth;
const change = (at: string, summary: string): HostOverview['timeline'][number] => ({ at, source: 'rollout', event: 'rollout.installed', summary });
const changes = [change('2026-12-06T08:30:00.000Z', 'installed USN-1-1'), change('2026-12-06T13:05:00.000Z', 'rebooted'), change('2026-12-01T00:00:00.000Z', 'enrolled long ago')];

describe('host health beside changes', () => {
  it('draws each health count per interval, crashes as app plus kernel, leaving out unreported intervals', () => {
    const series = healthSeries(health.series);
    expect(series.map((s) => [s.key, s.points.map((p) => p.v)])).toEqual([
      ['crashes', [3, 0]],
      ['services', [0, 4]],
      ['shutdowns', [0]],
      ['probes', [0, 0]],
    ]);
  });

  it('marks only the changes inside the chart range', () => {
    expect(changeMarkers(changes, Date.parse(health.from), Date.parse(health.to)).map((m) => m.label)).toEqual(['installed USN-1-1', 'rebooted']);
  });

  it('lists hours with samples, changes or events newest first, a change outside any sample in its own hour', () => {
    const rows = timelineRows(health, changes);
    expect(rows.map((r) => [r.start, r.counts, r.changes.map((c) => c.summary), r.events.map((e) => e.subject)])).toEqual([
      ['2026-12-06T13:00:00.000Z', [null, null, null, null], ['rebooted'], []],
      ['2026-12-06T09:00:00.000Z', [0, 4, 0, 0], [], []],
      ['2026-12-06T08:00:00.000Z', [3, 0, null, 0], ['installed USN-1-1'], ['nginx']],
    ]);
  });

  it('sums raw samples of a few minutes into their hour', () => {
    const raw = { ...health, series: [point('2026-12-06T10:00:00.000Z', { appCrashes: 1 }), point('2026-12-06T10:05:00.000Z', { appCrashes: 2, unexpectedShutdowns: null }), point('2026-12-06T10:55:00.000Z', { probeFailures: 1 })], events: [] } as HostHealth;
    expect(timelineRows(raw, []).map((r) => [r.start, r.end, r.counts])).toEqual([['2026-12-06T10:00:00.000Z', '2026-12-06T11:00:00.000Z', [3, 0, 0, 1]]]);
  });
});
