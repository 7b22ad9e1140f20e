/**
 * Rollbacks of single hosts (a tripped health gate's, safety/actions.ts),
 * without rolling the whole rollout back: hosts marked 'rolling-back' with
 * no command yet get a signed 'rollback' command through the CommandWriter
 * once online (an install that changed nothing is rolled back at once);
 * reconcile then moves them to rolled-back or rollback-failed, and the open
 * incidents that ordered them record each host.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { CommandSpec } from '../commands/command-store';
import { idIn } from '../commands/command-store';
import { onlineHostIds } from '../hosts/queries';
import { rolloutHosts, type rollouts } from '../db/schema/index';
import { openIncidentsOf, recordRollbacks } from '../safety/incidents';
import type { TickDeps } from './rollout-tick';
import { resultRows } from '../catalog/rows/sync-rows';
import { Errors } from '@patchfleet/shared/errors';

const HOUR_MS = 3_600_000;
type Rollout = typeof rollouts.$inferSelect;
type RolloutHostRow = typeof rolloutHosts.$inferSelect;

/** Orders rollbacks to online hosts marked rolling-back without a command; returns the hosts given commands. */
export async function orderHostRollbacks(d: TickDeps, rollout: Rollout): Promise<string[]> {
  const todo = await d.tx
    .select()
    .from(rolloutHosts)
    .where(and(eq(rolloutHosts.rolloutId, rollout.id), eq(rolloutHosts.state, 'rolling-back'), isNull(rolloutHosts.commandId)));
  if (todo.length === 0) return [];
  return orderRollbacks(d, rollout, todo);
}

/**
 * Orders signed rollbacks for `todo` (hosts whose install is to be undone):
 * an install that changed nothing (already at the version) is rolled back at
 * once; the others, once online, get a 'rollback' command and are marked
 * rolling-back with it. Used by the whole-rollout rollback (rollout-tick.ts)
 * and by single-host rollbacks after a tripped gate. Returns the hosts given commands.
 */
export async function orderRollbacks(d: TickDeps, rollout: Rollout, todo: readonly RolloutHostRow[]): Promise<string[]> {
  if (rollout.content.agentUpdate) {
    // An updated agent is not put back (agents never downgrade): the host's rollback fails, saying why.
    if (todo.length > 0) {
      await d.tx
        .update(rolloutHosts)
        .set({ state: 'rollback-failed', stateAt: new Date(d.now), errorCode: Errors.COMMAND_UNSUPPORTED.code })
        .where(and(eq(rolloutHosts.rolloutId, rollout.id), idIn(rolloutHosts.hostId, todo.map((h) => h.hostId))));
    }
    return [];
  }
  const noop = todo.filter((h) => !h.kb && (h.replaced ?? []).length === 0);
  if (noop.length > 0) {
    await d.tx
      .update(rolloutHosts)
      .set({ state: 'rolled-back', stateAt: new Date(d.now) })
      .where(and(eq(rolloutHosts.rolloutId, rollout.id), idIn(rolloutHosts.hostId, noop.map((h) => h.hostId))));
  }
  const undo = todo.filter((h) => !noop.includes(h));
  const online = await onlineHostIds(d.tx, undo.map((h) => h.hostId), new Date(d.realNow), d.staleMs);
  const chosen = undo.filter((h) => online.has(h.hostId));
  if (chosen.length === 0) return [];
  const specs: CommandSpec[] = chosen.map((h) => ({
    hostId: h.hostId,
    action: 'rollback',
    target: rollout.name.slice(0, 200),
    params: h.kb ? { kb: h.kb } : { replaced: h.replaced ?? [] },
    ttlMs: HOUR_MS,
    rolloutId: rollout.id,
    ringId: h.ringId,
  }));
  const rows = await d.commands.create(d.tx, specs, `rollout:${rollout.id}`);
  const json = JSON.stringify(rows.map((r) => ({ host_id: r.hostId, command_id: r.id })));
  await d.tx.execute(sql`
    update rollout_hosts rh set state = 'rolling-back', command_id = v.command_id, state_at = ${new Date(d.now).toISOString()}::timestamptz
    from jsonb_to_recordset(${json}::jsonb) as v(host_id text, command_id text)
    where rh.rollout_id = ${rollout.id} and rh.host_id = v.host_id`);
  return rows.map((r) => r.hostId);
}

/** Records on each open incident of the rollout the hosts it ordered back whose rollback has finished since. */
export async function syncIncidentRollbacks(d: TickDeps, rollout: Rollout): Promise<void> {
  for (const incident of await openIncidentsOf(d.tx, rollout.id)) {
    const ordered = ((incident.evidence['rollback'] as { hosts?: string[] } | undefined)?.hosts ?? []).filter((h) => !incident.rolledBackHosts.includes(h));
    if (ordered.length === 0) continue;
    const recorded = new Set(incident.timeline.filter((e) => e.event === 'host rollback failed').map((e) => String(e.details?.['hostId'])));
    const done = resultRows<{ host_id: string; state: string }>(
      await d.tx.execute(sql`
        select host_id, state from rollout_hosts
        where rollout_id = ${rollout.id} and state in ('rolled-back', 'rollback-failed') and host_id in (${sql.join(ordered.map((h) => sql`${h}`), sql`, `)})`),
    ).filter((r) => r.state === 'rolled-back' || !recorded.has(r.host_id));
    await recordRollbacks(d.tx, incident.id, done.map((r) => ({ hostId: r.host_id, state: r.state })), new Date(d.realNow));
  }
}
