/**
 * Fixtures for rollout planner and command store tests: a migrated database
 * with the default rings, hosts with a dpkg package, sessions that make
 * them online, planner rounds at explicit times, and agents answering.
 */
import { and, eq } from 'drizzle-orm';
import { makeFrame, nodeEd25519, type CommandResult } from '@patchfleet/shared';
import type { CommandWriter } from './ports';
import { discardEvents, type EventSink } from '../events/ports';
import { applyAgentStatus, createCommands, type CommandRow, type StatusOutcome } from '../commands/command-store';
import type { Db } from '../db/index';
import { auditLog, catalogUsns, commands, hostPatchState, hostSessions, hosts, installedPackages, rolloutHosts, rolloutRings, rollouts } from '../db/schema/index';
import { createLogger } from '../logger';
import { ensureDefaultRings } from './ring-defaults';
import { pinHost, runAssignment, updateRing, type RingInput } from './ring-store';
import { createRollout, type StartRolloutInput } from './rollout-create';
import { tickRollouts } from './rollout-tick';
import type { PatchDecision } from '../reliability/decision-types';
import type { SafetyPorts } from '../safety/gates';
import { evaluateCohort } from '../safety/stats/evaluate';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** Monday 2026-01-05 00:00 UTC. */
export const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
export const STALE_MS = 10 * MIN;

/**
 * Gates and decisions for planner-mechanics tests: the real gate judge, and
 * every patch staged normally with full confidence (the reliability
 * service's own decisions, cautious for a patch never tried, are tested in
 * reliability/ and in safety/ tests that set `kit.safety`).
 */
export const NEUTRAL_SAFETY: SafetyPorts = {
  evaluate: evaluateCohort,
  decisionsFor: async (_tx, patchIds) =>
    new Map(patchIds.map((patchId) => [patchId, { patchId, decision: 'stage', score: null, confidence: 1, tier: null, cautious: false, reasons: [] } satisfies PatchDecision])),
  refreshScores: async () => undefined,
};

export class RolloutKit {
  readonly keys = nodeEd25519.generateKeyPair();
  readonly log = createLogger({ level: 'silent' });
  /** What the planner's rounds use for gates and decisions (NEUTRAL_SAFETY unless a test sets it). */
  safety: SafetyPorts = NEUTRAL_SAFETY;
  /** Where the planner's rounds report events (nothing recorded unless a test sets it, e.g. a WebhookOutbox). */
  events: EventSink = discardEvents;
  /** Watch cadence of tickRollouts (as the RolloutService gives it); undefined: every round judges. */
  watchEveryMs: number | undefined;
  readonly watchJudged = new Map<string, number>();
  /** The rollouts the last tick() changed (what the service announces as live hints). */
  changed = new Set<string>();

  private constructor(
    readonly tdb: TestDatabase,
    readonly db: Db,
  ) {}

  static async open(): Promise<RolloutKit> {
    const tdb = await openTestDatabase();
    const kit = new RolloutKit(tdb, tdb.database.db);
    await ensureDefaultRings(kit.db, new Date(T0 - DAY));
    return kit;
  }

  cleanup(): Promise<void> {
    return this.tdb.cleanup();
  }

  /** Hosts with `openssl` at `version` (dpkg), pinned to `ring`. */
  async addHosts(ids: readonly string[], ring: string, opts: { version?: string; manager?: 'dpkg' | 'rpm'; status?: 'active' | 'revoked'; model?: string } = {}): Promise<void> {
    await this.db.insert(hosts).values(ids.map((id) => ({ id, hostname: id, enrolledAt: new Date(T0 - DAY), status: opts.status ?? 'active', hwModel: opts.model ?? '' })));
    await this.db.insert(installedPackages).values(
      ids.map((id) => ({ hostId: id, manager: opts.manager ?? 'dpkg', name: 'openssl', arch: 'amd64', version: opts.version ?? '1.0-1', sourceName: 'openssl', sourceVersion: opts.version ?? '1.0-1' })),
    );
    await this.db.transaction(async (tx) => {
      for (const id of ids) await pinHost(tx, id, ring, 'test', new Date(T0 - DAY));
      await runAssignment(tx, new Date(T0 - DAY));
    });
  }

  async editRing(ring: string, input: RingInput): Promise<void> {
    await this.db.transaction((tx) => updateRing(tx, ring, input, new Date(T0 - DAY)).then(() => undefined));
  }

  /** Starts a rollout of openssl 1.1-1 released at `now` (by default) at rollout time `now`. */
  start(now: number, input: Partial<StartRolloutInput> = {}): Promise<string> {
    return this.db.transaction((tx) =>
      createRollout(tx, { patches: [], packages: [{ name: 'openssl', version: '1.1-1' }], expedite: false, releasedAt: new Date(now), ...input }, { now, realNow: now, actor: 'token:tk_admin' }),
    );
  }

  /** A catalog USN published at `published` fixing openssl 1.1-1, missing on `hostIds`. */
  async addUsn(id: string, published: number, hostIds: readonly string[]): Promise<void> {
    const at = new Date(published).toISOString();
    await this.db.insert(catalogUsns).values({ id, title: 'openssl vulnerabilities', details: '', published: at, modified: at, cves: [], cveFacts: [], contentHash: id });
    await this.db.insert(hostPatchState).values(
      hostIds.map((hostId) => ({ hostId, patchId: id, kind: 'usn' as const, status: 'missing' as const, packages: [{ name: 'openssl', installed: '1.0-1', fixed: '1.1-1' }], assessedAt: new Date(published) })),
    );
  }

  /** Open sessions seen at `at` for these hosts (others keep whatever they had). */
  async online(ids: readonly string[], at: number): Promise<void> {
    for (const id of ids) {
      await this.db
        .insert(hostSessions)
        .values({ id: `s_${id}`, hostId: id, controllerId: 'c1', connectedAt: new Date(at), lastSeenAt: new Date(at) })
        .onConflictDoUpdate({ target: hostSessions.id, set: { lastSeenAt: new Date(at), disconnectedAt: null } });
    }
  }

  async disconnect(id: string, at: number): Promise<void> {
    await this.db.update(hostSessions).set({ disconnectedAt: new Date(at) }).where(eq(hostSessions.hostId, id));
  }

  /** One planner round at `now` (rollout clock = wall clock, speed 1); `online` hosts are seen just before. */
  async tick(now: number, online: readonly string[] = []): Promise<string[]> {
    await this.online(online, now);
    const fake: Pick<CommandWriter, 'create'> = {
      create: (tx, specs, actor) => createCommands(tx, specs, { now, secretKey: this.keys.secretKey, actor }),
    };
    const watch = this.watchEveryMs === undefined ? undefined : { everyMs: this.watchEveryMs, lastJudged: this.watchJudged, judged: new Map<string, number>() };
    this.changed = new Set<string>();
    const changed = this.changed;
    const issued = await this.db.transaction((tx) => tickRollouts({ tx, now, realNow: now, speed: 1, staleMs: STALE_MS, commands: fake, events: this.events, log: this.log, safety: this.safety, watch, changed }));
    for (const [id, at] of watch?.judged ?? []) this.watchJudged.set(id, at);
    return issued;
  }

  /** The agent of `hostId` reports `state` for `commandId` at `at`. */
  report(hostId: string, commandId: string, state: 'acknowledged' | 'running' | 'succeeded' | 'failed' | 'refused', at: number, extra: { result?: CommandResult; error?: { code: string; message: string } } = {}): Promise<StatusOutcome> {
    return applyAgentStatus(this.db, hostId, makeFrame('commandStatus', { commandId, state, at, ...extra }, at), at);
  }

  /** acknowledged, running, then the end state of the host's latest command of `action`. */
  async finish(hostId: string, at: number, end: 'succeeded' | 'failed', result: CommandResult = {}, action: CommandRow['action'] = 'install'): Promise<CommandRow> {
    const cmd = (await this.commandsOf(hostId)).filter((c) => c.action === action).at(-1);
    if (!cmd) throw new Error(`no ${action} command for ${hostId}`);
    await this.report(hostId, cmd.id, 'acknowledged', at);
    await this.report(hostId, cmd.id, 'running', at);
    const out = await this.report(hostId, cmd.id, end, at, end === 'failed' ? { error: { code: 'PF_ERR_APT_FAILED', message: 'dpkg error' } } : { result });
    if (out.kind !== 'updated') throw new Error(`finishing ${cmd.id}: ${out.kind}`);
    return { ...cmd, ...out.row };
  }

  async commandsOf(hostId: string): Promise<CommandRow[]> {
    return this.db.select().from(commands).where(eq(commands.hostId, hostId)).orderBy(commands.issuedAt, commands.id);
  }

  async allCommands(): Promise<CommandRow[]> {
    return this.db.select().from(commands).orderBy(commands.issuedAt, commands.hostId);
  }

  async rollout(id: string): Promise<typeof rollouts.$inferSelect> {
    const [row] = await this.db.select().from(rollouts).where(eq(rollouts.id, id));
    if (!row) throw new Error(`no rollout ${id}`);
    return row;
  }

  async ring(rolloutId: string, ringName: string): Promise<typeof rolloutRings.$inferSelect> {
    const [row] = await this.db
      .select()
      .from(rolloutRings)
      .where(and(eq(rolloutRings.rolloutId, rolloutId), eq(rolloutRings.ringName, ringName)));
    if (!row) throw new Error(`no ring ${ringName} in ${rolloutId}`);
    return row;
  }

  async host(rolloutId: string, hostId: string): Promise<typeof rolloutHosts.$inferSelect> {
    const [row] = await this.db
      .select()
      .from(rolloutHosts)
      .where(and(eq(rolloutHosts.rolloutId, rolloutId), eq(rolloutHosts.hostId, hostId)));
    if (!row) throw new Error(`no host ${hostId} in ${rolloutId}`);
    return row;
  }

  async audits(action: string): Promise<(typeof auditLog.$inferSelect)[]> {
    return this.db.select().from(auditLog).where(eq(auditLog.action, action)).orderBy(auditLog.id);
  }
}
