/**
 * The arithmetic of the dashboard's time charts (line-chart.tsx): scales,
 * SVG paths and tick marks. Pure, so it is tested without a browser.
 */

/** One point of a series: a time (ms since the epoch) and a value. */
export interface ChartPoint {
  t: number;
  v: number;
}

/** A line of a chart: its key, its name in words and its points, oldest first. */
export interface ChartSeries {
  key: string;
  label: string;
  points: ChartPoint[];
  /** Drawn as steps: the value holds until the next point (a score that changes now and then). */
  step?: boolean;
}

/** A moment marked across the chart (a change on a host). */
export interface ChartMarker {
  t: number;
  label: string;
}

/** A linear map of [d0, d1] onto [r0, r1]; a zero-width domain maps to the middle of the range. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (x) => r0 + (x - d0) * k;
}

const round = (x: number): number => Math.round(x * 10) / 10;

/**
 * The SVG path of a series' points; a step series holds each value until the
 * next point and, when `until` is later than its last point, to `until`.
 */
export function linePath(points: readonly ChartPoint[], x: (t: number) => number, y: (v: number) => number, step = false, until?: number): string {
  if (points.length === 0) return '';
  const parts: string[] = [];
  points.forEach((p, i) => {
    if (i === 0) parts.push(`M${round(x(p.t))},${round(y(p.v))}`);
    else if (step) parts.push(`H${round(x(p.t))}`, `V${round(y(p.v))}`);
    else parts.push(`L${round(x(p.t))},${round(y(p.v))}`);
  });
  const last = points[points.length - 1]!;
  if (step && until !== undefined && until > last.t) parts.push(`H${round(x(until))}`);
  return parts.join(' ');
}

/** The smallest "nice" upper bound (1, 2, 5 times a power of ten) at or above `max`; at least `floor`. */
export function niceMax(max: number, floor = 1): number {
  const m = Math.max(max, floor);
  const p = 10 ** Math.floor(Math.log10(m));
  for (const f of [1, 2, 5, 10]) if (f * p >= m) return f * p;
  return 10 * p;
}

/** Tick values 0..max in `count` equal steps (integers when max allows; whole steps for a small whole max, counts being whole). */
export function valueTicks(max: number, count = 4): number[] {
  if (Number.isInteger(max) && max > 0 && max < count) count = max;
  const step = max / count;
  return Array.from({ length: count + 1 }, (_, i) => (Number.isInteger(step) ? i * step : round(i * step)));
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY];

/** Time ticks on whole steps (minutes, hours or days, UTC) between from and to, at most about `count` of them; both ends when the span is under a minute. */
export function timeTicks(from: number, to: number, count = 6): number[] {
  if (!(to > from)) return [from];
  if (to - from < MINUTE) return [from, to];
  const step = STEPS.find((s) => (to - from) / s <= count) ?? Math.ceil((to - from) / count / DAY) * DAY;
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}

/** The time span the series and markers cover; one hour either side of a single moment. */
export function timeExtent(series: readonly ChartSeries[], markers: readonly ChartMarker[] = []): [number, number] | null {
  const times = [...series.flatMap((s) => s.points.map((p) => p.t)), ...markers.map((m) => m.t)];
  if (times.length === 0) return null;
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  return lo === hi ? [lo - HOUR, hi + HOUR] : [lo, hi];
}
