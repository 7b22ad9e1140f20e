/**
 * Pushes `healthConfig` (sample interval and the probes that apply to the
 * host) to agents that listed capability `health/1`: once after `welcome`,
 * and to every agent this process holds whenever probes or the interval
 * change (any replica announces the change on the bus; each replica pushes
 * to its own sessions). Every config is signed with the command key for the
 * one agent it goes to (command probes run as root on the host).
 */
import { eq } from 'drizzle-orm';
import { Capabilities, signHealthConfig, trackWork, type Body } from '@patchfleet/shared';
import type { Unsubscribe } from '../bus/bus';
import type { ControllerContext } from '../context';
import type { Db } from '../db/index';
import { hosts, ringAssignments } from '../db/schema/index';
import { idIn } from '../commands/command-store';
import { MicroBatch } from '../gateway/micro-batch';
import type { SessionRegistry } from '../gateway/ports';
import { listProbes, probesForHost, type ProbeView } from './probes';
import { getHealthSettings } from './settings';

export const HEALTH_CONFIG_CHANNEL = 'health_config_changed';
/** The frame holds at most this many probes (HealthConfigSchema). */
export const MAX_PROBES_PER_HOST = 64;
const BATCH = 1000;

/** Tells every replica that probes or the interval changed (a hint: the database holds the truth). */
export async function announceHealthConfigChanged(ctx: Pick<ControllerContext, 'bus' | 'log'>): Promise<void> {
  await ctx.bus.publish(HEALTH_CONFIG_CHANNEL, 'changed').catch((err: unknown) => ctx.log.warn({ err }, 'health config change not announced; agents get it at their next connect'));
}

/** Labels and ring of each of `ids` (hosts that are gone are left out). */
async function hostScopes(db: Db, ids: readonly string[]): Promise<Map<string, { labels: Record<string, string>; ringId: string | null }>> {
  const out = new Map<string, { labels: Record<string, string>; ringId: string | null }>();
  for (let i = 0; i < ids.length; i += BATCH) {
    const rows = await db
      .select({ id: hosts.id, labels: hosts.labels, ringId: ringAssignments.ringId })
      .from(hosts)
      .leftJoin(ringAssignments, eq(ringAssignments.hostId, hosts.id))
      .where(idIn(hosts.id, ids.slice(i, i + BATCH)));
    for (const r of rows) out.set(r.id, { labels: r.labels ?? {}, ringId: r.ringId ?? null });
  }
  return out;
}

export class HealthConfigPush {
  private unsubscribe: Unsubscribe | undefined;
  private pushing: Promise<void> = Promise.resolve();
  /** healthConfig frames this process wrote to agents' sockets since it started (a simulator reads it after each step). */
  framesSent = 0;
  /**
   * Agents welcomed together (the handshakes of one batch, a reconnect storm) get one push: its three
   * look-ups (settings, probes, the hosts' labels and rings) once for all, not once per agent.
   */
  private readonly welcomed: MicroBatch<string, void>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly sessions: SessionRegistry,
    /** The command signing key (base64 Ed25519 secret), as for commands. */
    private readonly secretKey: string,
  ) {
    this.welcomed = new MicroBatch({
      clock: ctx.clock,
      label: 'health config (agents welcomed)',
      run: async (ids) => {
        await this.push([...new Set(ids)]);
        return ids.map(() => undefined);
      },
    });
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.ctx.bus.subscribe(HEALTH_CONFIG_CHANNEL, () => {
      this.pushing = trackWork(
        this.ctx.clock,
        this.pushing.then(async () => void (await this.pushAll())).catch((err: unknown) => this.ctx.log.warn({ err }, 'health config push failed; agents get it at their next connect')),
        'health config push',
      );
    });
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
    await this.pushing;
  }

  /** After `welcome`: the agent's config, if it speaks health/1. */
  async sendTo(agentId: string): Promise<void> {
    const s = this.sessions.get(agentId);
    if (!s?.supports(Capabilities.Health)) return;
    await this.welcomed.add(agentId);
  }

  /** To every agent of this process that speaks health/1. */
  async pushAll(): Promise<number> {
    const ids = this.sessions.all().filter((s) => s.supports(Capabilities.Health) && s.agentId).map((s) => s.agentId as string);
    return this.push(ids);
  }

  private async push(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const [settings, all, scopes] = await Promise.all([getHealthSettings(this.ctx.db), listProbes(this.ctx.db), hostScopes(this.ctx.db, ids)]);
    let sent = 0;
    for (const id of ids) {
      const scope = scopes.get(id);
      const session = this.sessions.get(id);
      if (!scope || !session) continue;
      if (session.send('healthConfig', this.configFor(id, settings.intervalSec, all, scope))) sent += 1;
    }
    this.framesSent += sent;
    return sent;
  }

  private configFor(agentId: string, intervalSec: number, all: readonly ProbeView[], scope: { labels: Record<string, string>; ringId: string | null }): Body<'healthConfig'> {
    const probes = probesForHost(all, scope.labels, scope.ringId);
    if (probes.length > MAX_PROBES_PER_HOST) this.ctx.log.warn({ agentId, probes: probes.length, sent: MAX_PROBES_PER_HOST }, 'more probes apply to the host than one healthConfig holds; the first by name are sent');
    return signHealthConfig(agentId, { intervalSec, probes: probes.slice(0, MAX_PROBES_PER_HOST), issuedAt: this.ctx.clock.now() }, this.secretKey);
  }
}

