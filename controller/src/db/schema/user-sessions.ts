import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { people } from './people';

/**
 * Dashboard sign-in sessions. The cookie holds a random secret; only its
 * SHA-256 is stored, so a database dump signs nobody in. The CSRF token is
 * derived from the secret (keys/sessions.ts), never stored.
 */
export const userSessions = pgTable(
  'user_sessions',
  {
    id: text('id').primaryKey(),
    personId: text('person_id').notNull().references(() => people.id, { onDelete: 'cascade' }),
    secretHash: text('secret_hash').notNull().unique(),
    /** How the user signed in: 'password' or 'oidc'. */
    method: text('method', { enum: ['password', 'oidc'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Absolute end, whatever the activity. */
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
    address: text('address').notNull().default(''),
    userAgent: text('user_agent').notNull().default(''),
  },
  (t) => [index('user_sessions_person_idx').on(t.personId)],
);
