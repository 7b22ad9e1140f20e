/**
 * What a tripped gate does, in the planner's transaction: opens an incident
 * (summary in words from the verdict, the cohort's numbers and statistics),
 * blocks the rollout's patches for the class (and fleet-wide when the
 * evidence spans classes: the caller decides), marks the class's pending
 * hosts of the rollout 'blocked' (no more waves to them; the other classes
 * go on), cancels its installs not yet accepted, and marks the patched hosts
 * to undo 'rolling-back' by their ring's policy (harmed: the hosts that
 * showed the tripping signal after install, failed to boot, or failed the
 * install with something recorded to undo; cohort: every patched host of the
 * class; none). The planner then orders their signed rollbacks per host
 * (rollout/host-rollbacks.ts) without rolling the whole rollout back. Every
 * step is audited (actor 'system') and on the incident's timeline.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { audit } from '../audit/audit';
import { resultRows } from '../catalog/rows/sync-rows';
import { cancelCommands } from '../commands/command-store';
import type { Tx } from '../db/index';
import type { EventSink } from '../events/ports';
import type { IncidentEvent, RingHealthPolicy, RolloutContent } from '../db/schema/index';
import { blockPendingHosts, createBlocks } from './blocks';
import { cohortPatchIds, type ClassCohort } from './cohorts';
import { COUNT_SIGNALS, type CountSignal, type GateVerdict } from './gate-types';
import { describeClass, hostClassSql } from './host-class';
import { appendTimeline, openIncident } from './incidents';

const COLUMN: Record<CountSignal, string> = {
  'app-crash': 'app_crashes',
  'kernel-crash': 'kernel_crashes',
  'service-failure': 'service_failures',
  'unexpected-shutdown': 'unexpected_shutdowns',
  'probe-failure': 'probe_failures',
};

export interface TripContext {
  tx: Tx;
  rollout: { id: string; name: string; content: RolloutContent };
  /** Rollout clock (ms). */
  now: number;
  /** Wall clock (ms). */
  realNow: number;
  speed: number;
  /** Health policy of each ring (by ring id). */
  health: ReadonlyMap<string, RingHealthPolicy>;
  log: Logger;
  /** Each new block is reported here (patch.blocked). */
  events: EventSink;
}

export interface TripOutcome {
  incidentId: string;
  blockedHosts: string[];
  harmedHosts: string[];
  rollbackHosts: string[];
}

interface ClassHost {
  host_id: string;
  ring_id: string;
  state: string;
  kb: string | null;
  replaced: unknown[] | null;
  boot_state: string;
  command_id: string | null;
  since: string | null;
}

/** The words of an incident: which gates tripped, on which class, and what they saw. */
export function incidentSummary(patchIds: readonly string[], hostClass: string, verdict: GateVerdict): string {
  const tripped = verdict.verdicts.filter((v) => v.tripped);
  const what = tripped.length > 0 ? tripped.map((v) => v.summary).join('; ') : 'the gate tripped';
  return `${patchIds.join(', ')} harmed hosts of class ${describeClass(hostClass)}: ${what}.`;
}

/** Acts on one tripped class cohort; `fleetWide` adds a block for every class. */
export async function actOnTrip(c: TripContext, cohort: ClassCohort, verdict: GateVerdict, fleetWide: boolean): Promise<TripOutcome> {
  const { tx } = c;
  const at = new Date(c.realNow);
  const atIso = at.toISOString();
  const patchIds = cohortPatchIds(c.rollout.content);
  const tripped = verdict.verdicts.filter((v) => v.tripped);
  const gates = tripped.map((v) => v.gate);
  const gate = gates[0] ?? 'absolute-limit';
  const cls = cohort.hostClass;

  const hosts = resultRows<ClassHost>(
    await tx.execute(sql`
      select rh.host_id, rh.ring_id, rh.state, rh.kb, rh.replaced, rh.boot_state, rh.command_id,
        case when rh.installed_at is null then null else
          (${atIso}::timestamptz - (${new Date(c.now).toISOString()}::timestamptz - rh.installed_at) / ${c.speed}::float8)::text end as since
      from rollout_hosts rh join hosts h on h.id = rh.host_id
      where rh.rollout_id = ${c.rollout.id} and ${hostClassSql('h')} = ${cls}`),
  );
  const harmed = new Set<string>();
  const signals = gates.filter((g): g is CountSignal => (COUNT_SIGNALS as readonly string[]).includes(g));
  const unknownGate = gates.length === 0 || gates.some((g) => g !== 'install-failure' && g !== 'boot-failure' && !signals.includes(g as CountSignal));
  const watchSignals = unknownGate ? [...COUNT_SIGNALS] : signals;
  if (watchSignals.length > 0) for (const h of await hostsWithEvents(tx, hosts, watchSignals, at)) harmed.add(h);
  if (unknownGate || gates.includes('boot-failure')) for (const h of hosts) if (h.boot_state === 'failed') harmed.add(h.host_id);
  if (unknownGate || gates.includes('install-failure')) for (const h of hosts) if (h.state === 'failed') harmed.add(h.host_id);

  const undoable = (h: ClassHost) => h.kb !== null || (h.replaced ?? []).length > 0 || h.state === 'succeeded';
  const rollback = hosts.filter((h) => {
    const policy = c.health.get(h.ring_id)?.rollback ?? 'harmed';
    if (policy === 'none') return false;
    if (h.state === 'succeeded') return policy === 'cohort' || harmed.has(h.host_id);
    return h.state === 'failed' && harmed.has(h.host_id) && undoable(h);
  });
  const notUndoable = hosts.filter((h) => h.state === 'failed' && harmed.has(h.host_id) && !undoable(h)).map((h) => h.host_id);
  const policies = [...new Set(hosts.map((h) => c.health.get(h.ring_id)?.rollback ?? 'harmed'))];
  const rollbackPolicy = policies.length === 1 ? (policies[0] ?? 'harmed') : policies.includes('cohort') ? 'cohort' : 'harmed';

  const summary = incidentSummary(patchIds, cls, verdict);
  const timeline: IncidentEvent[] = [{ at: atIso, event: 'tripped', details: { gates, hostClass: cls, mode: cohort.evidence.mode } }];
  const incidentId = await openIncident(
    tx,
    {
      patchId: patchIds[0] ?? c.rollout.id,
      rolloutId: c.rollout.id,
      hostClass: cls,
      gate,
      summary,
      evidence: { patchIds, cohort: cohort.evidence, verdicts: verdict.verdicts, rollback: { hosts: rollback.map((h) => h.host_id), notUndoable }, fleetWide },
      rollbackPolicy,
      harmedHosts: [...harmed].sort(),
      timeline,
    },
    at,
  );
  await audit(tx, at, { actor: 'system', action: 'safety.gate_tripped', targetType: 'rollout', targetId: c.rollout.id, details: { incidentId, hostClass: cls, scope: describeClass(cls), gates, summary, verdicts: verdict.verdicts } });

  const reason = `incident ${incidentId}: ${summary}`;
  const blockIds = await createBlocks(tx, { patchIds, hostClass: cls, reason, incidentId, rolloutId: c.rollout.id }, c.realNow, c.events);
  if (fleetWide) blockIds.push(...(await createBlocks(tx, { patchIds, hostClass: null, reason: `evidence spans classes; ${reason}`, incidentId, rolloutId: c.rollout.id }, c.realNow, c.events)));
  const blocked = await blockPendingHosts(tx, c.rollout.id, patchIds, new Date(c.now));
  // Installs of the class not yet accepted by their agents are recalled; accepted ones finish and are judged like the rest.
  const queued = hosts.filter((h) => h.state === 'installing' && h.command_id).map((h) => h.command_id as string);
  const cancelled = queued.length > 0 ? await cancelCommands(tx, { ids: queued }, c.realNow, 'system') : [];
  await audit(tx, at, { actor: 'system', action: 'rollout.hosts_blocked', targetType: 'rollout', targetId: c.rollout.id, details: { incidentId, blocks: blockIds, hosts: blocked, cancelledCommands: cancelled.map((x) => x.id) } });

  if (rollback.length > 0) {
    const ids = rollback.map((h) => h.host_id);
    await tx.execute(sql`
      update rollout_hosts set state = 'rolling-back', state_at = ${new Date(c.now).toISOString()}::timestamptz, command_id = null
      where rollout_id = ${c.rollout.id} and host_id in (${sql.join(ids.map((h) => sql`${h}`), sql`, `)})`);
    await audit(tx, at, { actor: 'system', action: 'rollout.host_rollback', targetType: 'rollout', targetId: c.rollout.id, details: { incidentId, policy: rollbackPolicy, hosts: ids } });
  }
  const more: IncidentEvent[] = [
    { at: atIso, event: 'blocked', details: { blocks: blockIds, fleetWide, hostsBlocked: blocked.length, cancelledInstalls: cancelled.length } },
    { at: atIso, event: 'rollback ordered', details: { policy: rollbackPolicy, hosts: rollback.map((h) => h.host_id), ...(notUndoable.length > 0 ? { nothingRecordedToUndo: notUndoable } : {}) } },
  ];
  await appendTimeline(tx, incidentId, more);
  c.log.warn({ rolloutId: c.rollout.id, incidentId, hostClass: cls, gates, harmed: harmed.size, rollback: rollback.length, blocked: blocked.length }, 'health gate tripped');
  return { incidentId, blockedHosts: blocked, harmedHosts: [...harmed].sort(), rollbackHosts: rollback.map((h) => h.host_id) };
}

/** Hosts (of `hosts`, those with an install time) that reported an event of one of `signals` since their install. */
async function hostsWithEvents(tx: Tx, hosts: readonly ClassHost[], signals: readonly CountSignal[], at: Date): Promise<string[]> {
  const patched = hosts.filter((h) => h.since !== null);
  if (patched.length === 0) return [];
  const json = JSON.stringify(patched.map((h) => ({ host_id: h.host_id, since: h.since })));
  const any = (prefix: string) => sql.raw(signals.map((s) => `coalesce(${prefix}.${COLUMN[s]}, 0) > 0`).join(' or '));
  const rows = resultRows<{ host_id: string }>(
    await tx.execute(sql`
      with p as (select host_id, since::timestamptz as since from jsonb_to_recordset(${json}::jsonb) as v(host_id text, since text))
      select distinct p.host_id from p join health_samples s on s.host_id = p.host_id
        and s.period_start >= p.since and s.period_start < ${at.toISOString()}::timestamptz where ${any('s')}
      union
      select distinct p.host_id from p join health_hourly hh on hh.host_id = p.host_id
        and hh.hour >= date_trunc('hour', p.since) + interval '1 hour' where ${any('hh')}`),
  );
  return rows.map((r) => r.host_id);
}
