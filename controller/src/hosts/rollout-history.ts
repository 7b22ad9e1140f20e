/**
 * One host's part in rollouts, for its page: each rollout_hosts row (written
 * by rollout/) with its rollout's name and state, grouped the way help desk
 * reads them. Read-only.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index';
import { resultRows } from '../catalog/rows/sync-rows';

/** Rollouts read per host page: the most recent ones (by state change). */
export const HOST_ROLLOUTS_SHOWN = 50;

/** The host in one rollout. */
export interface HostRolloutEntry {
  rolloutId: string;
  rolloutName: string;
  rolloutState: string;
  ringId: string;
  ringName: string | null;
  /** Catalog patches the rollout carries. */
  patches: string[];
  /** What this host gets: package versions (apt/dpkg) or a KB. */
  packages: { name: string; version: string }[];
  kb: string | null;
  /** The host's state in the rollout (rollout_hosts.state) and since when. */
  state: string;
  since: string;
  installedAt: string | null;
  errorCode: string | null;
  tier: string | null;
  dueBy: string | null;
  bootState: string;
  rebootDueBy: string | null;
  deadlineMissedAt: string | null;
  /** When the rollout was created (the host was taken into it then). */
  rolloutCreatedAt: string;
  installCommandId: string | null;
  commandId: string | null;
}

/** The groups of a host page. */
export interface HostRolloutGroups {
  /** Not yet ordered in a live (active or paused) rollout, installing, or rolling back. */
  inProgress: HostRolloutEntry[];
  /** Install failed, or its rollback failed (the patch is still on). */
  failed: HostRolloutEntry[];
  rolledBack: HostRolloutEntry[];
  /** Installed, waiting for the reboot the install needs (boot state `expected`). */
  pendingReboot: HostRolloutEntry[];
  /** Held back: an active block covers the host's class. */
  blocked: HostRolloutEntry[];
  all: HostRolloutEntry[];
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/** The host's HOST_ROLLOUTS_SHOWN most recent rollout rows, newest first, and their groups. One statement. */
export async function hostRollouts(db: Db, hostId: string): Promise<HostRolloutGroups> {
  const rows = resultRows<Record<string, unknown>>(
    await db.execute(sql`select rh.rollout_id, r.name, r.state as rollout_state, rh.ring_id, rr.ring_name, r.content -> 'patches' as patches, rh.packages, rh.kb,
        rh.state, rh.state_at, rh.installed_at, rh.error_code, rh.tier, rh.due_by, rh.boot_state, rh.reboot_due_by, rh.deadline_missed_at,
        r.created_at, rh.install_command_id, rh.command_id
      from rollout_hosts rh
      join rollouts r on r.id = rh.rollout_id
      left join rollout_rings rr on rr.rollout_id = rh.rollout_id and rr.ring_id = rh.ring_id
      where rh.host_id = ${hostId}
      order by rh.state_at desc, rh.rollout_id
      limit ${HOST_ROLLOUTS_SHOWN}`),
  );
  const all: HostRolloutEntry[] = rows.map((r) => ({
    rolloutId: r.rollout_id as string,
    rolloutName: r.name as string,
    rolloutState: r.rollout_state as string,
    ringId: r.ring_id as string,
    ringName: (r.ring_name as string | null) ?? null,
    patches: (typeof r.patches === 'string' ? JSON.parse(r.patches) : (r.patches ?? [])) as string[],
    packages: (typeof r.packages === 'string' ? JSON.parse(r.packages) : (r.packages ?? [])) as { name: string; version: string }[],
    kb: (r.kb as string | null) ?? null,
    state: r.state as string,
    since: iso(r.state_at) as string,
    installedAt: iso(r.installed_at),
    errorCode: (r.error_code as string | null) ?? null,
    tier: (r.tier as string | null) ?? null,
    dueBy: iso(r.due_by),
    bootState: r.boot_state as string,
    rebootDueBy: iso(r.reboot_due_by),
    deadlineMissedAt: iso(r.deadline_missed_at),
    rolloutCreatedAt: iso(r.created_at) as string,
    installCommandId: (r.install_command_id as string | null) ?? null,
    commandId: (r.command_id as string | null) ?? null,
  }));
  const live = (e: HostRolloutEntry) => e.rolloutState === 'active' || e.rolloutState === 'paused';
  return {
    inProgress: all.filter((e) => e.state === 'installing' || e.state === 'rolling-back' || (e.state === 'pending' && live(e))),
    failed: all.filter((e) => e.state === 'failed' || e.state === 'rollback-failed'),
    rolledBack: all.filter((e) => e.state === 'rolled-back'),
    pendingReboot: all.filter((e) => e.bootState === 'expected' && e.installedAt !== null),
    blocked: all.filter((e) => e.state === 'blocked'),
    all,
  };
}
