/** Maintenance windows in words: `0 2 * * 6` for 240 min in Europe/Paris -> "cron 0 2 * * 6, 4 h, Europe/Paris". */
import type { MaintenanceWindow } from '../api/types';

export function windowText(w: MaintenanceWindow): string {
  const d = w.durationMin % 60 === 0 ? `${w.durationMin / 60} h` : `${w.durationMin} min`;
  return `cron ${w.cron}, ${d}, ${w.timeZone}`;
}

export function windowsText(ws: MaintenanceWindow[]): string {
  return ws.length ? ws.map(windowText).join('; ') : 'any time (no window)';
}
