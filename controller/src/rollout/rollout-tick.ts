/**
 * One round of the rollout planner (run by one replica at a time, inside
 * the transaction that holds the job lock). For every live rollout it
 * folds finished commands into host states, moves rings along
 * waiting -> scheduled -> installing -> soaking -> passed (or halts the
 * rollout when the failure rate passes the ring's limit), orders the next
 * wave of installs to online hosts inside open windows, orders reboots by
 * policy, runs rollbacks, and records missed deadlines. Schedules read the
 * rollout clock `now`; commands carry wall-clock times.
 *
 * Health and safety (safety/): installs record their time and, when a
 * reboot is ordered, a reboot expectation checked every round
 * (reboot-checks.ts); the gates judge every class cohort of a rollout with
 * a ring installing or soaking or a patched host still in its ring's
 * post-install watch (health.watchHours; completed rollouts too), and a trip blocks the class, rolls its
 * hosts back by ring policy (host-rollbacks.ts) and opens an incident; a
 * soaking ring passes only when its soak is over and its classes passed
 * (or, with too little health evidence, at a ceiling: one more soak, at
 * least an hour). Reliability decisions steer it: block starts no ring,
 * hold starts none after the first, cautious halves waves and doubles soak.
 *
 * rollout/ owns `rollouts`, `rollout_rings`, `rollout_hosts`,
 * `rollout_approvals` and `change_freezes` (written here, in
 * rollout-create.ts and rollout-control.ts) and the ring tables
 * (ring-store.ts). Online hosts come from hosts/queries.ts, commands from
 * the CommandWriter port.
 */
import { and, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { Errors } from '@patchfleet/shared/errors';
import type { Logger } from 'pino';
import { audit, auditMany } from '../audit/audit';
import { resultRows } from '../catalog/rows/sync-rows';
import type { CommandWriter } from './ports';
import type { EventSink } from '../events/ports';
import { cancelCommands, expireCommands } from '../commands/command-store';
import type { CommandSpec } from '../commands/command-store';
import type { Tx } from '../db/index';
import { changeFreezes, DEFAULT_RING_HEALTH, hosts, rings, rolloutApprovals, rolloutHosts, rolloutRings, rollouts, type RolloutHostState, type RolloutRingState } from '../db/schema/index';
import { isAlwaysOpen, openWindowAt } from './windows';
import { onlineHostIds } from '../hosts/queries';
import type { PatchDecision } from '../reliability/decision-types';
import { activeBlocks, blockPendingHosts } from '../safety/blocks';
import { cohortPatchIds } from '../safety/cohorts';
import { classesShortOfExposure, defaultSafety, runGates, type RolloutGates, type SafetyPorts } from '../safety/gates';
import { describeClass, hostClassSql } from '../safety/host-class';
import { orderHostRollbacks, orderRollbacks, syncIncidentRollbacks } from './host-rollbacks';
import { checkReboots, REBOOT_DELAY_SEC } from './reboot-checks';
import { classProgress, pickRamped } from './ramp';
import { ringFailureVerdict } from './ring-failures';
import { formatPercent } from '../safety/stats/words';
import { UPDATE_CONFIRM_SEC } from '@patchfleet/shared/protocol';
import { releasePlatformOf } from './agent-targets';

const HOUR_MS = 3_600_000;
/** How long an accepted command may run past its notAfter before it counts as lost. */
export const RUN_ALLOWANCE_MS = 2 * HOUR_MS;

export interface TickDeps {
  tx: Tx;
  /** Rollout clock (ms): deferrals, windows, soak, deadlines, freezes. */
  now: number;
  /** Wall clock (ms): command validity, records. */
  realNow: number;
  /** Rollout clock speed relative to the wall clock (1 in production). */
  speed: number;
  /** A host is online when one of its sessions was seen within this many ms. */
  staleMs: number;
  commands: Pick<CommandWriter, 'create'>;
  /** Where halts, blocks, approvals needed and missed deadlines are reported (webhooks), in `tx`. */
  events: EventSink;
  log: Logger;
  /** The gate judge and reliability decisions (default: safety/stats and reliability/). */
  safety?: SafetyPorts | undefined;
  /**
   * How often a rollout whose gates only watch (no ring installing or
   * soaking; see gatesOf) is judged: `lastJudged` holds the rollout clock of
   * each rollout's last watch judgment from earlier rounds, `judged` gets
   * this round's (the caller merges it once the round committed). Without
   * it every round judges.
   */
  watch?: { everyMs: number; lastJudged: ReadonlyMap<string, number>; judged: Map<string, number> } | undefined;
  /**
   * Gets the ids of the rollouts this round changed (a ring's state or note,
   * the rollout's state, host states folded from agent results, commands
   * ordered, deadlines missed), so the caller can announce them to the
   * dashboard once the round committed. Changes made elsewhere (host
   * rollbacks of a tripped gate) are left to the dashboard's slow poll.
   */
  changed?: Set<string> | undefined;
}

/**
 * A rollout whose gates only watch (harm that did not show during a soak)
 * is judged at most every 4 hours of rollout time: such harm builds up over
 * days, the anytime-valid tests lose nothing by looking less often, and a
 * fleet has many completed rollouts in their watch at once (a week of
 * releases) whose cohorts are costly to measure at every round.
 */
export const WATCH_JUDGE_EVERY_MS = 4 * HOUR_MS;

type Rollout = typeof rollouts.$inferSelect;
type RolloutRing = typeof rolloutRings.$inferSelect;
type Ring = typeof rings.$inferSelect;
type HostRow = typeof rolloutHosts.$inferSelect;

/** Runs one round; returns the hosts that were given commands (announce them after commit). */
export async function tickRollouts(d: TickDeps): Promise<string[]> {
  const issued: string[] = [];
  await expireCommands(d.tx, d.realNow, RUN_ALLOWANCE_MS);
  const live = await d.tx.select().from(rollouts).where(inArray(rollouts.state, ['active', 'paused', 'rolling-back']));
  for (const rollout of live) {
    const before = issued.length;
    issued.push(...(await reconcile(d, rollout)));
    await checkReboots(d, rollout);
    const gates = rollout.state === 'active' || rollout.state === 'paused' ? await gatesOf(d, rollout) : undefined;
    if (rollout.state === 'active') issued.push(...(await advance(d, rollout, gates)));
    issued.push(...(await orderHostRollbacks(d, rollout)));
    if (rollout.state === 'rolling-back') issued.push(...(await rollBack(d, rollout)));
    await syncIncidentRollbacks(d, rollout);
    await markMissedDeadlines(d, rollout);
    if (issued.length > before) d.changed?.add(rollout.id);
  }
  // A completed rollout is still watched while its installs are younger than their ring's watch: the gates judge its patched hosts, a trip blocks the class and rolls its harmed hosts back.
  for (const rollout of await watchedCompleted(d)) {
    const before = issued.length;
    issued.push(...(await reconcile(d, rollout)));
    await checkReboots(d, rollout);
    await gatesOf(d, rollout);
    issued.push(...(await orderHostRollbacks(d, rollout)));
    await syncIncidentRollbacks(d, rollout);
    if (issued.length > before) d.changed?.add(rollout.id);
  }
  return issued;
}

/** The SQL for "installed within its ring's watch" of rollout_hosts `rh` joined to rings `g`, at rollout time `now` (every ring has health.watchHours: validateHealth writes it, migration 0012 filled in older rings). */
function withinWatch(now: number) {
  return sql`rh.installed_at > ${new Date(now).toISOString()}::timestamptz - (g.health ->> 'watchHours')::int * interval '1 hour'`;
}

/** Completed rollouts with a patched host still in its ring's watch, or a single-host rollback (a trip's) still to order or finish. */
async function watchedCompleted(d: TickDeps): Promise<Rollout[]> {
  const ids = resultRows<{ id: string }>(
    await d.tx.execute(sql`
      select r.id from rollouts r
      where r.state = 'completed' and exists (
        select 1 from rollout_hosts rh join rings g on g.id = rh.ring_id
        where rh.rollout_id = r.id and (rh.state = 'rolling-back' or (rh.state = 'succeeded' and ${withinWatch(d.now)})))`),
  ).map((r) => r.id);
  if (ids.length === 0) return [];
  return d.tx.select().from(rollouts).where(inArray(rollouts.id, ids));
}

/**
 * An agent's word arriving after its command had timed out (or was
 * cancelled) wins: a host put back to pending or counted failed whose install
 * has since succeeded is succeeded, and one whose install the agent did
 * accept is installing again (never ordered a second time).
 */
async function foldLateResults(d: TickDeps, rollout: Rollout): Promise<void> {
  const rows = resultRows<{ host_id: string; command_id: string; state: string; result: { replaced?: unknown[]; rebootRequired?: boolean } | null }>(
    await d.tx.execute(sql`
      select rh.host_id, c.id as command_id, c.state, c.result
      from rollout_hosts rh join commands c on c.id = rh.install_command_id
      where rh.rollout_id = ${rollout.id} and rh.state in ('pending', 'failed')
        and c.state in ('succeeded', 'acknowledged', 'running')`),
  );
  if (rows.length > 0) d.changed?.add(rollout.id);
  const at = new Date(d.now);
  for (const r of rows) {
    const done = r.state === 'succeeded';
    await d.tx
      .update(rolloutHosts)
      .set({
        state: done ? 'succeeded' : 'installing',
        stateAt: at,
        commandId: r.command_id,
        errorCode: null,
        ...(done ? { replaced: (r.result?.replaced ?? []) as HostRow['replaced'], rebootRequired: r.result?.rebootRequired === true, installedAt: at } : {}),
      })
      .where(and(eq(rolloutHosts.rolloutId, rollout.id), eq(rolloutHosts.hostId, r.host_id)));
    d.log.info({ rolloutId: rollout.id, agentId: r.host_id, commandId: r.command_id, state: r.state }, 'late command result folded into the rollout');
  }
}

/** Folds finished commands into host states; orders reboots the ring's policy wants. Returns hosts given reboots. */
async function reconcile(d: TickDeps, rollout: Rollout): Promise<string[]> {
  await foldLateResults(d, rollout);
  const rows = resultRows<{ host_id: string; ring_id: string; host_state: RolloutHostState; boot_id_before: string | null; command_id: string; action: string; state: string; result: { replaced?: unknown[]; rebootRequired?: boolean } | null; error_code: string | null }>(
    await d.tx.execute(sql`
      select rh.host_id, rh.ring_id, rh.state as host_state, rh.boot_id_before, c.id as command_id, c.action, c.state, c.result, c.error_code
      from rollout_hosts rh join commands c on c.id = rh.command_id
      where rh.rollout_id = ${rollout.id} and rh.state in ('installing', 'rolling-back')
        and c.state in ('succeeded', 'failed', 'timed_out', 'cancelled')`),
  );
  if (rows.length === 0) return [];
  d.changed?.add(rollout.id);
  const at = new Date(d.now);
  const ringPolicies = new Map((await d.tx.select().from(rings)).map((r) => [r.id, r]));
  const reboots: CommandSpec[] = [];
  for (const r of rows) {
    const undelivered = r.state === 'cancelled' || (r.state === 'timed_out' && r.error_code === Errors.COMMAND_UNDELIVERED.code);
    let next: RolloutHostState;
    const patch: Partial<HostRow> = {};
    if (r.host_state === 'installing') {
      // Not delivered in its window (offline, busy): back to pending, caught in a later window.
      next = undelivered ? 'pending' : r.state === 'succeeded' ? 'succeeded' : 'failed';
      if (next === 'succeeded') {
        patch.replaced = (r.result?.replaced ?? []) as HostRow['replaced'];
        patch.rebootRequired = r.result?.rebootRequired === true;
        patch.installedAt = at;
        const ring = ringPolicies.get(r.ring_id);
        const policy = ring?.reboot;
        if (policy && (policy.policy === 'always' || (policy.policy === 'when-required' && patch.rebootRequired))) {
          reboots.push({ hostId: r.host_id, action: 'reboot', target: rollout.name.slice(0, 200), params: { reason: `Patchfleet rollout ${rollout.id}`, delaySec: REBOOT_DELAY_SEC }, ttlMs: Math.max(1, policy.deadlineHours) * HOUR_MS, rolloutId: rollout.id, ringId: r.ring_id });
          // A reboot is expected: the host must come back with another boot id within the grace period (nothing to compare without a boot id).
          if (r.boot_id_before) {
            patch.bootState = 'expected';
            patch.rebootDueBy = new Date(d.now + ((ring?.health.rebootGraceMin ?? DEFAULT_RING_HEALTH.rebootGraceMin) * 60 + REBOOT_DELAY_SEC) * 1000);
          }
        }
      }
    } else if (undelivered) {
      // The whole rollout rolling back orders it again from 'succeeded'; a single host's rollback (a tripped gate's) waits for its next order.
      next = rollout.state === 'rolling-back' ? 'succeeded' : 'rolling-back';
    } else {
      next = r.state === 'succeeded' ? 'rolled-back' : 'rollback-failed';
    }
    await d.tx
      .update(rolloutHosts)
      .set({ ...patch, state: next, stateAt: at, commandId: next === 'pending' || (undelivered && r.host_state === 'rolling-back') ? null : r.command_id, errorCode: next === 'failed' || next === 'rollback-failed' ? (r.error_code ?? Errors.COMMAND_FAILED.code) : null })
      .where(and(eq(rolloutHosts.rolloutId, rollout.id), eq(rolloutHosts.hostId, r.host_id)));
  }
  if (reboots.length === 0) return [];
  await d.commands.create(d.tx, reboots, `rollout:${rollout.id}`);
  return reboots.map((s) => s.hostId);
}

interface RingCounts {
  pending: number;
  installing: number;
  succeeded: number;
  failed: number;
  /** Hosts rolling back by themselves (a tripped gate's rollback). */
  rollingBack: number;
  /** Hosts rolled back (or whose rollback failed): installed once, so part of what the rollout has tried. */
  rolledBack: number;
  /** Hosts still in the ring's run: pending, installing, succeeded or failed (not skipped, blocked or rolled back). */
  total: number;
}

const NO_HOSTS: RingCounts = { pending: 0, installing: 0, succeeded: 0, failed: 0, rollingBack: 0, rolledBack: 0, total: 0 };

async function ringCounts(tx: Tx, rolloutId: string): Promise<Map<string, RingCounts>> {
  const rows = await tx
    .select({ ringId: rolloutHosts.ringId, state: rolloutHosts.state, n: sql<number>`count(*)::int` })
    .from(rolloutHosts)
    .where(eq(rolloutHosts.rolloutId, rolloutId))
    .groupBy(rolloutHosts.ringId, rolloutHosts.state);
  const out = new Map<string, RingCounts>();
  for (const r of rows) {
    const c = out.get(r.ringId) ?? { ...NO_HOSTS };
    if (r.state === 'pending' || r.state === 'installing' || r.state === 'succeeded' || r.state === 'failed') {
      c[r.state] += Number(r.n);
      c.total += Number(r.n);
    }
    if (r.state === 'rolling-back') c.rollingBack += Number(r.n);
    if (r.state === 'rolled-back' || r.state === 'rollback-failed') c.rolledBack += Number(r.n);
    out.set(r.ringId, c);
  }
  return out;
}

async function setRingState(d: TickDeps, rollout: Rollout, ring: RolloutRing, state: RolloutRingState, extra: Partial<RolloutRing> = {}, details: Record<string, unknown> = {}): Promise<void> {
  const at = new Date(d.now);
  await d.tx
    .update(rolloutRings)
    .set({ ...extra, state, stateAt: at, note: null })
    .where(and(eq(rolloutRings.rolloutId, rollout.id), eq(rolloutRings.ringId, ring.ringId)));
  ring.state = state;
  Object.assign(ring, extra);
  d.changed?.add(rollout.id);
  await audit(d.tx, new Date(d.realNow), { actor: 'system', action: `rollout.ring.${state}`, targetType: 'rollout', targetId: rollout.id, details: { ring: ring.ringName, at: at.toISOString(), ...details } });
  d.log.info({ rolloutId: rollout.id, ring: ring.ringName, state }, 'rollout ring state');
}

async function setNote(d: TickDeps, rollout: Rollout, ring: RolloutRing, note: string | null): Promise<void> {
  if (ring.note === note) return;
  ring.note = note;
  d.changed?.add(rollout.id);
  await d.tx.update(rolloutRings).set({ note }).where(and(eq(rolloutRings.rolloutId, rollout.id), eq(rolloutRings.ringId, ring.ringId)));
}

async function setRolloutState(d: TickDeps, rollout: Rollout, state: Rollout['state'], reason: string | null, actor = 'system'): Promise<void> {
  await d.tx.update(rollouts).set({ state, stateReason: reason, updatedAt: new Date(d.realNow) }).where(eq(rollouts.id, rollout.id));
  rollout.state = state;
  d.changed?.add(rollout.id);
  await audit(d.tx, new Date(d.realNow), { actor, action: `rollout.${state}`, targetType: 'rollout', targetId: rollout.id, details: { reason } });
  d.log.info({ rolloutId: rollout.id, state, reason }, 'rollout state');
}

/**
 * Runs the health gates of a rollout with a ring installing or soaking, or
 * with a patched host installed within its ring's watch (watchHours), so
 * that the gates keep judging patched hosts after a soak ends, after the
 * last ring passed and after the rollout completed (undefined when nothing
 * is watched).
 */
async function gatesOf(d: TickDeps, rollout: Rollout): Promise<RolloutGates | undefined> {
  const watched = resultRows<{ ring_id: string; active: boolean }>(
    await d.tx.execute(sql`
      select ring_id, true as active from rollout_rings where rollout_id = ${rollout.id} and state in ('installing', 'soaking')
      union
      select distinct rh.ring_id, false from rollout_hosts rh join rings g on g.id = rh.ring_id
      where rh.rollout_id = ${rollout.id} and rh.state = 'succeeded' and ${withinWatch(d.now)}`),
  );
  if (watched.length === 0) return undefined;
  if (d.watch && !watched.some((w) => w.active)) {
    // Only watching: at most every WATCH_JUDGE_EVERY_MS (everyMs) of rollout time.
    const last = d.watch.lastJudged.get(rollout.id);
    if (last !== undefined && d.now - last < d.watch.everyMs) return undefined;
    d.watch.judged.set(rollout.id, d.now);
  }
  const health = new Map((await d.tx.select({ id: rings.id, health: rings.health }).from(rings)).map((r) => [r.id, r.health]));
  return runGates({ tx: d.tx, now: d.now, realNow: d.realNow, speed: d.speed, log: d.log, safety: d.safety ?? defaultSafety, events: d.events }, rollout, health, [...new Set(watched.map((w) => w.ring_id))]);
}

const DECISION_RANK: Record<PatchDecision['decision'], number> = { 'deploy-now': 0, stage: 1, hold: 2, block: 3 };

/** The strictest decision over the rollout's patches, with the reasons of the patches that set it. */
function strictest(decisions: ReadonlyMap<string, PatchDecision>): { decision: PatchDecision['decision']; cautious: boolean; why: string } {
  const all = [...decisions.values()];
  const worst = all.reduce<PatchDecision['decision']>((w, x) => (DECISION_RANK[x.decision] > DECISION_RANK[w] ? x.decision : w), 'deploy-now');
  const why = all
    .filter((x) => x.decision === worst)
    .map((x) => `${x.patchId}${x.reasons.length > 0 ? `: ${x.reasons.join('; ')}` : ''}`)
    .join(' | ');
  return { decision: worst, cautious: all.some((x) => x.cautious), why };
}

/** Moves the rings of an active rollout along and orders installs. Returns the hosts given commands. */
async function advance(d: TickDeps, rollout: Rollout, gates: RolloutGates | undefined): Promise<string[]> {
  const safety = d.safety ?? defaultSafety;
  const ringRows = await d.tx.select().from(rolloutRings).where(eq(rolloutRings.rolloutId, rollout.id)).orderBy(rolloutRings.position);
  const policies = new Map((await d.tx.select().from(rings)).map((r) => [r.id, r]));
  const patchIds = cohortPatchIds(rollout.content);
  // Blocks (from this rollout's gates or another's; read once here when the gates did not run this round) take the covered pending hosts out of the run.
  const blockedClasses = gates ? gates.blocked : new Set((await activeBlocks(d.tx, patchIds)).map((b) => b.hostClass ?? '*'));
  if (blockedClasses.size > 0) {
    const blocked = await blockPendingHosts(d.tx, rollout.id, patchIds, new Date(d.now));
    if (blocked.length > 0) await audit(d.tx, new Date(d.realNow), { actor: 'system', action: 'rollout.hosts_blocked', targetType: 'rollout', targetId: rollout.id, details: { hosts: blocked, reason: 'an active block covers their class' } });
  }
  const counts = await ringCounts(d.tx, rollout.id);
  const decision = strictest(await safety.decisionsFor(d.tx, patchIds, new Date(d.now)));
  const firstPosition = ringRows[0]?.position ?? 0;
  // A hold that comes with class blocks is already applied class by class (the blocked classes are out of the run): the other classes go on.
  const classHeld = decision.decision === 'hold' && blockedClasses.size > 0 && !blockedClasses.has('*');
  // Plain values in sql`` reach the driver unconverted: a Date fails on postgres-js, so ISO text with a cast.
  const nowText = new Date(d.now).toISOString();
  const freezes = await d.tx
    .select()
    .from(changeFreezes)
    .where(and(sql`${changeFreezes.startsAt} <= ${nowText}::timestamptz`, sql`${changeFreezes.endsAt} > ${nowText}::timestamptz`));
  const issued: string[] = [];
  let previousPassed = true;
  // Hosts of the rings before this one: a ring after the first ring with hosts ramps up (orderWave).
  let earlierHosts = 0;
  for (const ring of ringRows) {
    const policy = policies.get(ring.ringId);
    const c = counts.get(ring.ringId) ?? { ...NO_HOSTS };
    const soakMs = rollout.expedite || !policy ? 0 : policy.soakHours * HOUR_MS * (decision.cautious ? 2 : 1);
    const ramp = earlierHosts > 0;
    earlierHosts += c.total + c.rolledBack;
    if (!policy || ring.state === 'halted' || ring.state === 'cancelled') {
      previousPassed = false;
      continue;
    }
    const freeze = freezes.find((f) => f.ringId === null || f.ringId === ring.ringId);
    const window = isAlwaysOpen(policy.windows) ? { start: d.now, end: Number.POSITIVE_INFINITY } : openWindowAt(policy.windows, d.now);

    if (ring.state === 'waiting') {
      if (previousPassed && c.total === 0) {
        // Nothing to install in this ring (its hosts are fixed at start): no deferral, window or soak to wait for.
        await setRingState(d, rollout, ring, 'passed', { finishedAt: new Date(d.now) }, { hosts: 0 });
      } else if (!previousPassed) {
        await setNote(d, rollout, ring, 'waiting for the previous ring to pass');
      } else if (d.now < ring.eligibleAt.getTime()) {
        await setNote(d, rollout, ring, `deferred until ${ring.eligibleAt.toISOString()}`);
      } else {
        await setRingState(d, rollout, ring, 'scheduled');
      }
    }
    if (ring.state === 'scheduled') {
      const approvals = ring.approvalsNeeded > 0 ? await countApprovals(d.tx, rollout.id, ring.ringId) : 0;
      if (freeze) await setNote(d, rollout, ring, `change freeze until ${freeze.endsAt.toISOString()}: ${freeze.reason}`);
      else if (decision.decision === 'block') await setNote(d, rollout, ring, `reliability decision: block (${decision.why})`);
      else if (decision.decision === 'hold' && !classHeld && ring.position > firstPosition) await setNote(d, rollout, ring, `reliability decision: hold, no further than the first ring (${decision.why})`);
      else if (approvals < ring.approvalsNeeded) await awaitApproval(d, rollout, ring, approvals);
      else if (!window) await setNote(d, rollout, ring, 'waiting for a maintenance window');
      else await setRingState(d, rollout, ring, 'installing', { startedAt: new Date(d.now) });
    }
    // Checked before ordering: a round that halts must not order (and at once cancel) another wave.
    if (ring.state === 'installing' || ring.state === 'soaking') {
      // Hosts a tripped gate has rolled back are out of the count on purpose: their class's block already
      // acts on them, and one bad class must not halt the rollout for the classes it does not harm.
      const done = c.succeeded + c.failed;
      const verdict = ringFailureVerdict(c.failed, done, policy.promotion.maxFailureRate);
      // Failures above the limit that chance may explain still halt a ring they leave with no way to promote:
      // nothing left to install and fewer successes than it needs (a one-host ring whose host failed). A limit
      // of 1 (100 %) never halts.
      const needed = Math.min(policy.promotion.minHostsDone, c.total);
      const stuck = ring.state === 'installing' && verdict.rate > policy.promotion.maxFailureRate && c.pending === 0 && c.installing === 0 && c.succeeded < needed;
      if (verdict.halt || stuck) {
        await setRingState(d, rollout, ring, 'halted', { finishedAt: new Date(d.now) }, { failed: c.failed, done, failureRate: verdict.rate, maxFailureRate: policy.promotion.maxFailureRate, chance: verdict.chance, ...(verdict.halt ? {} : { stuck: { succeeded: c.succeeded, needed } }) });
        const reason = verdict.halt
          ? `ring ${ring.ringName}: ${c.failed} of ${done} hosts failed (${formatPercent(verdict.rate)} > ${formatPercent(policy.promotion.maxFailureRate)}; ${formatPercent(verdict.chance)} likely by chance at ${formatPercent(policy.promotion.maxFailureRate)})`
          : `ring ${ring.ringName}: ${c.failed} of ${done} hosts failed and ${c.succeeded} succeeded, fewer than the ${needed} it needs to pass, with no host left to install`;
        await setRolloutState(d, rollout, 'halted', reason);
        await d.events.emit(d.tx, { type: 'rollout.halted', data: { rolloutId: rollout.id, rolloutName: rollout.name, ring: ring.ringName, reason, failed: c.failed, finished: done } }, { at: new Date(d.realNow) });
        await cancelCommands(d.tx, { rolloutId: rollout.id }, d.realNow, 'system');
        return issued;
      }
    }
    if ((ring.state === 'installing' || ring.state === 'soaking' || ring.state === 'passed') && c.pending > 0 && window && !freeze) {
      const ordered = await orderWave(d, rollout, ring, policy, c, window.end, decision.cautious, ramp);
      c.pending -= ordered.length;
      c.installing += ordered.length;
      issued.push(...ordered);
    }
    if (ring.state === 'installing') {
      const needed = Math.min(policy.promotion.minHostsDone, c.total);
      const enough = c.succeeded >= needed && (c.pending === 0 || c.succeeded >= Math.max(needed, 1));
      if (c.total === 0) await setRingState(d, rollout, ring, 'passed', { finishedAt: new Date(d.now) }, { hosts: 0 });
      else if (c.installing === 0 && enough) {
        await setRingState(d, rollout, ring, 'soaking', { soakUntil: new Date(d.now + soakMs) }, { succeeded: c.succeeded, failed: c.failed, pending: c.pending, ...(decision.cautious ? { cautious: true } : {}) });
      }
    }
    if (ring.state === 'soaking' && ring.soakUntil && d.now >= ring.soakUntil.getTime()) {
      // Promoted only when its classes passed the gates: a class with too little health evidence holds the ring one more soak (at least an hour), then passes with the shortfall recorded.
      const { short, noData } = gates ? classesShortOfExposure(gates, ring.ringId, soakMs / d.speed / HOUR_MS) : { short: [], noData: [] };
      const ceiling = ring.soakUntil.getTime() + Math.max(soakMs, HOUR_MS);
      const words = short.map((x) => `${describeClass(x.hostClass)} (${x.have.toFixed(2)} of ${x.need.toFixed(2)} host-hours)`).join('; ');
      if (short.length > 0 && d.now < ceiling) {
        await setNote(d, rollout, ring, `health gate: too little evidence yet for ${words}; passes without it at ${new Date(ceiling).toISOString()}`);
      } else {
        await setRingState(d, rollout, ring, 'passed', { finishedAt: new Date(d.now) }, { succeeded: c.succeeded, failed: c.failed, pending: c.pending, gate: short.length > 0 ? { passedAtCeiling: true, shortOfEvidence: short, noHealthData: noData } : noData.length > 0 ? { passed: true, noHealthData: noData } : 'passed' });
        if (short.length > 0) await setNote(d, rollout, ring, `health gate: passed at its ceiling with too little evidence for ${words}`);
        await safety.refreshScores(d.tx, patchIds, new Date(d.now));
      }
    }
    previousPassed = ring.state === 'passed';
  }
  const left = [...counts.values()].reduce((a, c) => a + c.pending + c.installing + c.rollingBack, 0);
  if (ringRows.every((r) => r.state === 'passed') && left === 0) await setRolloutState(d, rollout, 'completed', null);
  return issued;
}

/**
 * Notes that `ring` waits for approvals and, when the note changes, reports
 * it (approval.needed), once per ring and approval count: a second approver
 * is asked for too.
 */
async function awaitApproval(d: TickDeps, rollout: Rollout, ring: RolloutRing, approvals: number): Promise<void> {
  const note = `awaiting approval (${approvals} of ${ring.approvalsNeeded})`;
  if (ring.note === note) return;
  await setNote(d, rollout, ring, note);
  await d.events.emit(
    d.tx,
    { type: 'approval.needed', data: { rolloutId: rollout.id, rolloutName: rollout.name, ring: ring.ringName, approvals, needed: ring.approvalsNeeded } },
    { dedupeKey: `approval.needed:${rollout.id}:${ring.ringId}:${approvals}`, at: new Date(d.realNow) },
  );
}

async function countApprovals(tx: Tx, rolloutId: string, ringId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(distinct ${rolloutApprovals.approverTokenId})::int` })
    .from(rolloutApprovals)
    .where(and(eq(rolloutApprovals.rolloutId, rolloutId), eq(rolloutApprovals.ringId, ringId)));
  return Number(row?.n ?? 0);
}

/** Hosts (of `candidates`) that are online at the wall clock (hosts/queries.ts defines online). */
function onlineHosts(d: TickDeps, candidates: readonly string[]): Promise<Set<string>> {
  return onlineHostIds(d.tx, candidates, new Date(d.realNow), d.staleMs);
}

/**
 * Orders installs to the next wave of online pending hosts: at most
 * `waveSize` (a new wave only once the last one finished) and never more
 * than `maxConcurrent` at once. Commands expire when the window closes.
 */
async function orderWave(d: TickDeps, rollout: Rollout, ring: RolloutRing, policy: Ring, c: RingCounts, windowEnd: number, cautious: boolean, ramp: boolean): Promise<string[]> {
  // Cautious (low confidence in the patch's reliability): half the waves, at least one host; "whole ring" becomes half of it.
  const waveSize = cautious ? Math.max(1, policy.waveSize > 0 ? Math.floor(policy.waveSize / 2) : Math.ceil(c.total / 2)) : policy.waveSize;
  if (waveSize > 0 && c.installing > 0) return [];
  const capacity = policy.maxConcurrent > 0 ? policy.maxConcurrent - c.installing : Number.POSITIVE_INFINITY;
  const size = Math.min(capacity, waveSize > 0 ? waveSize : Number.POSITIVE_INFINITY);
  if (size <= 0) return [];
  // Each pending host with its class (host-class.ts), which the ramp reads, in the same statement.
  const pending = await d.tx
    .select({ host: rolloutHosts, cls: sql<string>`${hostClassSql('hosts')}`, osPlatform: hosts.osPlatform, arch: hosts.arch })
    .from(rolloutHosts)
    .innerJoin(hosts, eq(hosts.id, rolloutHosts.hostId))
    .where(and(eq(rolloutHosts.rolloutId, rollout.id), eq(rolloutHosts.ringId, ring.ringId), eq(rolloutHosts.state, 'pending')))
    .orderBy(rolloutHosts.hostId);
  const online = await onlineHosts(d, pending.map((p) => p.host.hostId));
  const agentUpdate = rollout.content.agentUpdate;
  // An agent update needs the host's executable: a host whose platform the release has no file for waits (it was chosen by platform at start).
  const fileOf = (p: (typeof pending)[number]) => agentUpdate?.files.find((f) => f.platform === releasePlatformOf(p.osPlatform, p.arch));
  const candidates = pending.filter((p) => online.has(p.host.hostId) && (!agentUpdate || fileOf(p) !== undefined));
  if (candidates.length === 0) {
    await setNote(d, rollout, ring, `${pending.length} host(s) pending, none online`);
    return [];
  }
  // The ramp (ramp.ts) applies where the admin left the pace to the controller: no waves, no maintenance
  // windows (a window's installs go out when it opens), not expedited.
  const ramping = ramp && policy.waveSize === 0 && isAlwaysOpen(policy.windows) && !rollout.expedite;
  let picked = candidates.slice(0, Number.isFinite(size) ? size : undefined);
  if (ramping) {
    const pick = pickRamped(candidates, (p) => p.cls, await classProgress(d.tx, rollout.id), size);
    picked = pick.chosen;
    const chosen = picked;
    if (chosen.length === 0) {
      await setNote(d, rollout, ring, `ramping up: waiting for the results of ${pick.waitingFor.installing} install(s) before more hosts (${pick.waitingFor.finished} finished)`);
      return [];
    }
  }
  // Valid until the window closes (in wall-clock time), at least a minute, at most a day when there are no windows.
  const ttlMs = Number.isFinite(windowEnd) ? Math.max(60_000, (windowEnd - d.now) / d.speed) : 24 * HOUR_MS;
  const target = rollout.name.slice(0, 200);
  const specs: CommandSpec[] = picked.map((p) => {
    const h = p.host;
    const file = fileOf(p);
    const common = { hostId: h.hostId, target, ttlMs, rolloutId: rollout.id, ringId: ring.ringId };
    if (agentUpdate && file) {
      const params = { version: agentUpdate.version, manifest: agentUpdate.manifest, file: file.name, sha256: file.sha256, size: file.size, confirmWithinSec: UPDATE_CONFIRM_SEC.default };
      return { ...common, action: 'update-agent' as const, params };
    }
    return { ...common, action: 'install' as const, params: h.kb ? { kb: h.kb } : { packages: h.packages } };
  });
  const rows = await d.commands.create(d.tx, specs, `rollout:${rollout.id}`);
  const wave = ring.wave + 1;
  const at = new Date(d.now);
  await d.tx.execute(sql`
    update rollout_hosts rh set state = 'installing', state_at = ${at.toISOString()}::timestamptz, command_id = v.command_id,
      install_command_id = v.command_id, attempts = rh.attempts + 1, wave = ${wave},
      boot_id_before = (select coalesce(h.boot_id, nullif(h.facts ->> 'bootId', '')) from hosts h where h.id = rh.host_id), boot_state = 'none', reboot_due_by = null
    from ${commandRecordset(rows)} where rh.rollout_id = ${rollout.id} and rh.host_id = v.host_id`);
  await d.tx.update(rolloutRings).set({ wave, note: null }).where(and(eq(rolloutRings.rolloutId, rollout.id), eq(rolloutRings.ringId, ring.ringId)));
  ring.wave = wave;
  await audit(d.tx, new Date(d.realNow), { actor: 'system', action: 'rollout.wave', targetType: 'rollout', targetId: rollout.id, details: { ring: ring.ringName, wave, hosts: rows.map((r) => r.hostId), decidedAt: at.toISOString(), windowEnd: Number.isFinite(windowEnd) ? new Date(windowEnd).toISOString() : null } });
  return rows.map((r) => r.hostId);
}

/** (host_id, command_id) of new commands as a row source `v`: a wave of any size is one UPDATE, not one per host. */
function commandRecordset(rows: readonly { id: string; hostId: string }[]) {
  const json = JSON.stringify(rows.map((r) => ({ host_id: r.hostId, command_id: r.id })));
  return sql`jsonb_to_recordset(${json}::jsonb) as v(host_id text, command_id text)`;
}

/** Orders rollbacks to every online host whose install changed something; ends the rollback when none is left. */
async function rollBack(d: TickDeps, rollout: Rollout): Promise<string[]> {
  if (rollout.content.agentUpdate) {
    // Agents never downgrade (a release older than the running agent is refused): rolling back an agent
    // rollout only stops it. rollout-control has cancelled its unaccepted commands and unfinished rings.
    await setRolloutState(d, rollout, 'cancelled', 'an agent-version rollout is not rolled back (agents never downgrade): it was stopped instead');
    return [];
  }
  const todo = await d.tx.select().from(rolloutHosts).where(and(eq(rolloutHosts.rolloutId, rollout.id), eq(rolloutHosts.state, 'succeeded')));
  const [busy] = await d.tx
    .select({ n: sql<number>`count(*)::int` })
    .from(rolloutHosts)
    // Installs accepted before the rollback began still run: wait for them (then roll them back too).
    .where(and(eq(rolloutHosts.rolloutId, rollout.id), inArray(rolloutHosts.state, ['rolling-back', 'installing'])));
  if (todo.length === 0 && Number(busy?.n ?? 0) === 0) {
    await setRolloutState(d, rollout, 'rolled-back', null);
    return [];
  }
  return orderRollbacks(d, rollout, todo);
}

/**
 * Flags hosts still pending (not ordered, or ordered and not reached) after
 * their ring's deadline, once each, and audits them. Hosts whose install is
 * under way are not flagged.
 */
async function markMissedDeadlines(d: TickDeps, rollout: Rollout): Promise<void> {
  if (rollout.state !== 'active' && rollout.state !== 'paused') return;
  const overdueRings = await d.tx
    .select({ ringId: rolloutRings.ringId, ringName: rolloutRings.ringName, deadlineAt: rolloutRings.deadlineAt })
    .from(rolloutRings)
    .where(and(eq(rolloutRings.rolloutId, rollout.id), lt(rolloutRings.deadlineAt, new Date(d.now))));
  for (const ring of overdueRings) {
    const missed = await d.tx
      .update(rolloutHosts)
      .set({ deadlineMissedAt: new Date(d.now) })
      .where(and(eq(rolloutHosts.rolloutId, rollout.id), eq(rolloutHosts.ringId, ring.ringId), eq(rolloutHosts.state, 'pending'), isNull(rolloutHosts.deadlineMissedAt)))
      .returning({ hostId: rolloutHosts.hostId });
    if (missed.length === 0) continue;
    d.changed?.add(rollout.id);
    await auditMany(d.tx, new Date(d.realNow), [
      { actor: 'system', action: 'rollout.deadline_missed', targetType: 'rollout', targetId: rollout.id, details: { ring: ring.ringName, deadline: ring.deadlineAt.toISOString(), hosts: missed.map((m) => m.hostId) } },
    ]);
    await d.events.emit(
      d.tx,
      {
        type: 'deadline.missed',
        data: { source: 'rollout', deadline: ring.deadlineAt.toISOString(), hostIds: missed.map((m) => m.hostId), patchIds: cohortPatchIds(rollout.content), rolloutId: rollout.id, rolloutName: rollout.name, ring: ring.ringName, tier: null },
      },
      { at: new Date(d.realNow) },
    );
    d.log.warn({ rolloutId: rollout.id, ring: ring.ringName, hosts: missed.length }, 'hosts missed their patch deadline');
  }
}
