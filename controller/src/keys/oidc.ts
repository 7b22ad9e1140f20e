/**
 * Single sign-on users: what a validated OIDC identity (oidc/client.ts)
 * means here. The user is found by (issuer, subject); an unknown identity is
 * linked to an OIDC-only account an admin made for it (same name, no
 * password, no identity yet) or, when allowed, created with the mapped role.
 * The role claim decides the role at every sign-in: a change is applied and
 * audited as user.role-change (and ends the user's other sessions, as an
 * admin's change does). Refused: claims that map to no role, a disabled user,
 * an unknown identity when users are not created, and a change that would
 * demote the last admin. Every outcome is audited (auth.sign-in with method
 * oidc, or auth.sign-in-failed with the reason).
 *
 * Writes the table `people` (owned by keys/) and starts sessions through
 * sessions.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { PfError, Errors, isPfError } from '@patchfleet/shared/errors';
import { audit } from '../audit/audit';
import { people, type Role } from '../db/schema/index';
import type { Db, Tx } from '../db/index';
import type { OidcIdentity } from '../oidc/client';
import { claimValues, roleFromClaims, type RoleMap } from '../oidc/role-map';
import { endSessionsOf, startSession } from './sessions';
import { keepAnAdmin, type SignedIn, type SignInMeta } from './users';
import { hasSqlState } from '../db/errors';

/** How claims become users and roles (from the oidc settings). */
export interface OidcPolicy {
  roleClaim: string;
  roleMap: RoleMap;
  createUsers: boolean;
  nameClaim: string;
}

type PersonRow = typeof people.$inferSelect;
type Outcome = { ok: SignedIn } | { refused: string; error: PfError; personId: string | null; name: string };

/** People names allow these characters (api/routes/auth.ts UserName), at most 64; a new name leaves room for a `-xxxxxx` suffix. */
const NAME_MAX = 64;

/** The name a new user gets: the name claim, else email, else a name made from the subject; only characters a user name may hold. */
export function nameFromClaims(identity: OidcIdentity, nameClaim: string): string {
  for (const claim of [nameClaim, 'email']) {
    const value = claimValues(identity.claims, claim)[0];
    const cleaned = value
      ?.replace(/[^A-Za-z0-9_.@ -]+/g, '-')
      .trim()
      .slice(0, NAME_MAX - 7)
      .trim();
    if (cleaned) return cleaned;
  }
  return `oidc-${createHash('sha256').update(`${identity.issuer} ${identity.subject}`).digest('hex').slice(0, 12)}`;
}

async function nameTaken(tx: Tx, name: string): Promise<boolean> {
  const [taken] = await tx.select({ id: people.id }).from(people).where(sql`lower(${people.name}) = lower(${name})`).limit(1);
  return taken !== undefined;
}

/** `base`, or `base-2`, `base-3`... when taken (by a password user or a service account of that name, which is never linked). */
async function freeName(tx: Tx, base: string): Promise<string> {
  if (!(await nameTaken(tx, base))) return base;
  for (let n = 2; n < 100; n++) if (!(await nameTaken(tx, `${base}-${n}`))) return `${base}-${n}`;
  return `${base}-${randomBytes(3).toString('hex')}`;
}

/** An admin-made OIDC-only account of this name waiting for its identity. */
async function provisionedAccount(tx: Tx, name: string): Promise<PersonRow | undefined> {
  const [row] = await tx
    .select()
    .from(people)
    .where(and(sql`lower(${people.name}) = lower(${name})`, isNull(people.passwordHash), isNull(people.oidcSubject), eq(people.registrar, false)))
    .limit(1);
  return row?.role ? row : undefined;
}

/**
 * Signs in the user of a validated identity and starts a session with
 * method 'oidc'. Throws OIDC_NO_ROLE, OIDC_NO_USER, FORBIDDEN (disabled) or
 * LAST_ADMIN after auditing the refusal.
 */
export async function signInWithOidc(db: Db, identity: OidcIdentity, policy: OidcPolicy, at: Date, meta: SignInMeta): Promise<SignedIn> {
  const role = roleFromClaims(identity.claims, policy.roleClaim, policy.roleMap);
  const byIdp = `oidc:${identity.issuer}`;
  const attempt = (): Promise<Outcome> => db.transaction(async (tx): Promise<Outcome> => {
    let [row] = await tx.select().from(people).where(and(eq(people.oidcIssuer, identity.issuer), eq(people.oidcSubject, identity.subject))).limit(1);
    const wanted = nameFromClaims(identity, policy.nameClaim);
    const refuse = (reason: string, error: PfError): Outcome => ({ refused: reason, error, personId: row?.id ?? null, name: row?.name ?? wanted });
    if (!role) {
      const values = claimValues(identity.claims, policy.roleClaim).slice(0, 20);
      return refuse('no-role', new PfError(Errors.OIDC_NO_ROLE, `${row?.name ?? wanted}: the identity provider's ${policy.roleClaim} claim (${values.length ? values.join(', ') : 'absent'}) maps to no Patchfleet role; ask for a group that oidcRoleMap maps`));
    }
    if (!row) {
      const linked = await provisionedAccount(tx, wanted);
      // Still unlinked when the row lock is ours: of two identities claiming one account at once, only the first gets it.
      const [claimed] = linked
        ? await tx.update(people).set({ oidcIssuer: identity.issuer, oidcSubject: identity.subject }).where(and(eq(people.id, linked.id), isNull(people.oidcSubject))).returning()
        : [];
      if (claimed) {
        row = claimed;
        await audit(tx, at, { actor: byIdp, action: 'user.oidc-link', targetType: 'user', targetId: claimed.id, details: { name: claimed.name, issuer: identity.issuer, subject: identity.subject }, requestId: meta.requestId });
      } else if (!policy.createUsers) {
        return refuse('no-user', new PfError(Errors.OIDC_NO_USER, `no Patchfleet user for ${wanted} (${identity.issuer}); an admin creates one without a password named ${wanted}, or sets oidcCreateUsers`));
      } else {
        const name = await freeName(tx, wanted);
        [row] = await tx
          .insert(people)
          .values({ id: `pn_${randomBytes(6).toString('hex')}`, name, registrar: false, registeredBy: null, createdAt: at, role, oidcIssuer: identity.issuer, oidcSubject: identity.subject, createdBy: null })
          .returning();
        await audit(tx, at, { actor: byIdp, action: 'user.create', targetType: 'user', targetId: row!.id, details: { name, role, signIn: 'oidc', issuer: identity.issuer, subject: identity.subject, firstSignIn: true }, requestId: meta.requestId });
      }
    }
    const user = row!;
    if (user.disabledAt) return refuse('disabled', new PfError(Errors.FORBIDDEN, `user ${user.name} is disabled; an admin can enable the account`));
    if (user.role !== role) {
      if (user.role === 'admin') {
        try {
          await keepAnAdmin(tx, user.id, `the identity provider making ${user.name} ${role}`);
        } catch (err) {
          if (isPfError(err)) return refuse('last-admin', err);
          throw err;
        }
      }
      await tx.update(people).set({ role }).where(eq(people.id, user.id));
      const ended = await endSessionsOf(tx, user.id, at);
      await audit(tx, at, { actor: byIdp, action: 'user.role-change', targetType: 'user', targetId: user.id, details: { name: user.name, from: user.role, to: role, via: 'oidc', claim: policy.roleClaim, sessionsEnded: ended }, requestId: meta.requestId });
    }
    const session = await startSession(tx, user.id, 'oidc', at, meta);
    await audit(tx, at, { actor: `user:${user.name}`, action: 'auth.sign-in', targetType: 'user', targetId: user.id, details: { name: user.name, method: 'oidc', issuer: identity.issuer, session: session.id, address: meta.address }, requestId: meta.requestId });
    return { ok: { user: { id: user.id, name: user.name, role: role as Role }, session } };
  });
  // Two first sign-ons of one identity (two tabs), or two new users wanting one name, race to insert: the loser
  // runs once more and finds the identity, or the name taken.
  const outcome = await attempt().catch((err: unknown) => (isUniqueViolation(err) ? attempt() : Promise.reject(err)));
  if ('ok' in outcome) return outcome.ok;
  await auditOidcFailure(db, at, outcome.refused, meta, { personId: outcome.personId, name: outcome.name, issuer: identity.issuer, subject: identity.subject });
  throw outcome.error;
}

/** True for PostgreSQL's unique_violation. */
const isUniqueViolation = (err: unknown): boolean => hasSqlState(err, '23505');

/** Audits a refused single sign-on (auth.sign-in-failed, method oidc): a bad flow, a provider error, or a user refused above. */
export async function auditOidcFailure(db: Db, at: Date, reason: string, meta: SignInMeta, who: { personId?: string | null; name?: string; issuer?: string; subject?: string; error?: string } = {}): Promise<void> {
  const { personId, ...details } = who;
  await audit(db, at, { actor: `sign-in:${meta.address}`, action: 'auth.sign-in-failed', targetType: 'user', targetId: personId ?? '', details: { method: 'oidc', reason, address: meta.address, ...details }, requestId: meta.requestId });
}
