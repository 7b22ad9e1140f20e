/**
 * Sign-in sessions for the dashboard (and any cookie client). The cookie
 * holds a random secret; the table keeps its SHA-256. The CSRF token is an
 * HMAC of the secret, so it is never stored and a stolen database row
 * yields neither. A session ends on sign-out, after SESSION_IDLE_SEC without
 * use, SESSION_MAX_SEC after sign-in, or when its user is disabled, changes
 * password or loses the role.
 *
 * Owns the table `user_sessions`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull, ne } from 'drizzle-orm';
import { hashToken, randomToken } from '@patchfleet/shared';
import { people, userSessions, type Role } from '../db/schema/index';
import type { Db, Tx } from '../db/index';

/** A session unused this long ends. */
export const SESSION_IDLE_SEC = 2 * 3600;
/** A session ends this long after sign-in, whatever its use. */
export const SESSION_MAX_SEC = 12 * 3600;
/** The cookie's name. */
export const SESSION_COOKIE = 'pf_session';
/** The header a signed-in write carries. */
export const CSRF_HEADER = 'x-csrf-token';

/** last_seen_at is written at most this often per session. */
const TOUCH_RESOLUTION_MS = 60_000;

/** The CSRF token of the session whose cookie secret is `secret`. */
export function csrfTokenFor(secret: string): string {
  return createHmac('sha256', secret).update('patchfleet csrf v1').digest('base64url');
}

/** True when `given` is the CSRF token of `secret` (constant time). */
export function csrfMatches(secret: string, given: string | undefined): boolean {
  if (!given) return false;
  const want = Buffer.from(csrfTokenFor(secret));
  const got = Buffer.from(given);
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface StartedSession {
  id: string;
  secret: string;
  csrfToken: string;
  expiresAt: Date;
}

/** Starts a session for a user who has just proven who they are. */
export async function startSession(tx: Db | Tx, personId: string, method: 'password' | 'oidc', now: Date, meta: { address: string; userAgent: string }): Promise<StartedSession> {
  const id = `ss_${randomBytes(8).toString('hex')}`;
  const secret = randomToken('pfs');
  const expiresAt = new Date(now.getTime() + SESSION_MAX_SEC * 1000);
  await tx.insert(userSessions).values({ id, personId, secretHash: hashToken(secret), method, createdAt: now, lastSeenAt: now, expiresAt, address: meta.address.slice(0, 100), userAgent: meta.userAgent.slice(0, 300) });
  return { id, secret, csrfToken: csrfTokenFor(secret), expiresAt };
}

/** A live session's user, as authentication sees it. */
export interface LiveSession {
  sessionId: string;
  personId: string;
  name: string;
  role: Role;
  lastSeenAt: Date;
  expiresAt: Date;
}

export type SessionLookup = { live: LiveSession } | { refused: 'unknown' | 'ended' | 'expired' | 'idle' | 'disabled' };

/** Finds the session with this cookie secret and says whether it may be used at `now`. */
export async function lookupSession(db: Db, secret: string, now: Date): Promise<SessionLookup> {
  const [row] = await db
    .select({ s: userSessions, name: people.name, role: people.role, disabledAt: people.disabledAt })
    .from(userSessions)
    .innerJoin(people, eq(people.id, userSessions.personId))
    .where(eq(userSessions.secretHash, hashToken(secret)))
    .limit(1);
  if (!row) return { refused: 'unknown' };
  if (row.s.endedAt) return { refused: 'ended' };
  if (row.s.expiresAt.getTime() <= now.getTime()) return { refused: 'expired' };
  if (now.getTime() - row.s.lastSeenAt.getTime() > SESSION_IDLE_SEC * 1000) return { refused: 'idle' };
  if (row.disabledAt || !row.role) return { refused: 'disabled' };
  return { live: { sessionId: row.s.id, personId: row.s.personId, name: row.name, role: row.role, lastSeenAt: row.s.lastSeenAt, expiresAt: row.s.expiresAt } };
}

/** Records use of a session (coarse: once a minute), which keeps it from idling out. */
export async function touchSession(db: Db, s: LiveSession, now: Date): Promise<void> {
  if (now.getTime() - s.lastSeenAt.getTime() < TOUCH_RESOLUTION_MS) return;
  await db.update(userSessions).set({ lastSeenAt: now }).where(eq(userSessions.id, s.sessionId));
}

/** Ends one session (sign-out). */
export async function endSession(db: Db | Tx, sessionId: string, now: Date): Promise<void> {
  await db.update(userSessions).set({ endedAt: now }).where(and(eq(userSessions.id, sessionId), isNull(userSessions.endedAt)));
}

/** Ends every live session of a person, but `keep` (the one changing its own password). Returns how many ended. */
export async function endSessionsOf(tx: Db | Tx, personId: string, now: Date, keep?: string): Promise<number> {
  const ended = await tx
    .update(userSessions)
    .set({ endedAt: now })
    .where(and(eq(userSessions.personId, personId), isNull(userSessions.endedAt), keep ? ne(userSessions.id, keep) : undefined))
    .returning({ id: userSessions.id });
  return ended.length;
}
