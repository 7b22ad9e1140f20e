/**
 * The people behind API tokens and who counts as a second person for
 * two-person rules. User accounts (keys/users.ts) are people of their own.
 *
 * - A token minted by token T belongs to T's person: one person holding an
 *   admin token can mint as many tokens as they like, all of them "them".
 * - Admin users and the registrar (the bootstrap admin's person: whoever
 *   installed the controller and holds bootstrap.json) register named service
 *   accounts (token-only people), with `api-token create --person NAME` or the
 *   dashboard's Tokens page, and mint further tokens for the service accounts
 *   they registered. A token-only admin person cannot register anyone, and
 *   nobody mints a token in a user account's name.
 * - Two approvals count as two people only when the persons differ and
 *   neither registered the other: an admin cannot make up a service account
 *   and approve beside it. (An admin registering two service accounts and
 *   approving as both is the limit of this rule, as is an admin creating a
 *   second admin user; every registration is audited.)
 *
 * Owns the table `people` (with api-tokens.ts, which creates the bootstrap
 * admin's person); keys/ is the only writer.
 */
import { randomBytes } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { people } from '../db/schema/index';
import type { Db, Tx } from '../db/index';
import type { Principal } from './api-tokens';

/** The person a new token minted by `creator` belongs to; registers `name` when it is new (registrar only). */
export async function personForNewToken(tx: Tx, creator: Principal, name: string | undefined, now: Date): Promise<{ id: string; name: string; registered: boolean }> {
  if (name === undefined || name === creator.personName) return { id: creator.personId, name: creator.personName, registered: false };
  const [me] = await tx.select().from(people).where(eq(people.id, creator.personId)).limit(1);
  if (creator.role !== 'admin' || !(me?.registrar || me?.role === 'admin')) {
    throw new PfError(Errors.FORBIDDEN, `only admin users register service accounts; a token minted by ${creator.personName} belongs to ${creator.personName}`);
  }
  const [existing] = await tx.select().from(people).where(eq(people.name, name)).limit(1);
  // A user account is a person of its own: a token in their name would let one admin approve as two.
  if (existing?.role) throw new PfError(Errors.FORBIDDEN, `${name} is a user account; users mint their own tokens`);
  // Another admin's service account would count as a second person beside this admin.
  if (existing && existing.registeredBy !== me.id) throw new PfError(Errors.FORBIDDEN, `service account ${name} was registered by another admin; only they mint its tokens`);
  if (existing) return { id: existing.id, name: existing.name, registered: false };
  const id = `pn_${randomBytes(6).toString('hex')}`;
  await tx.insert(people).values({ id, name, registrar: false, registeredBy: me.id, createdAt: now });
  return { id, name, registered: true };
}

/**
 * True when approvals by persons `a` and `b` come from one person as far as
 * two-person rules go: the same person, or one registered the other.
 */
export async function samePersonForApproval(db: Db | Tx, a: string, b: string): Promise<boolean> {
  if (a === b) return true;
  const rows = await db.select({ id: people.id, registeredBy: people.registeredBy }).from(people).where(inArray(people.id, [a, b]));
  const by = new Map(rows.map((r) => [r.id, r.registeredBy]));
  return by.get(a) === b || by.get(b) === a;
}
