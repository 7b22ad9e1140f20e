/**
 * The SLA watch: every few minutes (controller clock; one replica, the job
 * lock) it finds active hosts still missing an advisory whose priority
 * deadline has passed (host_patch_state.due_by, written by host-state.ts)
 * and reports each (host, advisory) once as deadline.missed (source sla),
 * one event per advisory and tier with its hosts. The record of what was
 * reported (sla_breaches, owned here) is written in the same transaction
 * as the events, so a restart neither repeats nor drops one.
 */
import { repeatOnClock, trackWork, type Clock } from '@patchfleet/shared';
import { sql } from 'drizzle-orm';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db } from '../db/index';
import type { EventSink } from '../events/ports';
import { JobLocks, runAsLeader } from '../jobs/leader';
import type { Logger } from '../logger';

/** Rounds of the watch: deadlines are days apart, a few minutes late is on time. */
export const SLA_WATCH_EVERY_MS = 5 * 60_000;

/** Reports every newly overdue (host, advisory) at `now`; returns how many (0 when another replica leads). */
export async function reportMissedSlas(db: Db, events: EventSink, now: Date, realNow: Date): Promise<number> {
  const out = await runAsLeader(db, JobLocks.slaWatch, async (tx) => {
    const rows = resultRows<{ host_id: string; patch_id: string; due_by: Date | string; tier: string | null }>(
      await tx.execute(sql`
        with overdue as (
          insert into sla_breaches (host_id, patch_id, due_by, found_at)
          select s.host_id, s.patch_id, s.due_by, ${now.toISOString()}::timestamptz
          from host_patch_state s join hosts h on h.id = s.host_id
          where s.status = 'missing' and s.due_by < ${now.toISOString()}::timestamptz and h.status = 'active'
          on conflict (host_id, patch_id) do nothing
          returning host_id, patch_id, due_by)
        select o.host_id, o.patch_id, o.due_by, s.tier
        from overdue o join host_patch_state s on s.host_id = o.host_id and s.patch_id = o.patch_id
        order by o.patch_id, o.host_id`),
    );
    const groups = new Map<string, { patchId: string; tier: string | null; hosts: string[]; earliest: number }>();
    for (const r of rows) {
      const key = `${r.patch_id}|${r.tier ?? ''}`;
      const due = new Date(r.due_by).getTime();
      const g = groups.get(key) ?? { patchId: r.patch_id, tier: r.tier, hosts: [], earliest: due };
      g.hosts.push(r.host_id);
      g.earliest = Math.min(g.earliest, due);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      await events.emit(
        tx,
        { type: 'deadline.missed', data: { source: 'sla', deadline: new Date(g.earliest).toISOString(), hostIds: g.hosts, patchIds: [g.patchId], rolloutId: null, rolloutName: null, ring: null, tier: g.tier } },
        { at: realNow },
      );
    }
    return rows.length;
  });
  return out.ran ? out.value : 0;
}

/** Runs the watch every `everyMs` (default SLA_WATCH_EVERY_MS) of the controller clock; `realClock` dates the events. */
export function startSlaWatch(deps: { db: Db; clock: Clock; realClock: Clock; log: Logger; events: EventSink }, everyMs = SLA_WATCH_EVERY_MS): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const round = (): Promise<void> => {
    running = reportMissedSlas(deps.db, deps.events, new Date(deps.clock.now()), new Date(deps.realClock.now()))
      .then((n) => {
        if (n > 0) deps.log.warn({ hosts: n }, 'hosts missed the priority deadline of a patch');
      })
      .catch((err: unknown) => deps.log.warn({ err }, 'SLA watch failed; retried next round'));
    return running;
  };
  void trackWork(deps.clock, round(), 'SLA watch');
  const repeat = repeatOnClock(deps.clock, { everyMs, label: 'SLA watch' }, round);
  return {
    async stop() {
      repeat.stop();
      await running;
    },
  };
}
