import { boolean, integer, pgTable, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { ROLES } from './api-tokens';

/**
 * People: user accounts (a role, and a password or an OIDC identity to sign
 * in with) and the named service accounts behind API tokens (no role of their
 * own, no sign-in). Two-person rules count people, not tokens or sessions. A
 * token minted by another token belongs to the same person; only the
 * registrar (the bootstrap admin) registers token-only people, and a person
 * it registered never counts as a second person beside it (keys/people.ts).
 * Users created as accounts by an admin are people of their own.
 */
export const people = pgTable('people', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  /** The bootstrap admin's person: the only one that may register people. */
  registrar: boolean('registrar').notNull().default(false),
  /** Who registered this person (null for the registrar). */
  registeredBy: text('registered_by'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  /** Set for user accounts (they sign in with this role); null for token-only people and service accounts. */
  role: text('role', { enum: ROLES }),
  /** scrypt hash (keys/passwords.ts format); null: no password sign-in. */
  passwordHash: text('password_hash'),
  passwordChangedAt: timestamp('password_changed_at', { withTimezone: true, mode: 'date' }),
  /** A disabled user cannot sign in; their sessions end when disabled. */
  disabledAt: timestamp('disabled_at', { withTimezone: true, mode: 'date' }),
  /** Failed sign-ins since the last success: the back-off grows with it. */
  failedSignIns: integer('failed_sign_ins').notNull().default(0),
  /** No sign-in (even with the right password) before this time. */
  lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
  /** The admin account that created this user (not a registration: users count as people of their own). */
  createdBy: text('created_by'),
  /** OIDC single sign-on identity: issuer and subject. */
  oidcIssuer: text('oidc_issuer'),
  oidcSubject: text('oidc_subject'),
}, (t) => [unique('people_oidc_identity').on(t.oidcIssuer, t.oidcSubject)]);
