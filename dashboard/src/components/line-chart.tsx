/**
 * A small time chart drawn as inline SVG: lines (or steps) over time with a
 * legend, and optional moments marked across it. The SVG is one image with a
 * title and a description for screen readers; the page puts the numbers in a
 * table beside it (the text alternative), since a picture of a line says
 * nothing to someone who cannot see it. No chart library: these charts are
 * tens of points, and SVG keeps the page's chunk small and the values
 * readable by tests.
 */
import { useId } from 'react';
import { linearScale, linePath, niceMax, timeExtent, timeTicks, valueTicks, type ChartMarker, type ChartSeries } from './chart-geometry';

/** Line colours (AA contrast on white) and dashes, so lines differ by more than colour. */
const STYLES = [
  { color: '#0a4fb5', dash: '' },
  { color: '#a40e26', dash: '6 3' },
  { color: '#116329', dash: '2 3' },
  { color: '#7a4100', dash: '8 3 2 3' },
  { color: '#6639ba', dash: '4 4' },
  { color: '#1b1f24', dash: '1 2' },
];

const W = 720;
const H = 240;
const PAD = { left: 44, right: 12, top: 28, bottom: 28 };

function timeLabel(t: number, span: number): string {
  const d = new Date(t);
  if (span < 120_000) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return span <= 2 * 86_400_000 ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

export interface LineChartProps {
  /** What the chart shows, as its accessible name. */
  title: string;
  /** A sentence or two of what it shows (its description for screen readers). */
  description: string;
  series: ChartSeries[];
  markers?: ChartMarker[];
  /** Fixed value range top (a score's 100); otherwise a nice bound above the data. */
  yMax?: number;
  /** Fixed time range; otherwise the data's. */
  range?: [number, number];
  /** Label of the value axis. */
  unit: string;
}

export function LineChart({ title, description, series, markers = [], yMax, range, unit }: LineChartProps) {
  const id = useId();
  const extent = range ?? timeExtent(series, markers);
  if (!extent) return <p className="muted">Nothing to draw yet.</p>;
  const [from, to] = extent;
  const top = yMax ?? niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.v))));
  const x = linearScale(from, to, PAD.left, W - PAD.right);
  const y = linearScale(0, top, H - PAD.bottom, PAD.top);
  const shown = markers.filter((m) => m.t >= from && m.t <= to);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="xMidYMid meet">
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{description}</desc>
        <g className="chart-grid" aria-hidden="true">
          {valueTicks(top).map((v) => (
            <g key={`v${v}`}>
              <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
              <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end">
                {v}
              </text>
            </g>
          ))}
          {timeTicks(from, to).map((t) => (
            <text key={`t${t}`} x={x(t)} y={H - 8} textAnchor={x(t) > W - PAD.right - 40 ? 'end' : x(t) < PAD.left + 40 ? 'start' : 'middle'}>
              {timeLabel(t, to - from)}
            </text>
          ))}
          <text x={8} y={14} className="chart-unit">
            {unit}
          </text>
        </g>
        <g className="chart-markers" aria-hidden="true">
          {shown.map((m, i) => (
            <line key={`${m.t}-${i}`} x1={x(m.t)} x2={x(m.t)} y1={PAD.top} y2={H - PAD.bottom} data-at={new Date(m.t).toISOString()}>
              <title>{m.label}</title>
            </line>
          ))}
        </g>
        {series.map((s, i) => {
          const style = STYLES[i % STYLES.length]!;
          return (
            <g key={s.key} className="chart-series" data-series={s.label} aria-hidden="true">
              <path d={linePath(s.points, x, y, s.step, to)} fill="none" stroke={style.color} strokeWidth={2} strokeDasharray={style.dash || undefined} />
              {s.points.map((p) => (
                <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r={3} fill={style.color} data-value={p.v} data-at={new Date(p.t).toISOString()} />
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="chart-legend">
          {series.map((s, i) => {
            const style = STYLES[i % STYLES.length]!;
            return (
              <li key={s.key}>
                <svg width="28" height="10" aria-hidden="true">
                  <line x1="0" x2="28" y1="5" y2="5" stroke={style.color} strokeWidth={2} strokeDasharray={style.dash || undefined} />
                </svg>{' '}
                {s.label}
              </li>
            );
          })}
          {shown.length ? (
            <li>
              <svg width="28" height="10" aria-hidden="true">
                <line x1="14" x2="14" y1="0" y2="10" className="chart-marker-key" />
              </svg>{' '}
              changes ({shown.length})
            </li>
          ) : null}
        </ul>
      </figcaption>
    </figure>
  );
}
