/** A window opening in words, in the window's own time zone: "Sat 28 Nov 2026, 03:00–06:00 Europe/Paris". */
import type { NextWindows } from '../api/types';

type Opening = NextWindows['openings'][number];

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Local date and time parts of an instant in `timeZone`. */
function local(iso: string, timeZone: string): { day: string; time: string } {
  const p = Object.fromEntries(formatter(timeZone).formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return { day: `${p.weekday ?? ''} ${p.day ?? ''} ${p.month ?? ''} ${p.year ?? ''}`, time: `${p.hour ?? ''}:${p.minute ?? ''}` };
}

/** One opening: its day and hours in its zone; a closing on a later local day carries that day too. */
export function openingText(o: Pick<Opening, 'start' | 'end' | 'timeZone'>): string {
  const a = local(o.start, o.timeZone);
  const b = local(o.end, o.timeZone);
  return `${a.day}, ${a.time}–${b.day === a.day ? '' : `${b.day} `}${b.time} ${o.timeZone}`;
}
