/**
 * One simulated host of a rollout run, on a real TLS WebSocket with the real
 * protocol: hello -> challenge -> auth (its own Ed25519 key) -> welcome, full
 * and delta inventory reports (test/sim/inventory.ts makes exactly its
 * class's scenario patches missing), hourly health samples through an
 * outbox, heartbeats, and signed commands checked as the real agent checks
 * them (agent/src/commands/verify.ts: signature under the pinned command
 * key, agent id, expiry) before they run with the scenario's outcomes.
 *
 * It speaks only when the runner tells it to (a boundary, an execution) and
 * waits for the controller's answer to everything it sends (ack, healthAck,
 * commandReceipt), so the controller has taken in all of it before the
 * runner moves the virtual clock on. Times it puts on the wire are virtual:
 * the run's start plus the hour the runner names.
 *
 * What the host does with a command (the scenario's model, fleet-model.ts):
 * - install: attempt n of a patch fails as installOutcome(host, patch, n)
 *   says (a failure caused by the patch harms the host); a success starts
 *   the patch's exposure (its effects after onsetHours), reports the
 *   packages it replaced (Ubuntu) and that a reboot is needed, and sends an
 *   inventory delta with the patch installed. Every simulated patch needs a
 *   reboot, on Windows and Ubuntu alike, so a boot failure can show on both
 *   (the controller orders the reboot by its ring's reboot policy).
 * - reboot: succeeds (the agent schedules it), then the host goes down; it
 *   comes back at once with a new boot id unless bootFails(host, patch, n)
 *   for a patch installed since the last boot: then it never comes back.
 * - rollback: ends the patch's exposure (baseline rates again) and reports
 *   the inventory without it.
 * A command id already run is not run again: its status is sent again.
 */
import { WebSocket } from 'ws';
import {
  authChallengePayload,
  Capabilities,
  decodeFrame,
  encodeFrame,
  Errors,
  healthConfigSigningPayload,
  makeFrame,
  signCanonical,
  verifyCanonical,
  type Body,
  type CommandFrame,
  type CommandResult,
  type HealthSample,
  type Inventory,
  type Message,
  type MessageType,
  type PinnedAgent,
} from '@patchfleet/shared';
import { DEFAULT_MAX_CLOCK_SKEW_MS, verifyCommand } from '@patchfleet/agent/src/commands/verify';
import { patchesOfCommand, type CatalogSetup, type ClassSetup } from '../catalog-setup';
import type { Exposure, FleetModel, SimHost as ModelHost } from '../fleet-model';
import { classSetup, deltaReportBody, fullReportBodies, inventoryReport, type InstalledPatches } from '../inventory';

/** Tries to open a session before a host's connect fails, and the errors worth another try (refused, reset, dropped before the welcome). */
const CONNECT_ATTEMPTS = 5;
const TRANSIENT_CONNECT = /ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|closed before welcome \(1006/;

export const HOUR_MS = 3_600_000;
/** What a simulated agent announces. */
export const SIM_AGENT_VERSION = 'sim-1';
const CAPABILITIES = [Capabilities.InventoryDelta, Capabilities.InventoryChunked, Capabilities.Commands, Capabilities.InventoryEpoch, Capabilities.Health];
/** Most samples one health frame carries (MAX_HEALTH_SAMPLES_PER_FRAME). */
const SAMPLES_PER_FRAME = 500;
/** How long the simulated install, rollback and reboot take, as reported (they run instantly in virtual time). */
const REPORTED_DURATION_MS = 60_000;

/** A host's identity: its fleet index, the id the controller gave it, its private key. */
export interface SimIdentity {
  index: number;
  agentId: string;
  secretKey: string;
}

/** Where the controller is and what to pin. */
export interface HostTarget {
  wssUrl: string;
  fingerprint: string;
  commandKey: string;
}

/** What happened in one worker during one runner request. */
export interface StepCounts {
  /** Hosts connected at the end of the request. */
  online: number;
  connects: number;
  disconnects: number;
  samples: number;
  commandsRun: number;
  installs: number;
  installFailures: number;
  reboots: number;
  bootFailures: number;
  rollbacks: number;
  refused: number;
}

export const emptyCounts = (): StepCounts => ({ online: 0, connects: 0, disconnects: 0, samples: 0, commandsRun: 0, installs: 0, installFailures: 0, reboots: 0, bootFailures: 0, rollbacks: 0, refused: 0 });

export function addCounts(a: StepCounts, b: StepCounts): StepCounts {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof StepCounts)[]) out[k] += b[k];
  return out;
}

/** A change of the patches a host holds (install +1; rollback or a host that never came back -1), at hour `t`. */
export interface PatchedChange {
  t: number;
  patch: string;
  delta: 1 | -1;
}

/** What one host went through in the run (the runner's bookkeeping for the metrics). */
export interface HostRecord {
  index: number;
  /** Patches an install of which ran on the host, whatever its outcome. */
  exposed: string[];
  /** Patches that harmed it: an install failure they caused, no boot after them, or an event of their effects. */
  harmed: string[];
  /** Patches the controller rolled back on it. */
  rolledBack: string[];
  /** Patches it holds at the end (none when it never came back from a reboot). */
  held: string[];
  down: boolean;
  changes: PatchedChange[];
}

/** Everything the hosts of one worker share. */
export interface HostContext {
  model: FleetModel;
  setup: CatalogSetup;
  target: HostTarget;
  tls: PinnedAgent;
  /** Virtual start of the run (ms). */
  startMs: number;
  /** Real-time bound on one wait for the controller (ms). */
  waitMs: number;
  /** Called for every command frame that arrives, before anything else is done with it. */
  onCommandFrame(): void;
}

type Waiter = { resolve: (m: Message) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; what: string };

interface JournalEntry {
  status: Body<'commandStatus'>;
  receipted: boolean;
}

/** Order in which one host runs the commands it holds: by issue time, then action, target and id. */
const ACTION_ORDER: Record<string, number> = { rollback: 0, install: 1, reboot: 2, 'update-agent': 3 };
function commandOrder(a: CommandFrame, b: CommandFrame): number {
  const x = a.command;
  const y = b.command;
  return x.issuedAt - y.issuedAt || (ACTION_ORDER[x.action] ?? 9) - (ACTION_ORDER[y.action] ?? 9) || (x.target < y.target ? -1 : x.target > y.target ? 1 : 0) || (x.commandId < y.commandId ? -1 : x.commandId > y.commandId ? 1 : 0);
}

export class SimHost {
  readonly index: number;
  private readonly cls: ClassSetup;
  private ws: WebSocket | undefined;
  private connected = false;
  private closing: Promise<void> | undefined;
  private frameSeq = 0;
  /** Virtual time (ms) the host's frames carry now. */
  private nowMs: number;

  private readonly invEpoch: string;
  private invSeq = 0;
  /** The report the controller acknowledged last, and its seq (0: none). */
  private acked: { seq: number; report: Inventory } | undefined;

  private readonly healthEpoch: string;
  private healthSeq = 0;
  private outbox: HealthSample[] = [];

  private bootN = 0;
  private bootTime: number;
  private pendingReboot = false;
  private down = false;

  private readonly exposures: Exposure[] = [];
  /** Successful installs since the last boot (their boot failure is drawn at the next reboot). */
  private pendingBoot: { patch: string; attempt: number }[] = [];
  private readonly attempts = new Map<string, number>();
  private readonly journal = new Map<string, JournalEntry>();
  private inbox: CommandFrame[] = [];
  private readonly waiters = new Map<string, Waiter>();
  /** A fatal protocol problem seen outside any wait; reported at the next request. */
  private fault: Error | undefined;

  private readonly exposed = new Set<string>();
  private readonly harmed = new Set<string>();
  private readonly rolledBack = new Set<string>();
  private readonly changes: PatchedChange[] = [];

  constructor(
    private readonly ctx: HostContext,
    private readonly identity: SimIdentity,
    private readonly host: ModelHost,
  ) {
    this.index = identity.index;
    this.cls = classSetup(ctx.setup, host.className);
    this.invEpoch = `inv-${this.index}`;
    this.healthEpoch = `hs-${this.index}`;
    this.nowMs = ctx.startMs;
    // Up for a day when the run starts.
    this.bootTime = ctx.startMs - 24 * HOUR_MS;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get isDown(): boolean {
    return this.down;
  }

  private ms(t: number): number {
    return this.ctx.startMs + Math.round(t * HOUR_MS);
  }

  private get bootId(): string {
    return `${this.host.hostname}-boot-${this.bootN}`;
  }

  private where(): string {
    return `${this.host.hostname} (${this.identity.agentId})`;
  }

  private check(): void {
    if (this.fault) throw this.fault;
  }

  // ---- wire ----

  private send<K extends MessageType>(type: K, body: Body<K>): string {
    const id = `${this.index}-${++this.frameSeq}`;
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN) throw new Error(`${this.where()}: cannot send ${type}: the socket is not open`);
    ws.send(encodeFrame(makeFrame(type, body, this.nowMs, id) as Message));
    return id;
  }

  /** Resolves with the controller's answer filed under `key` (a frame id, or `c:` and a command id). */
  private expect(key: string, what: string): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`${this.where()}: no answer to ${what} within ${this.ctx.waitMs} ms`));
      }, this.ctx.waitMs);
      this.waiters.set(key, { resolve, reject, timer, what });
    });
  }

  private answer(key: string, msg: Message): boolean {
    const w = this.waiters.get(key);
    if (!w) return false;
    this.waiters.delete(key);
    clearTimeout(w.timer);
    w.resolve(msg);
    return true;
  }

  private failAll(err: Error): void {
    for (const [key, w] of this.waiters) {
      clearTimeout(w.timer);
      this.waiters.delete(key);
      w.reject(err);
    }
  }

  private onMessage(data: Buffer, onWelcome: (m: Extract<Message, { type: 'welcome' }>) => void): void {
    let msg: Message;
    try {
      msg = decodeFrame(data);
    } catch (err) {
      this.fatal(new Error(`${this.where()}: bad frame from the controller: ${(err as Error).message}`));
      return;
    }
    switch (msg.type) {
      case 'challenge':
        this.send('auth', { agentId: this.identity.agentId, sessionId: msg.sessionId, signature: signCanonical(authChallengePayload(this.identity.agentId, msg.sessionId, msg.nonce), this.identity.secretKey) });
        return;
      case 'welcome':
        onWelcome(msg);
        return;
      case 'command':
        this.ctx.onCommandFrame();
        this.inbox.push(msg);
        return;
      case 'ack':
      case 'healthAck':
        if (!this.answer(msg.replyTo, msg)) this.fatal(new Error(`${this.where()}: ${msg.type} for a frame nothing waits for (${msg.replyTo})`));
        return;
      case 'commandReceipt': {
        const entry = this.journal.get(msg.commandId);
        if (entry) entry.receipted = true;
        this.answer(`c:${msg.commandId}`, msg);
        return;
      }
      case 'healthConfig': {
        const payload = healthConfigSigningPayload(this.identity.agentId, { intervalSec: msg.intervalSec, probes: msg.probes, issuedAt: msg.issuedAt });
        if (!verifyCanonical(payload, msg.signature, this.ctx.target.commandKey)) this.fatal(new Error(`${this.where()}: healthConfig does not verify with the pinned command key`));
        return;
      }
      case 'error': {
        const err = new Error(`${this.where()}: controller refused: ${msg.code}: ${msg.message}`);
        const w = msg.replyTo === undefined ? undefined : this.waiters.get(msg.replyTo);
        if (w && msg.replyTo !== undefined) {
          this.waiters.delete(msg.replyTo);
          clearTimeout(w.timer);
          w.reject(err);
        } else this.fatal(err);
        return;
      }
      default:
        return; // heartbeats need no answer
    }
  }

  private fatal(err: Error): void {
    this.fault ??= err;
    this.failAll(err);
  }

  // ---- connection ----

  /** Opens the socket and authenticates; then brings the controller up to date (inventory, unreceipted statuses, outbox). */
  async connect(t: number): Promise<void> {
    this.check();
    if (this.connected || this.down) return;
    this.nowMs = this.ms(t);
    // A connection refused or reset before the welcome is tried again, as an agent reconnects: a reboot wave brings
    // a thousand hosts back at one boundary and the listen queue can overflow (bounded; real time only, the virtual
    // clock does not move meanwhile, so the run stays the same).
    let welcome: Extract<Message, { type: 'welcome' }>;
    for (let attempt = 1; ; attempt++) {
      try {
        welcome = await this.openSession();
        break;
      } catch (err) {
        if (attempt >= CONNECT_ATTEMPTS || !TRANSIENT_CONNECT.test((err as Error).message)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.floor(Math.random() * 100)));
      }
    }
    this.connected = true;
    // The controller's copy of the inventory: kept when it holds our latest report, otherwise a full report.
    const holds = this.acked !== undefined && welcome.epoch === this.invEpoch && welcome.lastAckedSeq === this.acked.seq;
    if (!holds) await this.sendFull();
    for (const [commandId, entry] of this.journal) {
      if (!entry.receipted) await this.sendStatus(commandId, entry.status);
    }
    await this.flushOutbox();
  }

  /** One attempt to open the socket and be welcomed. */
  private openSession(): Promise<Extract<Message, { type: 'welcome' }>> {
    return new Promise<Extract<Message, { type: 'welcome' }>>((resolve, reject) => {
      const ws = new WebSocket(this.ctx.target.wssUrl, { agent: this.ctx.tls, perMessageDeflate: false, handshakeTimeout: this.ctx.waitMs });
      this.ws = ws;
      let welcomed = false;
      const timer = setTimeout(() => fail(new Error(`${this.where()}: no welcome within ${this.ctx.waitMs} ms`)), this.ctx.waitMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        if (!welcomed) {
          ws.terminate();
          reject(err);
        }
      };
      ws.on('error', (err) => (welcomed ? this.fatal(new Error(`${this.where()}: socket error: ${err.message}`)) : fail(err)));
      ws.on('open', () => this.send('hello', { agentId: this.identity.agentId, agentVersion: SIM_AGENT_VERSION, platform: this.cls.os.platform, capabilities: CAPABILITIES }));
      ws.on('message', (data: Buffer) =>
        this.onMessage(data, (m) => {
          welcomed = true;
          clearTimeout(timer);
          resolve(m);
        }),
      );
      ws.on('close', (code, reason) => {
        this.connected = false;
        if (!welcomed) fail(new Error(`${this.where()}: socket closed before welcome (${code} ${reason.toString()})`));
        else if (!this.closing) this.fatal(new Error(`${this.where()}: the controller closed the socket (${code} ${reason.toString()})`));
      });
    });
  }

  /** Closes the socket (the host sleeps, shuts down or reboots); commands received and not run are dropped (the controller sends them again). */
  async disconnect(): Promise<void> {
    const ws = this.ws;
    this.inbox = [];
    if (!ws || !this.connected) return;
    this.closing = new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      const timer = setTimeout(() => ws.terminate(), this.ctx.waitMs);
      ws.once('close', () => clearTimeout(timer));
    });
    ws.close(1000, 'simulated host going away');
    await this.closing;
    this.closing = undefined;
    this.connected = false;
    this.ws = undefined;
  }

  // ---- reports ----

  private installedNow(): InstalledPatches {
    const out = new Map<string, number>();
    for (const x of this.exposures) if (x.removedAt == null) out.set(x.patchId, this.ms(x.installedAt));
    return out;
  }

  private report(): Inventory {
    return inventoryReport(
      this.ctx.setup,
      this.host.className,
      this.host,
      { now: this.nowMs, bootId: this.bootId, bootTime: this.bootTime, pendingReboot: this.pendingReboot ? { required: true, reasons: ['simulated update installed'] } : { required: false, reasons: [] } },
      this.installedNow(),
    );
  }

  private async sendFull(): Promise<void> {
    const report = this.report();
    const seq = ++this.invSeq;
    const bodies = fullReportBodies(report, { seq, collectedAt: this.nowMs, epoch: this.invEpoch });
    let last = '';
    for (const b of bodies) last = this.send('inventory', b);
    await this.expect(last, `full inventory report ${seq}`);
    this.acked = { seq, report };
  }

  /** A one-part delta on top of the acknowledged report (a full one when there is none). */
  private async sendDelta(): Promise<void> {
    if (!this.acked) return this.sendFull();
    const report = this.report();
    const seq = ++this.invSeq;
    const id = this.send('inventory', deltaReportBody(this.acked.report, report, { seq, baseSeq: this.acked.seq, collectedAt: this.nowMs, epoch: this.invEpoch }));
    await this.expect(id, `inventory delta ${seq}`);
    this.acked = { seq, report };
  }

  /** Sends every queued health sample (oldest first) and waits for the acknowledgements. */
  private async flushOutbox(): Promise<number> {
    let sent = 0;
    while (this.outbox.length > 0) {
      const samples = this.outbox.slice(0, SAMPLES_PER_FRAME);
      const id = this.send('health', { epoch: this.healthEpoch, samples });
      const ack = await this.expect(id, `health frame (${samples.length} samples)`);
      if (ack.type !== 'healthAck' || ack.seq !== samples[samples.length - 1]!.seq) throw new Error(`${this.where()}: health frame acknowledged up to ${ack.type === 'healthAck' ? ack.seq : '?'}, sent up to ${samples[samples.length - 1]!.seq}`);
      this.outbox = this.outbox.slice(samples.length);
      sent += samples.length;
    }
    return sent;
  }

  /**
   * Queues the health samples of [prev, t): one per stretch the host was
   * on, counting the model's crashes and service failures in it; and
   * records the harm of any event a patch's effect caused.
   */
  private queueSamples(prev: number, t: number): void {
    const off = this.ctx.model.offlineIntervals(this.index, prev, t);
    const pieces: [number, number][] = [];
    let from = prev;
    for (const [a, b] of off) {
      if (a > from) pieces.push([from, a]);
      from = Math.max(from, b);
    }
    if (from < t) pieces.push([from, t]);
    if (pieces.length === 0) return;
    const events = this.ctx.model.events(this.index, { exposures: this.exposures }, prev, t);
    for (const e of events) if (e.cause.type === 'effect') this.harmed.add(e.cause.patchId);
    for (const [a, b] of pieces) {
      const start = this.ms(a);
      const end = this.ms(b);
      if (end <= start) continue;
      let crashes = 0;
      let failures = 0;
      for (const e of events) {
        if (e.at < a || e.at >= b) continue;
        if (e.kind === 'crash') crashes++;
        else failures++;
      }
      this.outbox.push({
        seq: ++this.healthSeq,
        periodStart: start,
        periodEnd: end,
        bootId: this.bootId,
        uptimeSec: Math.max(0, Math.floor((end - this.bootTime) / 1000)),
        counters: { appCrashes: crashes, kernelCrashes: 0, serviceFailures: failures, unexpectedShutdowns: 0, probeFailures: 0, probeRuns: 0 },
        unavailable: [],
        events: [],
      });
    }
  }

  /**
   * Hour boundary `t`: the samples of [prev, t) are queued; the host goes
   * off or comes back as the model says; an online host sends a heartbeat
   * and its outbox. Returns the samples sent.
   */
  async boundary(t: number, prev: number | null, counts: StepCounts): Promise<void> {
    this.check();
    if (this.down) return;
    this.nowMs = this.ms(t);
    if (prev !== null && t > prev) this.queueSamples(prev, t);
    const online = this.ctx.model.isOnline(this.index, t);
    if (!online) {
      if (this.connected) {
        await this.disconnect();
        counts.disconnects++;
      }
      return;
    }
    if (!this.connected) {
      const queued = this.outbox.length;
      await this.connect(t);
      counts.connects++;
      counts.samples += queued;
    } else {
      this.send('heartbeat', { uptimeSec: Math.max(0, Math.floor((this.nowMs - this.bootTime) / 1000)), bootId: this.bootId });
      counts.samples += await this.flushOutbox();
    }
    counts.online++;
  }

  // ---- commands ----

  private async sendStatus(commandId: string, status: Body<'commandStatus'>): Promise<void> {
    const receipt = this.expect(`c:${commandId}`, `status ${status.state} of command ${commandId}`);
    this.send('commandStatus', status);
    await receipt;
  }

  /** acknowledged and running, then the terminal state (journaled, repeated until receipted). */
  private async finish(commandId: string, ok: boolean, result: CommandResult, error?: { code: string; message: string }): Promise<void> {
    this.send('commandStatus', { commandId, state: 'acknowledged', at: this.nowMs });
    this.send('commandStatus', { commandId, state: 'running', at: this.nowMs });
    const status: Body<'commandStatus'> = { commandId, state: ok ? 'succeeded' : 'failed', at: this.nowMs, result, ...(error ? { error } : {}) };
    this.journal.set(commandId, { status, receipted: false });
    await this.sendStatus(commandId, status);
  }

  /** Runs the commands received so far, in a fixed order, at hour `t`. */
  async execute(t: number, counts: StepCounts): Promise<void> {
    this.check();
    if (!this.connected || this.inbox.length === 0) return;
    this.nowMs = this.ms(t);
    const todo = this.inbox.sort(commandOrder);
    this.inbox = [];
    for (let i = 0; i < todo.length; i++) {
      const frame = todo[i]!;
      if (!this.connected) {
        // A reboot earlier in the list took the host down: the rest waits for the controller to send it again.
        this.inbox.push(...todo.slice(i));
        break;
      }
      counts.commandsRun++;
      await this.run(frame, t, counts);
    }
  }

  private async run(frame: CommandFrame, t: number, counts: StepCounts): Promise<void> {
    const { command } = frame;
    const known = this.journal.get(command.commandId);
    if (known) {
      if (!known.receipted) await this.sendStatus(command.commandId, known.status);
      return;
    }
    const verdict = verifyCommand(frame, { agentId: this.identity.agentId, commandKey: this.ctx.target.commandKey, now: this.nowMs, maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS });
    if (!verdict.ok) {
      if (!verdict.signatureValid) throw new Error(`${this.where()}: command ${command.commandId} refused: ${verdict.error.code} ${verdict.error.message}`);
      counts.refused++;
      const status: Body<'commandStatus'> = { commandId: command.commandId, state: 'refused', at: this.nowMs, error: { code: verdict.error.code, message: verdict.error.message.slice(0, 2000) } };
      this.journal.set(command.commandId, { status, receipted: false });
      await this.sendStatus(command.commandId, status);
      return;
    }
    switch (command.action) {
      case 'install':
        return this.install(frame, t, counts);
      case 'rollback':
        return this.rollback(frame, t, counts);
      case 'reboot':
        return this.reboot(frame, t, counts);
      default:
        counts.refused++;
        await this.finish(command.commandId, false, {}, { code: Errors.COMMAND_UNSUPPORTED.code, message: `action ${command.action} is not simulated` });
    }
  }

  /** The one scenario patch a command is about (by KB, or by the package names it names). */
  private patchOf(params: CommandFrame['command']['params']): string | undefined {
    const packages = params.packages ?? params.replaced?.map((r) => ({ name: r.name }));
    const ids = patchesOfCommand(this.ctx.setup, this.host.className, { kb: params.kb ?? null, ...(packages ? { packages } : {}) });
    return ids.length === 1 ? ids[0] : undefined;
  }

  private holding(patch: string): Exposure | undefined {
    return this.exposures.find((x) => x.patchId === patch && x.removedAt == null);
  }

  private async install(frame: CommandFrame, t: number, counts: StepCounts): Promise<void> {
    const { command } = frame;
    const patch = this.patchOf(command.params);
    if (patch === undefined) {
      counts.refused++;
      return this.finish(command.commandId, false, { exitCode: 100 }, { code: Errors.COMMAND_FAILED.code, message: `no scenario patch matches ${JSON.stringify(command.params).slice(0, 300)}` });
    }
    counts.installs++;
    this.exposed.add(patch);
    const attempt = this.attempts.get(patch) ?? 0;
    this.attempts.set(patch, attempt + 1);
    const changes = this.ctx.setup.patches.find((p) => p.id === patch)?.packages[this.host.className] ?? [];
    if (this.holding(patch)) {
      // Already installed (a repeated order): nothing changes, as apt or WUA would say.
      return this.finish(command.commandId, true, { exitCode: 0, replaced: [], durationMs: REPORTED_DURATION_MS });
    }
    const outcome = this.ctx.model.installOutcome(this.index, patch, attempt);
    if (!outcome.ok) {
      counts.installFailures++;
      if (outcome.cause === 'effect') this.harmed.add(patch);
      return this.finish(command.commandId, false, { exitCode: 1, durationMs: REPORTED_DURATION_MS }, { code: Errors.COMMAND_FAILED.code, message: `simulated install of ${patch} failed` });
    }
    this.exposures.push({ patchId: patch, installedAt: t });
    this.changes.push({ t, patch, delta: 1 });
    this.pendingBoot.push({ patch, attempt });
    this.pendingReboot = true;
    const replaced = changes.map((c) => ({ name: c.name, from: c.before, to: c.after }));
    await this.finish(command.commandId, true, { exitCode: 0, rebootRequired: true, durationMs: REPORTED_DURATION_MS, ...(replaced.length > 0 ? { replaced } : {}) });
    await this.sendDelta();
  }

  private async rollback(frame: CommandFrame, t: number, counts: StepCounts): Promise<void> {
    const { command } = frame;
    const patch = this.patchOf(command.params);
    if (patch === undefined) {
      counts.refused++;
      return this.finish(command.commandId, false, { exitCode: 100 }, { code: Errors.COMMAND_FAILED.code, message: `no scenario patch matches ${JSON.stringify(command.params).slice(0, 300)}` });
    }
    counts.rollbacks++;
    const held = this.holding(patch);
    const changes = this.ctx.setup.patches.find((p) => p.id === patch)?.packages[this.host.className] ?? [];
    if (held) {
      held.removedAt = t;
      this.rolledBack.add(patch);
      this.changes.push({ t, patch, delta: -1 });
      this.pendingBoot = this.pendingBoot.filter((p) => p.patch !== patch);
    }
    const replaced = held ? changes.map((c) => ({ name: c.name, from: c.after, to: c.before })) : [];
    await this.finish(command.commandId, true, { exitCode: 0, durationMs: REPORTED_DURATION_MS, replaced });
    if (held) await this.sendDelta();
  }

  private async reboot(frame: CommandFrame, t: number, counts: StepCounts): Promise<void> {
    const { command } = frame;
    counts.reboots++;
    // The agent schedules the reboot and reports success before it happens.
    await this.finish(command.commandId, true, { exitCode: 0 });
    await this.disconnect();
    const failed = this.pendingBoot.filter((p) => this.ctx.model.bootFails(this.index, p.patch, p.attempt));
    this.pendingBoot = [];
    this.pendingReboot = false;
    if (failed.length > 0) {
      // Never back in this run: it needs hands on the console.
      counts.bootFailures++;
      this.down = true;
      for (const p of failed) this.harmed.add(p.patch);
      for (const x of this.exposures) if (x.removedAt == null) this.changes.push({ t, patch: x.patchId, delta: -1 });
      return;
    }
    this.bootN++;
    this.bootTime = this.nowMs;
    await this.connect(t);
    // Back with a new boot id: heartbeat, and a report with the new facts (its acknowledgement tells they are stored).
    this.send('heartbeat', { uptimeSec: 0, bootId: this.bootId });
    await this.sendDelta();
  }

  /** What the host went through (the bookkeeping of the metrics). */
  record(): HostRecord {
    return {
      index: this.index,
      exposed: [...this.exposed].sort(),
      harmed: [...this.harmed].sort(),
      rolledBack: [...this.rolledBack].sort(),
      held: this.down ? [] : this.exposures.filter((x) => x.removedAt == null).map((x) => x.patchId).sort(),
      down: this.down,
      changes: [...this.changes],
    };
  }

  close(): void {
    this.failAll(new Error(`${this.where()}: closed`));
    this.closing = Promise.resolve();
    this.ws?.close(1000, 'simulation over');
  }
}
