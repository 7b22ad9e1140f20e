/**
 * User accounts: people with a role who sign in with a password (or OIDC,
 * keys/oidc.ts). Creating users, changing roles, disabling, passwords, and
 * password sign-in with back-off. Every sign-in, failure, lock-out and role
 * change is audited.
 *
 * Writes the table `people` (owned by keys/, with people.ts and
 * api-tokens.ts) and starts sessions through sessions.ts.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, eq, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { audit } from '../audit/audit';
import { people, type Role } from '../db/schema/index';
import type { Db, Tx } from '../db/index';
import { checkPasswordPolicy, hashPassword, randomPassword, verifyAgainstNobody, verifyPassword } from './passwords';
import { endSessionsOf, startSession, type StartedSession } from './sessions';
import type { AuditedBy } from './api-tokens';

/** Failed sign-ins allowed before the back-off starts. */
export const FREE_FAILURES = 5;
/** The first lock-out; each further failure doubles it, up to MAX_LOCK_SEC. */
export const FIRST_LOCK_SEC = 60;
export const MAX_LOCK_SEC = 3600;

/** How long a user is locked after `failures` consecutive failed sign-ins (0: not locked). */
export function lockSeconds(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(MAX_LOCK_SEC, FIRST_LOCK_SEC * 2 ** (failures - FREE_FAILURES));
}

/** A user as the API lists it (never the password hash). */
export interface UserView {
  id: string;
  name: string;
  role: Role;
  disabled: boolean;
  signIn: Array<'password' | 'oidc'>;
  lockedUntil: string | null;
  createdAt: string;
  createdBy: string | null;
}

type PersonRow = typeof people.$inferSelect;

function userView(p: PersonRow): UserView {
  const signIn: Array<'password' | 'oidc'> = [];
  if (p.passwordHash) signIn.push('password');
  if (p.oidcSubject) signIn.push('oidc');
  return { id: p.id, name: p.name, role: p.role ?? 'helpdesk', disabled: p.disabledAt !== null, signIn, lockedUntil: p.lockedUntil?.toISOString() ?? null, createdAt: p.createdAt.toISOString(), createdBy: p.createdBy };
}

/** Every user account (people with a role), by name. */
export async function listUsers(db: Db): Promise<UserView[]> {
  const rows = await db.select().from(people).where(isNotNull(people.role)).orderBy(asc(people.name));
  return rows.map(userView);
}

/** The user with this id, or NOT_FOUND (a service account is not a user). */
async function userRow(db: Db | Tx, id: string): Promise<PersonRow> {
  const [row] = await db.select().from(people).where(eq(people.id, id)).limit(1);
  if (!row?.role) throw new PfError(Errors.NOT_FOUND, `user ${id} not found`);
  return row;
}

/** One user. */
export async function getUser(db: Db, id: string): Promise<UserView> {
  return userView(await userRow(db, id));
}

export interface NewUser {
  name: string;
  role: Role;
  /** Null: the user signs in only through OIDC. */
  password: string | null;
}

/** Creates a user account; `by` is the admin's person id. */
export async function createUser(db: Db, input: NewUser, byPerson: string, at: Date, by: AuditedBy): Promise<UserView> {
  if (input.password !== null) checkPasswordPolicy(input.password);
  const passwordHash = input.password === null ? null : await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const [taken] = await tx.select({ id: people.id }).from(people).where(sql`lower(${people.name}) = lower(${input.name})`).limit(1);
    if (taken) throw new PfError(Errors.USER_NAME_TAKEN, `the name ${input.name} is taken`);
    const id = `pn_${randomBytes(6).toString('hex')}`;
    const [row] = await tx
      .insert(people)
      .values({ id, name: input.name, registrar: false, registeredBy: null, createdAt: at, role: input.role, passwordHash, passwordChangedAt: passwordHash ? at : null, createdBy: byPerson })
      .returning();
    await audit(tx, at, { actor: by.actor, action: 'user.create', targetType: 'user', targetId: id, details: { name: input.name, role: input.role, signIn: passwordHash ? 'password' : 'oidc' }, requestId: by.requestId });
    return userView(row!);
  });
}

/** Refuses a change that would leave no enabled admin user. */
async function keepAnAdmin(tx: Tx, exceptId: string, what: string): Promise<void> {
  const [other] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(people)
    .where(and(eq(people.role, 'admin'), isNull(people.disabledAt), ne(people.id, exceptId)));
  if (!other || other.n === 0) throw new PfError(Errors.LAST_ADMIN, `${what} would leave no admin who can sign in; make another admin first`);
}

export interface UserChange {
  role?: Role | undefined;
  disabled?: boolean | undefined;
  /** An admin's reset: the user's sessions end. */
  password?: string | undefined;
}

/** Changes a user's role, enables or disables them, or resets their password (admins). */
export async function updateUser(db: Db, id: string, change: UserChange, at: Date, by: AuditedBy): Promise<UserView> {
  if (change.password !== undefined) checkPasswordPolicy(change.password);
  const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
  return db.transaction(async (tx) => {
    const before = await userRow(tx, id);
    const set: Partial<PersonRow> = {};
    if (change.role !== undefined && change.role !== before.role) {
      if (before.role === 'admin') await keepAnAdmin(tx, id, `making ${before.name} ${change.role}`);
      set.role = change.role;
      await audit(tx, at, { actor: by.actor, action: 'user.role-change', targetType: 'user', targetId: id, details: { name: before.name, from: before.role, to: change.role }, requestId: by.requestId });
    }
    if (change.disabled !== undefined && change.disabled !== (before.disabledAt !== null)) {
      if (change.disabled && (set.role ?? before.role) === 'admin') await keepAnAdmin(tx, id, `disabling ${before.name}`);
      set.disabledAt = change.disabled ? at : null;
      await audit(tx, at, { actor: by.actor, action: change.disabled ? 'user.disable' : 'user.enable', targetType: 'user', targetId: id, details: { name: before.name }, requestId: by.requestId });
    }
    if (passwordHash !== undefined) {
      Object.assign(set, { passwordHash, passwordChangedAt: at, failedSignIns: 0, lockedUntil: null });
      await audit(tx, at, { actor: by.actor, action: 'user.password-reset', targetType: 'user', targetId: id, details: { name: before.name }, requestId: by.requestId });
    }
    if (Object.keys(set).length === 0) return userView(before);
    const [after] = await tx.update(people).set(set).where(eq(people.id, id)).returning();
    // A lower role, a disabled account or a reset password: sessions made under the old state end.
    if (set.role !== undefined || set.disabledAt || passwordHash !== undefined) await endSessionsOf(tx, id, at);
    return userView(after!);
  });
}

/** A user changes their own password; their other sessions end. */
export async function changeOwnPassword(db: Db, personId: string, current: string, next: string, at: Date, keepSession: string | undefined, by: AuditedBy): Promise<void> {
  const row = await userRow(db, personId);
  if (!row.passwordHash || !(await verifyPassword(current, row.passwordHash))) throw new PfError(Errors.UNAUTHORIZED, 'the current password is wrong');
  checkPasswordPolicy(next);
  if (current === next) throw new PfError(Errors.WEAK_PASSWORD, 'the new password is the current one');
  const passwordHash = await hashPassword(next);
  await db.transaction(async (tx) => {
    await tx.update(people).set({ passwordHash, passwordChangedAt: at }).where(eq(people.id, personId));
    const ended = await endSessionsOf(tx, personId, at, keepSession);
    await audit(tx, at, { actor: by.actor, action: 'user.password-change', targetType: 'user', targetId: personId, details: { name: row.name, otherSessionsEnded: ended }, requestId: by.requestId });
  });
}

export interface SignInMeta {
  address: string;
  userAgent: string;
  requestId?: string | undefined;
}

export interface SignedIn {
  user: { id: string; name: string; role: Role };
  session: StartedSession;
}

/**
 * Password sign-in. Wrong name and wrong password give the same error after
 * the same work; after FREE_FAILURES failures in a row the user is locked for
 * a time that doubles with each further failure (SIGN_IN_LOCKED, with the
 * time to wait), even for the right password.
 */
export async function signInWithPassword(db: Db, name: string, password: string, at: Date, meta: SignInMeta): Promise<SignedIn> {
  const actor = `sign-in:${meta.address}`;
  const failed = async (reason: string, personId: string | null, details: Record<string, unknown> = {}): Promise<never> => {
    await audit(db, at, { actor, action: 'auth.sign-in-failed', targetType: 'user', targetId: personId ?? '', details: { name: name.slice(0, 100), reason, address: meta.address, ...details }, requestId: meta.requestId });
    throw new PfError(Errors.UNAUTHORIZED, 'wrong user name or password');
  };
  const [row] = await db.select().from(people).where(eq(people.name, name)).limit(1);
  if (!row?.role || !row.passwordHash) {
    await verifyAgainstNobody(password);
    return failed('unknown-user', null);
  }
  if (row.lockedUntil && row.lockedUntil.getTime() > at.getTime()) {
    const wait = Math.ceil((row.lockedUntil.getTime() - at.getTime()) / 1000);
    await audit(db, at, { actor, action: 'auth.sign-in-failed', targetType: 'user', targetId: row.id, details: { name: row.name, reason: 'locked', address: meta.address }, requestId: meta.requestId });
    throw new PfError(Errors.SIGN_IN_LOCKED, `too many failed sign-ins for ${row.name}; try again in ${wait} s`, { retryAfterSec: wait });
  }
  const ok = await verifyPassword(password, row.passwordHash);
  if (!ok) {
    const [counted] = await db
      .update(people)
      .set({ failedSignIns: sql`${people.failedSignIns} + 1` })
      .where(eq(people.id, row.id))
      .returning({ failures: people.failedSignIns });
    const failures = counted?.failures ?? row.failedSignIns + 1;
    const lock = lockSeconds(failures);
    if (lock > 0) {
      await db.update(people).set({ lockedUntil: new Date(at.getTime() + lock * 1000) }).where(eq(people.id, row.id));
      await audit(db, at, { actor, action: 'auth.locked', targetType: 'user', targetId: row.id, details: { name: row.name, failures, lockSec: lock, address: meta.address }, requestId: meta.requestId });
    }
    return failed('bad-password', row.id, { failures });
  }
  if (row.disabledAt) return failed('disabled', row.id);
  return db.transaction(async (tx) => {
    await tx.update(people).set({ failedSignIns: 0, lockedUntil: null }).where(eq(people.id, row.id));
    const session = await startSession(tx, row.id, 'password', at, meta);
    await audit(tx, at, { actor: `user:${row.name}`, action: 'auth.sign-in', targetType: 'user', targetId: row.id, details: { name: row.name, method: 'password', session: session.id, address: meta.address }, requestId: meta.requestId });
    return { user: { id: row.id, name: row.name, role: row.role! }, session };
  });
}

/**
 * The first user is the bootstrap admin's person (the registrar). Makes sure
 * it has the admin role and a password; returns the password when it was
 * made now (bootstrap.json keeps it for the operator, 0600), else undefined.
 */
export async function ensureFirstUser(db: Db, at: Date): Promise<{ id: string; name: string; password: string | undefined } | undefined> {
  const [registrar] = await db.select().from(people).where(eq(people.registrar, true)).limit(1);
  if (!registrar) return undefined;
  if (registrar.passwordHash && registrar.role) return { id: registrar.id, name: registrar.name, password: undefined };
  const password = randomPassword();
  const passwordHash = await hashPassword(password);
  await db.transaction(async (tx) => {
    await tx.update(people).set({ role: registrar.role ?? 'admin', passwordHash, passwordChangedAt: at }).where(eq(people.id, registrar.id));
    await audit(tx, at, { actor: 'system', action: 'user.create', targetType: 'user', targetId: registrar.id, details: { name: registrar.name, role: registrar.role ?? 'admin', signIn: 'password', firstUser: true } });
  });
  return { id: registrar.id, name: registrar.name, password };
}

/** True when `password` is still the password of user `id` (bootstrap.json drops an initial password once it has been changed). */
export async function passwordStillValid(db: Db, id: string, password: string): Promise<boolean> {
  const [row] = await db.select({ hash: people.passwordHash }).from(people).where(eq(people.id, id)).limit(1);
  return !!row?.hash && (await verifyPassword(password, row.hash));
}
