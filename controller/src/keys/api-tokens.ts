/**
 * API tokens: minting, look-up for authentication, listing and revocation.
 *
 * keys/ owns the tables `api_tokens` (this file) and `people` (people.ts;
 * the bootstrap and direct-access token makers here create persons too).
 * Nothing outside keys/ writes them.
 */
import { randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { hashToken, randomToken } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../audit/audit';
import { apiTokens, people, type Role } from '../db/schema/index';

/** The roles a token can have (the column's enum), for routes and the CLI. */
export { ROLES, type Role } from '../db/schema/index';
import type { Db, Tx } from '../db/index';
import { personForNewToken } from './people';

export interface Principal {
  /** How the request proved who it is: an API token, or a user's sign-in session (dashboard). */
  via: 'token' | 'session';
  /** The credential: the API token's id (at_...) or the session's id (ss_...). */
  tokenId: string;
  name: string;
  role: Role;
  /** The person behind the token or session (people.id): two-person rules count these. */
  personId: string;
  personName: string;
}

/** API tokens expire after this unless `expires` says otherwise. */
export const DEFAULT_TOKEN_TTL_SEC = 90 * 86_400;
/** The longest lifetime a minted token may have: every token expires (only the bootstrap token, made on the controller, does not). */
export const MAX_TOKEN_TTL_SEC = 365 * 86_400;

const ROLE_RANK: Record<Role, number> = { helpdesk: 0, operator: 1, admin: 2 };

/** True when `role` is at least `needed` (admin > operator > helpdesk). */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

async function insertToken(db: Db | Tx, v: { name: string; role: Role; now: Date; expiresAt: Date | null; personId: string; createdBy: string | null }): Promise<{ id: string; token: string }> {
  const id = `at_${randomBytes(8).toString('hex')}`;
  const token = randomToken('pfa');
  await db.insert(apiTokens).values({ id, name: v.name, role: v.role, tokenHash: hashToken(token), createdAt: v.now, expiresAt: v.expiresAt, personId: v.personId, createdBy: v.createdBy });
  return { id, token };
}

/**
 * A token for the person called `name` (made when missing, registered by
 * nobody), expiring after the default time. For set-ups with direct database
 * access (tests, tools); the API mints through mintApiToken.
 */
export async function createApiToken(db: Db | Tx, name: string, role: Role, now: Date): Promise<{ id: string; token: string }> {
  let [person] = await db.select({ id: people.id }).from(people).where(eq(people.name, name)).limit(1);
  if (!person) {
    person = { id: `pn_${randomBytes(6).toString('hex')}` };
    await db.insert(people).values({ id: person.id, name, registrar: false, registeredBy: null, createdAt: now });
  }
  return insertToken(db, { name, role, now, expiresAt: new Date(now.getTime() + DEFAULT_TOKEN_TTL_SEC * 1000), personId: person.id, createdBy: null });
}

/**
 * The bootstrap admin token: it never expires (it is how an operator gets in
 * after the first start, kept 0600 on the controller) and belongs to the
 * registrar person, created here when missing.
 */
export async function createBootstrapToken(tx: Tx, now: Date): Promise<{ id: string; token: string; personId: string }> {
  let [registrar] = await tx.select({ id: people.id }).from(people).where(eq(people.registrar, true)).limit(1);
  if (!registrar) {
    registrar = { id: `pn_${randomBytes(6).toString('hex')}` };
    // The registrar is also the first user (keys/users.ts ensureFirstUser gives it a password): `admin` unless that name is taken.
    const [taken] = await tx.select({ id: people.id }).from(people).where(eq(people.name, 'admin')).limit(1);
    await tx.insert(people).values({ id: registrar.id, name: taken ? 'bootstrap admin' : 'admin', registrar: true, registeredBy: null, createdAt: now, role: 'admin' });
  }
  const made = await insertToken(tx, { name: 'bootstrap admin', role: 'admin', now, expiresAt: null, personId: registrar.id, createdBy: null });
  return { ...made, personId: registrar.id };
}

export interface MintInput {
  name: string;
  role: Role;
  /** Seconds until expiry, at most MAX_TOKEN_TTL_SEC. */
  ttlSec: number;
  /** Register (registrar only) or name a person; default the creator's own person. */
  person?: string | undefined;
}

/**
 * Mints a token on behalf of `creator`. The new token belongs to the
 * creator's person unless `person` names a service account (admins only,
 * keys/people.ts); no token gets a higher role than its creator's, and every
 * token expires within MAX_TOKEN_TTL_SEC.
 */
export async function mintApiToken(tx: Tx, creator: Principal, input: MintInput, now: Date): Promise<{ id: string; token: string; personId: string; personName: string; expiresAt: Date; registered: boolean }> {
  if (!roleAllows(creator.role, input.role)) throw new PfError(Errors.TOKEN_ROLE_TOO_HIGH, `${creator.personName} (${creator.role}) cannot mint a ${input.role} token`);
  if (!Number.isSafeInteger(input.ttlSec) || input.ttlSec <= 0 || input.ttlSec > MAX_TOKEN_TTL_SEC) throw new PfError(Errors.VALIDATION, `a token's lifetime is between 1 second and ${MAX_TOKEN_TTL_SEC / 86_400} days`);
  const person = await personForNewToken(tx, creator, input.person, now);
  const expiresAt = new Date(now.getTime() + input.ttlSec * 1000);
  const made = await insertToken(tx, { name: input.name, role: input.role, now, expiresAt, personId: person.id, createdBy: creator.tokenId });
  return { ...made, personId: person.id, personName: person.name, expiresAt, registered: person.registered };
}

/** Who asks for a change, for the audit log. */
export interface AuditedBy {
  actor: string;
  requestId?: string | undefined;
}

/** mintApiToken in its own transaction, with the audit records (a person registration, then the token). */
export async function createApiTokenAudited(db: Db, creator: Principal, input: MintInput, at: Date, by: AuditedBy): Promise<Awaited<ReturnType<typeof mintApiToken>>> {
  return db.transaction(async (tx) => {
    const t = await mintApiToken(tx, creator, input, at);
    if (t.registered) await audit(tx, at, { actor: by.actor, action: 'person.register', targetType: 'person', targetId: t.personId, details: { name: t.personName }, requestId: by.requestId });
    await audit(tx, at, { actor: by.actor, action: 'api-token.create', targetType: 'api-token', targetId: t.id, details: { name: input.name, role: input.role, person: t.personName, expiresAt: t.expiresAt.toISOString() }, requestId: by.requestId });
    return t;
  });
}

/** A token's state as authentication sees it. */
export type TokenLookup = { live: Principal & { lastUsedAt: Date | null } } | { refused: 'unknown' | 'revoked' | 'expired' | 'disabled' };

/**
 * Finds the token with this secret and says whether it may be used at `now`.
 * A user's token never acts above the user's present role (a demoted user's
 * old tokens are demoted with them) and stops working while the user is disabled.
 */
export async function lookupApiToken(db: Db, token: string, now: Date): Promise<TokenLookup> {
  const [row] = await db
    .select({ tokenId: apiTokens.id, name: apiTokens.name, role: apiTokens.role, lastUsedAt: apiTokens.lastUsedAt, revokedAt: apiTokens.revokedAt, expiresAt: apiTokens.expiresAt, personId: apiTokens.personId, personName: people.name, userRole: people.role, disabledAt: people.disabledAt })
    .from(apiTokens)
    .leftJoin(people, eq(people.id, apiTokens.personId))
    .where(eq(apiTokens.tokenHash, hashToken(token)))
    .limit(1);
  if (!row) return { refused: 'unknown' };
  if (row.revokedAt) return { refused: 'revoked' };
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return { refused: 'expired' };
  if (row.disabledAt) return { refused: 'disabled' };
  const role = row.userRole && !roleAllows(row.userRole, row.role) ? row.userRole : row.role;
  // A token without a person (none should remain after migration 0006) is its own person.
  const personId = row.personId ?? `token:${row.tokenId}`;
  return { live: { via: 'token', tokenId: row.tokenId, name: row.name, role, lastUsedAt: row.lastUsedAt, personId, personName: row.personName ?? row.name } };
}

/** Records that a token was used at `at` (callers keep this coarse: one write a minute, not one a request). */
export async function touchApiToken(db: Db, tokenId: string, at: Date): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, tokenId));
}

/** A token as the API lists it: never its secret or hash. */
export interface ApiTokenView {
  id: string;
  name: string;
  role: Role;
  /** The person it belongs to (a user, or a service account). */
  person: string;
  personId: string | null;
  /** A user account's token, or a service account's (a person without a role of their own). */
  owner: 'user' | 'service';
  createdAt: string;
  expiresAt: string | null;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  state: 'live' | 'expired' | 'revoked';
}

/** Which tokens listApiTokens returns. */
export interface TokenFilter {
  /** Only this person's tokens; undefined: everyone's. */
  personId?: string | undefined;
  /** Only live tokens (the default), or revoked and expired ones too (newest first then). */
  include?: 'live' | 'all';
}

/** Tokens, live ones oldest first (as `api-token list` shows them), or all of them newest first. */
export async function listApiTokens(db: Db, now: Date, filter: TokenFilter = {}): Promise<ApiTokenView[]> {
  const all = filter.include === 'all';
  const where: SQL[] = [];
  if (!all) where.push(liveTokenWhere(now) as SQL);
  if (filter.personId !== undefined) where.push(eq(apiTokens.personId, filter.personId));
  const rows = await db
    .select({ t: apiTokens, person: people.name, userRole: people.role })
    .from(apiTokens)
    .leftJoin(people, eq(people.id, apiTokens.personId))
    .where(and(...where))
    .orderBy(all ? desc(apiTokens.createdAt) : apiTokens.createdAt)
    .limit(all ? 500 : 10_000);
  return rows.map(({ t, person, userRole }) => ({
    id: t.id,
    name: t.name,
    role: t.role,
    person: person ?? t.name,
    personId: t.personId,
    owner: userRole ? 'user' : 'service',
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    createdBy: t.createdBy,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
    state: t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt.getTime() <= now.getTime() ? 'expired' : 'live',
  }));
}

/** Finds the live token with this secret. */
export async function findApiToken(db: Db, token: string, now: Date): Promise<(Principal & { lastUsedAt: Date | null }) | undefined> {
  const found = await lookupApiToken(db, token, now);
  return 'live' in found ? found.live : undefined;
}

/** Condition for tokens usable at `now`. */
export function liveTokenWhere(now: Date) {
  return and(isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)));
}

/**
 * Revokes a token for good. The last live admin token is refused: without
 * it nobody could administer the controller (the bootstrap token is not
 * minted again once it has been revoked).
 */
export async function revokeApiToken(tx: Tx, id: string, now: Date, by?: Principal): Promise<{ id: string; name: string; role: Role; personId: string | null }> {
  const [row] = await tx.select().from(apiTokens).where(eq(apiTokens.id, id)).limit(1);
  if (!row) throw new PfError(Errors.NOT_FOUND, `API token ${id} not found`);
  if (by && by.role !== 'admin' && row.personId !== by.personId) throw new PfError(Errors.TOKEN_NOT_YOURS, `API token ${id} belongs to someone else; only admins revoke other people's tokens`);
  if (row.revokedAt) throw new PfError(Errors.NOT_FOUND, `API token ${id} is already revoked`);
  if (row.role === 'admin') {
    const [other] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(apiTokens)
      .where(and(liveTokenWhere(now), eq(apiTokens.role, 'admin'), ne(apiTokens.id, id)));
    if (!other || other.n === 0) throw new PfError(Errors.FORBIDDEN, `API token ${id} is the last live admin token; mint another admin token first`);
  }
  await tx.update(apiTokens).set({ revokedAt: now }).where(eq(apiTokens.id, id));
  return { id: row.id, name: row.name, role: row.role, personId: row.personId };
}

/** revokeApiToken in its own transaction, with its audit record; `principal`: who revokes (a non-admin only their own tokens). */
export async function revokeApiTokenAudited(db: Db, id: string, at: Date, by: AuditedBy, principal?: Principal): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await revokeApiToken(tx, id, at, principal);
    await audit(tx, at, { actor: by.actor, action: 'api-token.revoke', targetType: 'api-token', targetId: id, details: { name: row.name, role: row.role, person: row.personId }, requestId: by.requestId });
  });
}
