import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { CommandParams, CommandResult } from '@patchfleet/shared/protocol';
import { hosts } from './hosts';

/**
 * Lifecycle of a command. queued -> sent -> acknowledged -> running ->
 * succeeded | failed; timed_out when it was not delivered or finished in
 * time; cancelled by an operator before the agent accepted it. A late
 * result from the agent still moves a timed_out command to its real end.
 */
export const COMMAND_STATES = ['queued', 'sent', 'acknowledged', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

/**
 * Signed commands to agents, durable before they are sent: a controller
 * killed at any point loses none and, since the agent journals ids, none
 * runs twice. `signature` is over the canonical signed payload built from
 * id, host, action, target, params, issued_at and not_after.
 */
export const commands = pgTable(
  'commands',
  {
    id: text('id').primaryKey(),
    hostId: text('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    action: text('action', { enum: ['install', 'rollback', 'reboot', 'update-agent'] }).notNull(),
    target: text('target').notNull(),
    params: jsonb('params').$type<CommandParams>().notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true, mode: 'date' }).notNull(),
    notAfter: timestamp('not_after', { withTimezone: true, mode: 'date' }).notNull(),
    signature: text('signature').notNull(),
    state: text('state', { enum: COMMAND_STATES }).notNull(),
    stateAt: timestamp('state_at', { withTimezone: true, mode: 'date' }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true, mode: 'date' }),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    /** How many times it was written to an agent socket. */
    deliveries: integer('deliveries').notNull().default(0),
    rolloutId: text('rollout_id'),
    ringId: text('ring_id'),
    result: jsonb('result').$type<CommandResult>(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    createdBy: text('created_by').notNull(),
  },
  (t) => [index('commands_host_state_idx').on(t.hostId, t.state), index('commands_rollout_idx').on(t.rolloutId), index('commands_state_idx').on(t.state)],
);
