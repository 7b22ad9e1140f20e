import { boolean, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { PackageVersion } from '@patchfleet/shared/protocol';
import type { ReleaseFile } from '@patchfleet/shared/release';

/**
 * active: rings advance by policy; paused: nothing new starts (running
 * commands finish); halted: stopped by a failing promotion gate; cancelled:
 * stopped for good by an operator; completed: every ring passed;
 * rolling-back / rolled-back: installs are being / have been undone.
 */
export const ROLLOUT_STATES = ['active', 'paused', 'halted', 'cancelled', 'completed', 'rolling-back', 'rolled-back'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** An agent version a rollout updates agents to (its signed metadata in the releases folder). */
export interface AgentUpdateContent {
  version: string;
  /** The metadata file's name (served at /downloads/<manifest>). */
  manifest: string;
  files: ReleaseFile[];
}

/** What a rollout installs: catalog advisories (USN ids, KBs), explicit package versions, or (alone) an agent version. */
export interface RolloutContent {
  patches: string[];
  packages: PackageVersion[];
  /** Set on an agent-version rollout: hosts get `update-agent` commands instead of installs. */
  agentUpdate?: AgentUpdateContent;
}

/** A patch (or a set of patches) on its way through the rings. */
export const rollouts = pgTable('rollouts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  content: jsonb('content').$type<RolloutContent>().notNull(),
  state: text('state', { enum: ROLLOUT_STATES }).notNull(),
  stateReason: text('state_reason'),
  /** Skip deferral and soak (e.g. a KEV critical); windows and freezes still hold. */
  expedite: boolean('expedite').notNull().default(false),
  /** Release date the ring deferrals count from. */
  releasedAt: timestamp('released_at', { withTimezone: true, mode: 'date' }).notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});
