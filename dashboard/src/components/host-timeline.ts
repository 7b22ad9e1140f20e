/**
 * A host's health (GET /hosts/{id}/health, hourly) beside its changes (the
 * overview's timeline: installs, rollbacks, reboots, commands, audit), shaped
 * for one chart and one table that share a time axis.
 */
import type { HostHealth, HostOverview } from '../api/types';
import type { ChartMarker, ChartSeries } from './chart-geometry';

type Point = HostHealth['series'][number];
type Change = HostOverview['timeline'][number];

/** The health counts drawn, in the order of the chart's legend and the table's columns. */
export const HEALTH_LINES = [
  { key: 'crashes', label: 'Crashes (app and kernel)', of: (p: Point) => sum(p.appCrashes, p.kernelCrashes) },
  { key: 'services', label: 'Service failures', of: (p: Point) => p.serviceFailures },
  { key: 'shutdowns', label: 'Unexpected shutdowns', of: (p: Point) => p.unexpectedShutdowns },
  { key: 'probes', label: 'Probe failures', of: (p: Point) => p.probeFailures },
] as const;

/** a + b where either is known; null when neither source reported. */
function sum(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

/** One line per health count, a point per interval at its start; intervals whose source was unavailable leave a gap. */
export function healthSeries(series: readonly Point[]): ChartSeries[] {
  return HEALTH_LINES.map((line) => ({
    key: line.key,
    label: line.label,
    points: series.flatMap((p) => {
      const v = line.of(p);
      return v === null ? [] : [{ t: Date.parse(p.start), v }];
    }),
  }));
}

/** The changes inside [from, to] as chart markers. */
export function changeMarkers(changes: readonly Change[], from: number, to: number): ChartMarker[] {
  return changes.map((c) => ({ t: Date.parse(c.at), label: c.summary })).filter((m) => m.t >= from && m.t <= to);
}

/** One row of the table beside the chart: an hour's health (its samples summed) and the changes and health events inside it. */
export interface TimelineRow {
  start: string;
  end: string;
  /** The HEALTH_LINES counts summed over the hour's samples; null where no sample of the hour reported it. */
  counts: (number | null)[];
  changes: Change[];
  events: HostHealth['events'];
}

const HOUR = 3_600_000;

/**
 * UTC hours with a sample, a change or a health event, newest first: the
 * table beside the chart, whatever the samples' interval (raw samples of a
 * few minutes are summed into their hour; an hourly roll-up is its own row).
 */
export function timelineRows(health: HostHealth, changes: readonly Change[]): TimelineRow[] {
  const from = Date.parse(health.from);
  const to = Date.parse(health.to);
  const rows = new Map<number, TimelineRow>();
  const slotOf = (t: number): TimelineRow => {
    const s = Math.floor(t / HOUR) * HOUR;
    let row = rows.get(s);
    if (!row) {
      row = { start: new Date(s).toISOString(), end: new Date(s + HOUR).toISOString(), counts: HEALTH_LINES.map(() => null), changes: [], events: [] };
      rows.set(s, row);
    }
    return row;
  };
  for (const p of health.series) {
    const row = slotOf(Date.parse(p.start));
    HEALTH_LINES.forEach((line, i) => {
      const v = line.of(p);
      if (v !== null) row.counts[i] = (row.counts[i] ?? 0) + v;
    });
  }
  for (const c of changes) {
    const t = Date.parse(c.at);
    if (t >= from && t <= to) slotOf(t).changes.push(c);
  }
  for (const e of health.events) {
    const t = Date.parse(e.at);
    if (t >= from && t <= to) slotOf(t).events.push(e);
  }
  return [...rows.values()].sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
}
