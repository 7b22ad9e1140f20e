import { pgTable, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { rollouts } from './rollouts';

/** An admin's approval of one ring of one rollout; one per credential (API token or sign-in session); two-person rules compare approverPersonId. */
export const rolloutApprovals = pgTable(
  'rollout_approvals',
  {
    rolloutId: text('rollout_id').notNull().references(() => rollouts.id, { onDelete: 'cascade' }),
    ringId: text('ring_id').notNull(),
    approverTokenId: text('approver_token_id').notNull(),
    approverName: text('approver_name').notNull(),
    /** The person (people.id) who approved: a user signed in, or the person behind the token. Null for approvals before accounts. */
    approverPersonId: text('approver_person_id'),
    comment: text('comment'),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [unique('rollout_approvals_once').on(t.rolloutId, t.ringId, t.approverTokenId)],
);
