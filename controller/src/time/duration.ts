import { PfError, Errors } from '@patchfleet/shared/errors';

const UNIT_SEC: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Parses "90s", "15m", "1h", "7d", "2w" (or a bare number of seconds) into seconds. */
export function parseDurationSec(text: string): number {
  const m = /^\s*(\d+)\s*([smhdw]?)\s*$/i.exec(text);
  if (!m?.[1]) throw new PfError(Errors.VALIDATION, `"${text.slice(0, 40)}" is not a duration (use e.g. 90s, 15m, 1h, 7d)`);
  const sec = Number(m[1]) * (UNIT_SEC[(m[2] || 's').toLowerCase()] ?? 1);
  if (sec <= 0 || !Number.isSafeInteger(sec)) throw new PfError(Errors.VALIDATION, `duration "${text}" must be positive`);
  return sec;
}
