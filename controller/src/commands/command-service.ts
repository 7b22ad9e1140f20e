/**
 * Gets commands from their rows to the agents. Any replica may create a
 * command; it then publishes the host ids on `pf_commands`, and the replica
 * holding each agent's socket sends it (LISTEN/NOTIFY on PostgreSQL). A
 * (re)connecting agent gets everything still queued for it. Delivery is at
 * least once; the agent's journal makes execution at most once.
 */
import { Capabilities, Errors, trackWork, type CommandStatusFrame } from '@patchfleet/shared';
import { idPayloads, type Unsubscribe } from '../bus/bus';
import type { ControllerContext } from '../context';
import type { Db, Tx } from '../db/index';
import type { SessionRegistry } from '../gateway/ports';
import type { AgentSession } from '../gateway/session';
import { applyAgentStatus, applyAgentStatuses, createCommands, deliverableCommands, markSent, unmarkSent, type CommandRow, type CommandSpec, type StatusOutcome } from './command-store';
import { signedCommandOf } from './signing';
import { PfError } from '@patchfleet/shared/errors';

export const COMMANDS_CHANNEL = 'pf_commands';

/** Commands signed, committed and sent together by {@link CommandService.issue}; stored one chunk per transaction (createCommands). */
export const ISSUE_CHUNK = 250;

/** Most status reports written in one statement (one JSON parameter holds them). */
const STATUS_BATCH = 2000;

/** A status report waiting for its batch; the session reads its next frame once it settles. */
interface QueuedStatus {
  session: AgentSession;
  msg: CommandStatusFrame;
  resolve(): void;
  reject(err: unknown): void;
}

/** Resolves after the event loop has polled for I/O once (two check phases: the first may come before this turn's poll). */
const ioTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

export class CommandService {
  private unsubscribe: Unsubscribe | undefined;
  /** Status reports not yet written, and whether a writer is draining them. */
  private statusQueue: QueuedStatus[] = [];
  private statusDraining = false;
  /** Hosts that just became ready, waiting for one look-up of their queued commands. */
  private readyHosts = new Set<string>();
  private readyDraining = false;
  /** Command frames this process wrote to agents' sockets since it started (a simulator reads it after each step). */
  framesSent = 0;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly sessions: SessionRegistry,
    private readonly secretKey: string,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.ctx.bus.subscribe(COMMANDS_CHANNEL, (payload) => this.deliverSoon(payload.split(',')));
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }

  /**
   * Creates signed, audited commands in `db` (pass the transaction that
   * decides them). Call {@link announce} with the result after it commits.
   */
  create(db: Db | Tx, specs: readonly CommandSpec[], actor: string, requestId?: string, sendingTo?: ReadonlySet<string>): Promise<CommandRow[]> {
    return createCommands(db, specs, { now: this.ctx.clock.now(), secretKey: this.secretKey, actor, ...(requestId ? { requestId } : {}), ...(sendingTo ? { sendingTo } : {}) });
  }

  /** Wakes the replicas holding these hosts (committed commands only: they read the rows). */
  async announce(hostIds: readonly string[]): Promise<void> {
    for (const payload of idPayloads([...new Set(hostIds)])) await this.ctx.bus.publish(COMMANDS_CHANNEL, payload);
  }

  /**
   * Creates and delivers commands outside any other transaction, in chunks
   * of {@link ISSUE_CHUNK}: each chunk is signed, stored (commands and
   * their audit rows in one transaction) and sent before the next is signed,
   * so the first agents work while the controller signs the rest. A failure
   * part-way leaves the earlier chunks issued (and audited); the error names
   * how many were.
   */
  async issue(specs: readonly CommandSpec[], actor: string, requestId?: string): Promise<CommandRow[]> {
    const out: CommandRow[] = [];
    for (let i = 0; i < specs.length; i += ISSUE_CHUNK) {
      // Agents connected here get their command straight from the stored rows (no second read),
      // stored as sent by the insert itself; the others are announced to every replica.
      const chunk = specs.slice(i, i + ISSUE_CHUNK);
      const local = new Set(chunk.filter((s) => this.isLocal(s.hostId)).map((s) => s.hostId));
      let rows: CommandRow[];
      try {
        rows = await this.ctx.db.transaction((tx) => this.create(tx, chunk, actor, requestId, local));
      } catch (err) {
        if (out.length === 0) throw err;
        throw new PfError(Errors.INTERNAL, `issued ${out.length} of ${specs.length} commands, then failed: ${(err as Error).message}`, { issued: out.map((r) => r.id) }, { cause: err });
      }
      out.push(...rows);
      const unsent = this.write(rows.filter((r) => local.has(r.hostId)));
      // A socket that closed in between: back to queued, and delivered when the agent is back (here or elsewhere).
      await unmarkSent(this.ctx.db, unsent.map((r) => r.id));
      const unsentIds = new Set(unsent.map((r) => r.id));
      await this.announce(rows.filter((r) => !local.has(r.hostId) || unsentIds.has(r.id)).map((r) => r.hostId));
      // PGlite answers in the same thread, so without this the whole order would be issued before
      // one socket is read: let the acknowledgements of the chunks sent so far in and be stored.
      if (i + ISSUE_CHUNK < specs.length) await ioTurn();
    }
    return out;
  }

  private isLocal(hostId: string): boolean {
    const s = this.sessions.get(hostId);
    return s?.authenticated === true && s.supports(Capabilities.Commands);
  }

  /** Writes the commands to their agents' sockets; returns those it could not write (no open session). */
  private write(rows: readonly CommandRow[]): CommandRow[] {
    const unsent: CommandRow[] = [];
    for (const row of rows) {
      const session = this.sessions.get(row.hostId);
      if (session?.send('command', { command: signedCommandOf(row), signature: row.signature })) {
        this.framesSent += 1;
        this.ctx.log.info({ commandId: row.id, agentId: row.hostId, action: row.action, target: row.target }, 'command sent');
      } else unsent.push(row);
    }
    return unsent;
  }

  /** Writes the commands to their agents' sockets and records the deliveries. */
  private async send(rows: readonly CommandRow[]): Promise<number> {
    const unsent = new Set(this.write(rows));
    const sent = rows.filter((r) => !unsent.has(r)).map((r) => r.id);
    await markSent(this.ctx.db, sent, this.ctx.clock.now());
    return sent.length;
  }

  /**
   * Agents that (re)connect together get one look-up of their queued
   * commands rather than one each: after a controller restart thousands
   * reconnect within seconds. While a look-up runs, newcomers wait for the next.
   */
  /** An agent finished its handshake: send it what is queued for it (the gateway's agentReady). */
  deliverOnReady(agentId: string): void {
    this.readyHosts.add(agentId);
    if (this.readyDraining) return;
    this.readyDraining = true;
    // setImmediate: let the other welcomes of this turn of the event loop join the batch.
    setImmediate(() => void trackWork(this.ctx.clock, this.drainReady(), 'command delivery (agent ready)'));
  }

  private async drainReady(): Promise<void> {
    while (this.readyHosts.size > 0) {
      const hostIds = [...this.readyHosts];
      this.readyHosts = new Set();
      try {
        await this.deliver(hostIds);
      } catch (err) {
        this.ctx.log.error({ err }, 'command delivery failed; retried when the agent reconnects or is woken again');
      }
    }
    this.readyDraining = false;
  }

  private deliverSoon(hostIds: readonly string[]): void {
    // Tracked: a stepped (simulated) clock waits until the commands a planner round announced are sent.
    void trackWork(
      this.ctx.clock,
      this.deliver(hostIds).catch((err: unknown) => this.ctx.log.error({ err }, 'command delivery failed; retried when the agent reconnects or is woken again')),
      'command delivery',
    );
  }

  /** Sends queued commands of the given hosts that are connected here. Returns how many frames were written. */
  async deliver(hostIds: readonly string[]): Promise<number> {
    const local = hostIds.filter((id) => this.isLocal(id));
    if (local.length === 0) return 0;
    return this.send(await deliverableCommands(this.ctx.db, local, this.ctx.clock.now()));
  }

  /**
   * Queues an agent's report; resolves once it is stored and answered.
   * Reports arriving while a batch is written form the next batch (group
   * commit), so a fan-out's thousands of acknowledgements cost a few
   * statements each round instead of a transaction each.
   */
  /** An agent's command status, written in batches (the gateway's commandStatus). */
  onStatus(session: AgentSession, msg: CommandStatusFrame): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.statusQueue.push({ session, msg, resolve, reject });
      if (this.statusDraining) return;
      this.statusDraining = true;
      setImmediate(() => void trackWork(this.ctx.clock, this.drainStatuses(), 'command statuses'));
    });
  }

  private async drainStatuses(): Promise<void> {
    while (this.statusQueue.length > 0) {
      const batch = this.statusQueue.splice(0, STATUS_BATCH);
      const outcomes = new Array<StatusOutcome | undefined>(batch.length);
      try {
        await applyAgentStatuses(this.ctx.db, batch.map((q) => ({ agentId: q.session.agentId as string, frame: q.msg })), this.ctx.clock.now(), outcomes);
      } catch (err) {
        // One bad report must not fail its neighbours' sessions: fall back to one at a time, as before batching.
        this.ctx.log.warn({ err, reports: batch.length }, 'batched command status write failed; writing the reports one by one');
      }
      for (const [i, q] of batch.entries()) {
        try {
          const outcome = outcomes[i] ?? (await applyAgentStatus(this.ctx.db, q.session.agentId as string, q.msg, this.ctx.clock.now()));
          this.answerStatus(q.session, q.msg, outcome);
          q.resolve();
        } catch (err) {
          q.reject(err);
        }
      }
    }
    this.statusDraining = false;
  }

  /** Logs, reports a finished command, and answers the agent (error or receipt) as its report requires. */
  private answerStatus(session: AgentSession, msg: CommandStatusFrame, outcome: StatusOutcome): void {
    const agentId = session.agentId as string;
    if (outcome.kind === 'unknown') {
      this.ctx.log.warn({ agentId, commandId: msg.commandId }, 'status for a command this agent was never sent');
      session.send('error', { code: Errors.UNKNOWN_COMMAND.code, message: `no command ${msg.commandId} for this agent`, retryable: Errors.UNKNOWN_COMMAND.retryable, replyTo: msg.id });
      return;
    }
    if (outcome.kind === 'updated') {
      this.ctx.log.info({ commandId: msg.commandId, agentId, state: outcome.row.state, errorCode: outcome.row.errorCode }, 'command status');
    }
    // Terminal reports are receipted (again, if the first receipt was lost) so the agent stops repeating them.
    if (outcome.terminal && (msg.state === 'succeeded' || msg.state === 'failed' || msg.state === 'refused')) session.send('commandReceipt', { commandId: msg.commandId });
  }
}
