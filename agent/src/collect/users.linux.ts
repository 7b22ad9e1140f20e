import * as si from './systeminformation';
import type { HostFacts } from '@patchfleet/shared/protocol';
import { clip } from './clip';
import { withTimeout, type WarnFn } from './with-timeout';

export type LoggedInUser = HostFacts['users'][number];

const MAX_USERS = 512;

/**
 * Converts systeminformation's `who` rows. `loginAt` is ISO 8601 UTC when
 * `who` gave a date and time it understands (they are in the host's local
 * time zone), and absent otherwise.
 */
export function toLoggedInUsers(rows: readonly si.Systeminformation.UserData[]): LoggedInUser[] {
  return rows.filter((r) => r.user).slice(0, MAX_USERS).map((r) => {
    const u: LoggedInUser = { user: clip(r.user, 255) };
    if (r.tty) u.tty = clip(r.tty, 64);
    if (r.ip) u.host = clip(r.ip, 255);
    const loginAt = localDateTimeToIso(r.date, r.time);
    if (loginAt) u.loginAt = loginAt;
    return u;
  });
}

function localDateTimeToIso(date: string, time: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{2}:\d{2}(:\d{2})?$/.test(time)) return undefined;
  // Date-time strings without an offset are read as local time, as `who` prints them.
  const t = new Date(`${date}T${time}`);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

/** Users logged in now (utmp, via `who`). */
export async function collectUsers(timeoutMs: number, warn: WarnFn): Promise<LoggedInUser[]> {
  return toLoggedInUsers(await withTimeout('systeminformation.users', si.users(), timeoutMs, [], warn));
}
