/**
 * Maintenance-window arithmetic for the rollout planner: is a ring's window
 * open now, and when does the next one open. Pure: callers pass the time.
 *
 * A window opens each time its 5-field cron expression fires in its IANA time
 * zone and stays open `durationMin` minutes. How local wall-clock times map to
 * instants around DST changes:
 * - a local time skipped by spring-forward (02:30 in Berlin on the last Sunday
 *   of March) fires at the same local time read with the old offset, i.e. the
 *   gap's length later (03:30 CEST), so a weekly window is not lost;
 * - a local time repeated by fall-back (01:30 in New York on the first Sunday
 *   of November) fires once, at its first occurrence, unless the hour field is
 *   every hour (`30 * * * *`): then it fires in both passes, keeping hourly
 *   windows one real hour apart.
 *
 * cron-parser is used in UTC on a "local wall-clock as if it were UTC" axis and
 * the zone conversion is done here, because cron-parser's own `tz` handling
 * disagrees between `prev()` and `next()` around DST changes (prev() skips the
 * spring-forward firing and repeats the fall-back one; next() depends on where
 * it starts), which would make "open now" and "next start" contradict each other.
 */
import { type CronExpression, CronExpressionParser } from 'cron-parser';
import { validate as validateCron } from 'node-cron';
import { PfError, Errors } from '@patchfleet/shared/errors';
import type { MaintenanceWindow } from '../db/schema/index';
import { isTimeZone } from './ring-validation';

/** An open window occurrence: `start <= t < end`, ms since epoch. */
export interface WindowSpan {
  start: number;
  end: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How far `nextWindowStart` (and the look-back for an open window) searches. */
export const WINDOW_HORIZON_MS = 366 * DAY_MS;

interface ParsedCron {
  readonly timeZone: string;
  /** Cron evaluated in UTC over local wall-clock ms; stateful, reset before each use. */
  readonly expr: CronExpression;
  /** Hour field matches all 24 hours: a repeated local hour fires twice. */
  readonly everyHour: boolean;
  /** Last answer: no firing lies strictly between `prev` and `next`, so any t in [prev, next) reuses it. */
  bracket?: { prev: number; next: number };
}

// The planner asks about the same few windows every few seconds; parsing and
// the DST-aware walk cost far more than a map lookup. Bounded so that a stream
// of distinct (e.g. user-edited) expressions cannot grow it without limit.
const CACHE_LIMIT = 512;
const parsedCache = new Map<string, ParsedCron>();
const formatterCache = new Map<string, Intl.DateTimeFormat>();

/**
 * Whether a ring with these windows may be worked on at any time. An empty list
 * means "no windows configured", which callers treat as always open;
 * `openWindowAt` and `nextWindowStart` return undefined for it, so check this first.
 */
export function isAlwaysOpen(windows: readonly MaintenanceWindow[]): boolean {
  return windows.length === 0;
}

/**
 * The window occurrence containing `at` (start <= at < end); when several
 * overlap (several windows, or one whose duration exceeds the gap between its
 * firings), the one ending last. `start` is that occurrence's own start, not
 * the start of the whole overlapping run. Undefined if none is open, including
 * for an empty list (see `isAlwaysOpen`). Throws PfError VALIDATION for a bad window.
 */
export function openWindowAt(windows: readonly MaintenanceWindow[], at: number): WindowSpan | undefined {
  let best: WindowSpan | undefined;
  windows.forEach((w, i) => {
    const parsed = parsedWindow(w, i);
    // All occurrences of one window last equally long, so its latest start
    // at or before `at` is the one that ends last.
    const start = bracketAt(parsed, at).prev;
    if (start === undefined) return;
    const end = start + w.durationMin * MINUTE_MS;
    if (at >= end) return;
    if (best === undefined || end > best.end || (end === best.end && start < best.start)) best = { start, end };
  });
  return best;
}

/**
 * The earliest window start strictly after `after`, or undefined when no window
 * opens within `WINDOW_HORIZON_MS` (366 days) or the list is empty. Throws
 * PfError VALIDATION for a bad window.
 */
export function nextWindowStart(windows: readonly MaintenanceWindow[], after: number): number | undefined {
  let best: number | undefined;
  windows.forEach((w, i) => {
    const next = bracketAt(parsedWindow(w, i), after).next;
    if (next !== undefined && next - after <= WINDOW_HORIZON_MS && (best === undefined || next < best)) best = next;
  });
  return best;
}

/** One upcoming opening of a ring's windows: which window (its index and itself), when it opens and closes. */
export interface WindowOpening extends WindowSpan {
  window: number;
  of: MaintenanceWindow;
}

/**
 * The next `count` openings of `windows` strictly after `after`, earliest
 * first (ties: lower window index first), each window walked with the
 * planner's own `nextWindowStart`, so a preview never disagrees with what
 * the planner will do. Empty for an empty list (always open) and beyond
 * the horizon. Throws PfError VALIDATION for a bad window.
 */
export function nextOpenings(windows: readonly MaintenanceWindow[], after: number, count: number): WindowOpening[] {
  nextWindowStart(windows, after); // validates the whole list, naming `windows[i]` in its message
  const all: WindowOpening[] = [];
  windows.forEach((w, i) => {
    for (let t = nextWindowStart([w], after), n = 0; t !== undefined && n < count; t = nextWindowStart([w], t), n++) {
      all.push({ window: i, of: w, start: t, end: t + w.durationMin * MINUTE_MS });
    }
  });
  return all.sort((a, b) => a.start - b.start || a.window - b.window).slice(0, count);
}

/** Validates one window and returns its cached parse; messages name `windows[i].field` like `validateWindows`. */
function parsedWindow(w: MaintenanceWindow, i: number): ParsedCron {
  if (!Number.isInteger(w.durationMin) || w.durationMin < 1) {
    throw new PfError(Errors.VALIDATION, `windows[${i}].durationMin must be a whole number of minutes >= 1, got ${String(w.durationMin)}`);
  }
  const key = `${w.timeZone}\n${w.cron}`;
  const hit = parsedCache.get(key);
  if (hit) return hit;

  if (typeof w.timeZone !== 'string' || !isTimeZone(w.timeZone)) {
    throw new PfError(Errors.VALIDATION, `windows[${i}].timeZone "${String(w.timeZone)}" is not an IANA time zone`);
  }
  const cron = typeof w.cron === 'string' ? w.cron.trim() : '';
  const badCron = (why: string, cause?: unknown) =>
    new PfError(Errors.VALIDATION, `windows[${i}].cron "${String(w.cron)}" is not a valid 5-field cron expression: ${why}`, undefined, { cause });
  // cron-parser alone would accept "" and 4 fields (as every minute), 6 fields
  // (seconds) and @aliases; node-cron keeps us in line with what validateWindows
  // admits and rejects cron-parser extensions such as H (random per parse).
  if (cron.split(/\s+/).length !== 5) throw badCron('expected minute hour day-of-month month day-of-week');
  if (!validateCron(cron)) throw badCron('rejected by the cron validator');
  let expr: CronExpression;
  try {
    expr = CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: new Date(0) });
  } catch (err) {
    // e.g. "0 0 31 4 *": passes node-cron, but can never fire.
    throw badCron(err instanceof Error ? err.message : String(err), err);
  }
  const parsed: ParsedCron = { timeZone: w.timeZone, expr, everyHour: expr.fields.hour.values.length === 24 };
  if (parsedCache.size >= CACHE_LIMIT) parsedCache.clear();
  parsedCache.set(key, parsed);
  return parsed;
}

/** Latest firing <= t and earliest firing > t (each undefined beyond the horizon), memoised per expression. */
function bracketAt(p: ParsedCron, t: number): { prev: number | undefined; next: number | undefined } {
  const b = p.bracket;
  if (b && b.prev <= t && t < b.next) return b;
  const prev = prevFiring(p, t);
  const next = nextFiring(p, t);
  if (prev !== undefined && next !== undefined) p.bracket = { prev, next };
  return { prev, next };
}

/**
 * Latest firing instant <= at. Walks local firings downwards from a little
 * above `at`'s local time, because near a DST change local order and instant
 * order can differ by up to the offset swing.
 */
function prevFiring(p: ParsedCron, at: number): number | undefined {
  const localAt = at + offsetAt(p.timeZone, at);
  let stopBelow = localAt - WINDOW_HORIZON_MS;
  p.expr.reset(new Date(localAt + offsetSwing(p.timeZone, at) + 1)); // prev() is strict
  let best: number | undefined;
  for (let local = step(p, 'prev'); local !== undefined && local >= stopBelow; local = step(p, 'prev')) {
    for (const t of instantsOf(p, local)) {
      if (t <= at && (best === undefined || t > best)) {
        best = t;
        // Lower local times map to earlier instants once past the swing.
        stopBelow = Math.max(stopBelow, local - offsetSwing(p.timeZone, t));
      }
    }
  }
  return best;
}

/** Earliest firing instant > after; mirror image of `prevFiring`. */
function nextFiring(p: ParsedCron, after: number): number | undefined {
  const localAfter = after + offsetAt(p.timeZone, after);
  let stopAbove = localAfter + WINDOW_HORIZON_MS;
  p.expr.reset(new Date(localAfter - offsetSwing(p.timeZone, after) - 1)); // next() is strict
  let best: number | undefined;
  for (let local = step(p, 'next'); local !== undefined && local <= stopAbove; local = step(p, 'next')) {
    for (const t of instantsOf(p, local)) {
      if (t > after && (best === undefined || t < best)) {
        best = t;
        stopAbove = Math.min(stopAbove, local + offsetSwing(p.timeZone, t));
      }
    }
  }
  return best;
}

/** One step of the UTC-axis iterator; undefined when cron-parser gives up searching. */
function step(p: ParsedCron, dir: 'prev' | 'next'): number | undefined {
  try {
    return (dir === 'prev' ? p.expr.prev() : p.expr.next()).getTime();
  } catch (err) {
    // Expressions that parse but match (almost) never, e.g. "0 0 L 2 1#5",
    // exhaust cron-parser's search: treat as no further firing. Anything else is a bug.
    if (err instanceof Error && /loop limit/i.test(err.message)) return undefined;
    throw err;
  }
}

/** Instants at which local wall-clock time `local` fires, applying the DST rules in the module comment. */
function instantsOf(p: ParsedCron, local: number): number[] {
  const offBefore = offsetAt(p.timeZone, local - DAY_MS);
  const offAfter = offsetAt(p.timeZone, local + DAY_MS);
  if (offBefore === offAfter) return [local - offBefore];
  const early = local - offBefore;
  const late = local - offAfter;
  const earlyValid = offsetAt(p.timeZone, early) === offBefore;
  const lateValid = offsetAt(p.timeZone, late) === offAfter;
  if (earlyValid && lateValid && early !== late) {
    const both = [Math.min(early, late), Math.max(early, late)];
    return p.everyHour ? both : [both[0]!];
  }
  if (earlyValid) return [early];
  if (lateValid) return [late];
  return [early]; // in the spring-forward gap: read with the old offset, i.e. shifted later by the gap
}

/** How much the zone's UTC offset varies within a day of `t` (0 away from DST changes). */
function offsetSwing(timeZone: string, t: number): number {
  const a = offsetAt(timeZone, t - DAY_MS);
  const b = offsetAt(timeZone, t);
  const c = offsetAt(timeZone, t + DAY_MS);
  return Math.max(a, b, c) - Math.min(a, b, c);
}

/** UTC offset of `timeZone` at instant `t`, in ms (local = t + offset). */
function offsetAt(timeZone: string, t: number): number {
  let fmt = formatterCache.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatterCache.set(timeZone, fmt);
  }
  const f: Record<string, number> = {};
  for (const part of fmt.formatToParts(t)) if (part.type !== 'literal') f[part.type] = Number(part.value);
  const wall = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!);
  return wall - Math.floor(t / 1000) * 1000;
}
