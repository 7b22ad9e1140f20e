/**
 * Audit retention: deletes audit rows older than the configured number of
 * days, once a day, on one replica at a time. The append-only trigger
 * (migration 0005) refuses every other UPDATE and DELETE; this job passes it
 * by setting `patchfleet.audit_retention_before` for its own transaction only
 * (set_config(..., true)), and the trigger still refuses a horizon less than
 * 30 days old. The deletion itself is audited.
 *
 * The only delete from `audit_log`, which audit/audit.ts owns.
 */
import { trackWork, type Clock } from '@patchfleet/shared';
import { sql } from 'drizzle-orm';
import { resultRows } from '../catalog/rows/sync-rows';
import type { Db } from '../db/index';
import { JobLocks, runAsLeader } from '../jobs/leader';
import type { Logger } from '../logger';
import { audit } from './audit';

/** The trigger's floor: rows younger than this are never deleted, whatever the setting. */
export const MIN_AUDIT_RETENTION_DAYS = 30;
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;
const DAY_MS = 86_400_000;

/** Deletes audit rows with `at` before `now - retentionDays`; returns how many went. */
export async function pruneAuditLog(db: Db, now: Date, retentionDays: number): Promise<{ ran: boolean; deleted: number; before: Date }> {
  if (!Number.isInteger(retentionDays) || retentionDays < MIN_AUDIT_RETENTION_DAYS) throw new RangeError(`audit retention must be at least ${MIN_AUDIT_RETENTION_DAYS} days`);
  const before = new Date(now.getTime() - retentionDays * DAY_MS);
  const result = await runAsLeader(db, JobLocks.auditRetention, async (tx) => {
    await tx.execute(sql`select set_config('patchfleet.audit_retention_before', ${before.toISOString()}, true)`);
    const rows = resultRows<{ n: number }>(await tx.execute(sql`with gone as (delete from audit_log where at < ${before.toISOString()}::timestamptz returning 1) select count(*)::int as n from gone`));
    const deleted = Number(rows[0]?.n ?? 0);
    if (deleted > 0) await audit(tx, now, { actor: 'system', action: 'audit.retention', targetType: 'audit-log', targetId: 'audit_log', details: { deleted, before: before.toISOString(), retentionDays } });
    return deleted;
  });
  return { ran: result.ran, deleted: result.ran ? result.value : 0, before };
}

/** Runs the retention once at start and then every `everyMs` (default a day); stop() waits for a running round. */
export function startAuditRetention(deps: { db: Db; clock: Clock; log: Logger }, retentionDays: number, everyMs = DAY_MS): { stop(): Promise<void> } {
  let stopped = false;
  let timer: { cancel(): void } | undefined;
  let running: Promise<void> = Promise.resolve();
  // Returns its promise to the clock: a stepped (simulated) clock waits for it.
  const round = (): Promise<void> => {
    running = pruneAuditLog(deps.db, new Date(deps.clock.now()), retentionDays)
      .then((r) => {
        if (r.deleted > 0) deps.log.info({ deleted: r.deleted, before: r.before.toISOString() }, 'audit retention deleted old entries');
      })
      .catch((err: unknown) => deps.log.warn({ err }, 'audit retention failed; retried next round'))
      .finally(() => {
        if (!stopped) timer = deps.clock.after(everyMs, round);
      });
    return running;
  };
  void trackWork(deps.clock, round(), 'audit retention');
  return {
    async stop() {
      stopped = true;
      timer?.cancel();
      await running;
    },
  };
}
