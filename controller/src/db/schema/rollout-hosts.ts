import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { PackageVersion, Replacement } from '@patchfleet/shared/protocol';
import { hosts } from './hosts';
import { rollouts } from './rollouts';

/**
 * pending: not yet ordered (or offline in its window: caught in the next);
 * installing: an install command is out; succeeded / failed; skipped (the
 * patch no longer applies); blocked (a health gate blocked the patch for the
 * host's class); rolling-back -> rolled-back | rollback-failed.
 */
export const ROLLOUT_HOST_STATES = ['blocked', 'pending', 'installing', 'succeeded', 'failed', 'skipped', 'rolling-back', 'rolled-back', 'rollback-failed'] as const;
export type RolloutHostState = (typeof ROLLOUT_HOST_STATES)[number];

/** States of a host whose install finished, either way (rolled back hosts had succeeded). */
export const INSTALL_FINISHED_STATES = ['succeeded', 'failed', 'rolling-back', 'rolled-back', 'rollback-failed'] as const satisfies readonly RolloutHostState[];
const finishedList = INSTALL_FINISHED_STATES.map((s) => `'${s}'`).join(', ');
/** SQL: `rh.state` is one of INSTALL_FINISHED_STATES (rollout_hosts as `rh`). */
export const installFinishedSql = sql.raw(`rh.state in (${finishedList})`);
/** SQL: the install of rollout host `rh` was tried: installed, or finished either way (a trial for the scores and the gates). */
export const installTriedSql = sql.raw(`(rh.installed_at is not null or rh.state in (${finishedList}))`);

/** One host in one rollout: which ring it rides in, what it gets and how far it got. */
export const rolloutHosts = pgTable(
  'rollout_hosts',
  {
    rolloutId: text('rollout_id').notNull().references(() => rollouts.id, { onDelete: 'cascade' }),
    hostId: text('host_id').notNull().references(() => hosts.id, { onDelete: 'cascade' }),
    ringId: text('ring_id').notNull(),
    state: text('state', { enum: ROLLOUT_HOST_STATES }).notNull(),
    stateAt: timestamp('state_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Exact versions this host is to get (apt/dpkg) ... */
    packages: jsonb('packages').$type<PackageVersion[]>().notNull().default([]),
    /** ... or the KB (Windows). */
    kb: text('kb'),
    wave: integer('wave'),
    attempts: integer('attempts').notNull().default(0),
    commandId: text('command_id'),
    installCommandId: text('install_command_id'),
    /** What the install changed, as the agent reported it; the rollback undoes it. */
    replaced: jsonb('replaced').$type<Replacement[]>(),
    rebootRequired: boolean('reboot_required').notNull().default(false),
    errorCode: text('error_code'),
    /** When the install succeeded (rollout clock): the patched cohort counts from here. */
    installedAt: timestamp('installed_at', { withTimezone: true, mode: 'date' }),
    /** Boot id the host reported when its install was ordered; a reboot must bring another. */
    bootIdBefore: text('boot_id_before'),
    /** none | expected (a reboot is due by rebootDueBy) | back (new boot id seen) | failed (not back in the grace period). */
    bootState: text('boot_state', { enum: ['none', 'expected', 'back', 'failed'] }).notNull().default('none'),
    rebootDueBy: timestamp('reboot_due_by', { withTimezone: true, mode: 'date' }),
    deadlineMissedAt: timestamp('deadline_missed_at', { withTimezone: true, mode: 'date' }),
    /**
     * Most urgent priority tier and earliest deadline of the patches the host
     * was missing when the rollout took it (host_patch_state at creation;
     * null for explicit package versions). host_patch_state forgets both once
     * the patch is installed; the KPIs (kpis/) read them from here.
     */
    tier: text('tier', { enum: ['critical', 'high', 'medium', 'low'] }),
    dueBy: timestamp('due_by', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    primaryKey({ columns: [t.rolloutId, t.hostId] }),
    index('rollout_hosts_ring_state_idx').on(t.rolloutId, t.ringId, t.state),
    // A host's rollouts (its page, the SLA history of the KPIs) and the installs of a period (the KPIs).
    index('rollout_hosts_host_idx').on(t.hostId, t.stateAt),
    index('rollout_hosts_installed_idx').on(t.installedAt),
  ],
);
