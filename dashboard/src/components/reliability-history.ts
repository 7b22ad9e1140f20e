/**
 * A patch's reliability history (GET /patches/{id}/reliability) shaped for
 * its chart and table: one step line per host class, the whole patch first.
 */
import type { Reliability } from '../api/types';
import type { ChartSeries } from './chart-geometry';

/** The history's key for the patch as a whole (class ''). */
export const WHOLE_PATCH = '';
/** The selector's value for every class at once. */
export const ALL_CLASSES = '*';

type History = Reliability['history'];
type Classes = Reliability['classes'];

/** A class in words: the report's label, "Whole patch" for '', else the raw key. */
export function classLabel(hostClass: string, classes: Classes): string {
  if (hostClass === WHOLE_PATCH) return 'Whole patch';
  return classes.find((c) => c.hostClass === hostClass)?.label ?? hostClass;
}

/** The classes the selector offers: the whole patch, then every class with history or a score, by label. */
export function classOptions(history: History, classes: Classes): { value: string; label: string }[] {
  const keys = new Set([...history.map((h) => h.hostClass), ...classes.map((c) => c.hostClass)]);
  keys.delete(WHOLE_PATCH);
  const rest = [...keys].map((k) => ({ value: k, label: classLabel(k, classes) })).sort((a, b) => a.label.localeCompare(b.label));
  return [{ value: WHOLE_PATCH, label: 'Whole patch' }, ...rest];
}

/** Chart lines of the selected class (or every class), each a step line over its score changes, oldest first. */
export function historySeries(history: History, classes: Classes, selected: string = ALL_CLASSES): ChartSeries[] {
  const byClass = new Map<string, { t: number; v: number }[]>();
  for (const h of history) {
    if (selected !== ALL_CLASSES && h.hostClass !== selected) continue;
    const list = byClass.get(h.hostClass) ?? [];
    list.push({ t: Date.parse(h.at), v: h.score });
    byClass.set(h.hostClass, list);
  }
  return [...byClass.entries()]
    .map(([key, points]) => ({ key: key || 'whole', label: classLabel(key, classes), points: points.sort((a, b) => a.t - b.t), step: true }))
    .sort((a, b) => (a.key === 'whole' ? -1 : b.key === 'whole' ? 1 : a.label.localeCompare(b.label)));
}

/** The history rows of the selection, newest first, for the table beside the chart. */
export function historyRows(history: History, classes: Classes, selected: string = ALL_CLASSES) {
  return history
    .filter((h) => selected === ALL_CLASSES || h.hostClass === selected)
    .map((h) => ({ at: h.at, label: classLabel(h.hostClass, classes), score: h.score, confidence: h.confidence, reasons: h.reasons }))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/** One sentence of what the chart shows, for its description. */
export function historySummary(series: ChartSeries[]): string {
  if (series.length === 0) return 'No score recorded yet.';
  return series
    .map((s) => {
      const first = s.points[0]!;
      const last = s.points[s.points.length - 1]!;
      return s.points.length === 1 ? `${s.label}: ${last.v}, unchanged.` : `${s.label}: from ${first.v} to ${last.v} over ${s.points.length} changes.`;
    })
    .join(' ');
}
