/**
 * A host's timeline of changes for its page: what its rollout rows, its
 * commands and the audit log say happened to it, newest first. The rollout
 * and command events are derived from their rows (rollout/, commands/); the
 * audit entries are read from audit_log (audit/): those about the host, about
 * its commands, and rollout entries naming it (waves, rollbacks, blocks).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index';
import type { CommandRow } from '../commands/command-store';
import { resultRows } from '../catalog/rows/sync-rows';
import type { HostRolloutEntry } from './rollout-history';

/** Entries a timeline holds at most. */
export const TIMELINE_LIMIT = 100;
/** Audit entries read per host page. */
const AUDIT_LIMIT = 50;

/** One change on a host. */
export interface TimelineEvent {
  at: string;
  source: 'rollout' | 'command' | 'audit';
  /** Stable name: `rollout.added`, `rollout.installed`, `rollout.<state>`, `rollout.deadline_missed`, `command.issued`, `command.<state>`, or the audit action. */
  event: string;
  summary: string;
  rolloutId?: string;
  commandId?: string;
  actor?: string;
}

const what = (e: HostRolloutEntry): string => e.kb ?? (e.packages.map((p) => `${p.name} ${p.version}`).join(', ') || e.patches.join(', '));

/** Events told by the host's rollout rows. */
export function rolloutEvents(entries: readonly HostRolloutEntry[]): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const e of entries) {
    const ring = e.ringName ?? e.ringId;
    const ref = { source: 'rollout' as const, rolloutId: e.rolloutId };
    out.push({ ...ref, at: e.rolloutCreatedAt, event: 'rollout.added', summary: `taken into rollout ${e.rolloutName} (ring ${ring}${e.tier ? `, ${e.tier}` : ''}${e.dueBy ? `, due ${e.dueBy.slice(0, 10)}` : ''})` });
    if (e.installedAt) out.push({ ...ref, at: e.installedAt, event: 'rollout.installed', summary: `installed ${what(e)} (rollout ${e.rolloutName})` });
    if (e.deadlineMissedAt) out.push({ ...ref, at: e.deadlineMissedAt, event: 'rollout.deadline_missed', summary: `missed ring ${ring}'s deadline (rollout ${e.rolloutName})` });
    // The current state, unless it only repeats the two above.
    const repeats = e.state === 'pending' || (e.state === 'succeeded' && e.installedAt === e.since);
    if (!repeats) out.push({ ...ref, at: e.since, event: `rollout.${e.state}`, summary: `${e.state} in rollout ${e.rolloutName}${e.errorCode ? ` (${e.errorCode})` : ''}` });
  }
  return out;
}

/** Events told by the host's commands: issued, and where each ended. */
export function commandEvents(commands: readonly CommandRow[]): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const c of commands) {
    const ref = { source: 'command' as const, commandId: c.id, ...(c.rolloutId ? { rolloutId: c.rolloutId } : {}) };
    out.push({ ...ref, at: c.issuedAt.toISOString(), event: 'command.issued', summary: `${c.action} ${c.target} issued`, actor: c.createdBy });
    if (['succeeded', 'failed', 'timed_out', 'cancelled'].includes(c.state)) {
      const at = c.finishedAt ?? c.stateAt;
      out.push({ ...ref, at: at.toISOString(), event: `command.${c.state}`, summary: `${c.action} ${c.target} ${c.state.replace('_', ' ')}${c.errorCode ? ` (${c.errorCode}${c.errorMessage ? `: ${c.errorMessage.slice(0, 200)}` : ''})` : ''}` });
    }
  }
  return out;
}

/** Audit entries about the host, its commands, or rollouts naming it; newest AUDIT_LIMIT. One statement. */
export async function auditEvents(db: Db, hostId: string, commandIds: readonly string[], rolloutIds: readonly string[]): Promise<TimelineEvent[]> {
  const ids = (list: readonly string[]) => sql`(select jsonb_array_elements_text(${JSON.stringify(list)}::jsonb))`;
  const rows = resultRows<{ at: unknown; actor: string; action: string; target_type: string; target_id: string; details: unknown }>(
    // Three branches, each on audit_log_target_idx and limited, then merged: one OR'd filter let the planner walk the whole log by time.
    await db.execute(sql`select * from (
        (select id, at, actor, action, target_type, target_id, details from audit_log
          where target_type = 'host' and target_id = ${hostId} order by at desc limit ${AUDIT_LIMIT})
        union all
        (select id, at, actor, action, target_type, target_id, details from audit_log
          where target_type = 'command' and target_id in ${ids(commandIds)} and action <> 'command.issue' order by at desc limit ${AUDIT_LIMIT})
        union all
        (select id, at, actor, action, target_type, target_id, details from audit_log
          where target_type = 'rollout' and target_id in ${ids(rolloutIds)} and details -> 'hosts' ? ${hostId} order by at desc limit ${AUDIT_LIMIT})
      ) a
      order by at desc, id desc
      limit ${AUDIT_LIMIT}`),
  );
  return rows.map((r) => {
    const details = (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>;
    const extra = typeof details.reason === 'string' ? `: ${details.reason}` : typeof details.ringName === 'string' ? ` ${details.ringName}` : '';
    return {
      at: new Date(r.at as string).toISOString(),
      source: 'audit' as const,
      event: r.action,
      summary: `${r.action} by ${r.actor}${extra}`,
      actor: r.actor,
      ...(r.target_type === 'rollout' ? { rolloutId: r.target_id } : {}),
      ...(r.target_type === 'command' ? { commandId: r.target_id } : {}),
    };
  });
}

/** Merges the sources, newest first (ties: rollout, command, audit), TIMELINE_LIMIT at most. */
export function mergeTimeline(...sources: TimelineEvent[][]): TimelineEvent[] {
  const order = { rollout: 0, command: 1, audit: 2 };
  return sources
    .flat()
    .sort((a, b) => b.at.localeCompare(a.at) || order[a.source] - order[b.source] || a.event.localeCompare(b.event))
    .slice(0, TIMELINE_LIMIT);
}
