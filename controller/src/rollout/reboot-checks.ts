/**
 * Reboot expectations: after an install whose ring policy ordered a reboot,
 * the host must come back with a new boot id (hosts.boot_id, written from
 * health samples and heartbeats; facts.bootId as fallback) by
 * reboot_due_by (rollout clock: grace + the reboot delay). A new boot id:
 * 'back'; still the same boot id, or silent, past the deadline: 'failed',
 * which the boot-failure gate counts. A host whose boot id was unknown when
 * its install was ordered gets no expectation (nothing to compare with).
 */
import { sql } from 'drizzle-orm';
import { auditMany } from '../audit/audit';
import { resultRows } from '../catalog/rows/sync-rows';
import type { rollouts } from '../db/schema/index';
import type { TickDeps } from './rollout-tick';

/** How long the agent waits before rebooting (the reboot command's delaySec). */
export const REBOOT_DELAY_SEC = 60;

/** The SQL for a host's current boot id. */
export const currentBootIdSql = sql.raw(`coalesce(h.boot_id, nullif(h.facts ->> 'bootId', ''))`);

/** Resolves due reboot expectations of one rollout; returns the hosts that failed to come back. */
export async function checkReboots(d: TickDeps, rollout: typeof rollouts.$inferSelect): Promise<string[]> {
  const now = new Date(d.now).toISOString();
  const rows = resultRows<{ host_id: string; boot_state: string }>(
    await d.tx.execute(sql`
      update rollout_hosts rh set boot_state = case when ${currentBootIdSql} is distinct from rh.boot_id_before and ${currentBootIdSql} is not null then 'back' else 'failed' end
      from hosts h
      where h.id = rh.host_id and rh.rollout_id = ${rollout.id} and rh.boot_state = 'expected'
        and ((${currentBootIdSql} is not null and ${currentBootIdSql} is distinct from rh.boot_id_before) or rh.reboot_due_by <= ${now}::timestamptz)
      returning rh.host_id, rh.boot_state`),
  );
  const failed = rows.filter((r) => r.boot_state === 'failed').map((r) => r.host_id);
  const back = rows.filter((r) => r.boot_state === 'back').map((r) => r.host_id);
  if (rows.length > 0) {
    await auditMany(d.tx, new Date(d.realNow), [
      ...(failed.length > 0 ? [{ actor: 'system', action: 'rollout.reboot_failed', targetType: 'rollout', targetId: rollout.id, details: { hosts: failed } }] : []),
      ...(back.length > 0 ? [{ actor: 'system', action: 'rollout.reboot_back', targetType: 'rollout', targetId: rollout.id, details: { hosts: back } }] : []),
    ]);
  }
  if (failed.length > 0) d.log.warn({ rolloutId: rollout.id, hosts: failed.length }, 'hosts did not come back after their reboot');
  return failed;
}
