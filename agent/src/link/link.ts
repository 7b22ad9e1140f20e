/**
 * The agent's side of the session: connect over WSS with the controller's
 * certificate pinned, answer the challenge, then deliver queued reports one
 * at a time until each is acknowledged, with heartbeats. Reconnects with
 * jittered exponential backoff; everything unacknowledged stays on disk.
 */
import { readFileSync } from 'node:fs';
import { uptime } from 'node:os';
import { WebSocket } from 'ws';
import {
  authChallengePayload,
  canonicalBytes,
  Capabilities,
  decodeFrame,
  encodeFrame,
  isPfError,
  Limits,
  makeFrame,
  nodeEd25519,
  PinnedAgent,
  type Body,
  type Clock,
  type Inventory,
  type Message,
  type MessageType,
  type TimerHandle,
} from '@patchfleet/shared';
import type { Logger } from 'pino';
import { Errors, PfError } from '@patchfleet/shared/errors';
import type { Identity } from '../identity/state-dir';
import { buildReport } from '../report/build';
import { chunkReport } from '../report/chunk';
import { AGENT_VERSION } from '../version';
import { Backoff } from './backoff';
import type { Outbox } from './outbox';
import type { CommandPort, HealthPort, LinkPort } from './ports';

/** Refusals of a report the controller can never store: resending it would loop, so it leaves the outbox. */
const DROP_REPORT_CODES = new Set<string>([Errors.UNSTORABLE_VALUE.code, Errors.REPORT_TOO_LARGE.code]);

/** Codes after which reconnecting cannot help without an operator. */
const FATAL_CODES = new Set<string>([Errors.AUTH_FAILED.code, Errors.UNKNOWN_AGENT.code, Errors.AGENT_REVOKED.code, Errors.UNSUPPORTED_VERSION.code, Errors.TLS_PIN_MISMATCH.code]);

export interface LinkOptions {
  identity: Identity;
  outbox: Outbox;
  clock: Clock;
  log: Logger;
  collect: () => Promise<Inventory>;
  /** How often to collect and report changes (run mode). */
  inventoryIntervalMs: number;
  /**
   * Builds what runs signed commands, given the link's own port; without it
   * the agent does not announce the commands capability.
   */
  commands?: (link: LinkPort) => CommandPort;
  /**
   * Health delivery (capability `health/1`): given a session only after
   * `welcome` and only when the controller lists the capability too; without
   * it the agent does not announce the capability.
   */
  health?: HealthPort;
  /**
   * Called once, when the controller first acknowledges a report in this
   * process: the link is up, authenticated, and inventory flows. A new agent
   * after a self-update confirms on it (agent/src/update).
   */
  onHealthy?: () => void;
}

interface SessionEnd {
  authenticated: boolean;
  error?: PfError;
  /** The controller is full (PF_ERR_CONTROLLER_FULL) and asked for this wait before the next try. */
  retryAfterMs?: number;
}

/**
 * The wait before the next connection: the back-off's, or, when a full
 * controller named a wait, that wait plus up to half of it again as jitter
 * (so the refused agents do not all come back in the same second).
 */
export function reconnectDelay(backoffMs: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  if (retryAfterMs === undefined) return backoffMs;
  return Math.max(backoffMs, retryAfterMs + Math.floor(random() * (retryAfterMs / 2)));
}

/** Longest wait before trying the next replica after one failed or went away (random from 0: no synchronized storm). */
export const FAILOVER_JITTER_MS = 2_000;

/**
 * Which controller to try next and after how long. With one URL this is the
 * plain back-off. With replicas, a session that ended or failed moves on to
 * the next URL after a short random wait, and only when every URL has failed
 * in a row does the back-off (or a full controller's retryAfter) apply
 * before the next round.
 */
export class ControllerRotation {
  private index = 0;
  private failedInRow = 0;

  constructor(
    readonly urls: readonly string[],
    private readonly backoff: Backoff,
    private readonly random: () => number = Math.random,
  ) {}

  get current(): string {
    return this.urls[this.index] as string;
  }

  /** After a session on `current` ended: the delay before the next try (and `current` moved on when there are replicas). */
  next(end: { authenticated: boolean; retryAfterMs?: number | undefined }): number {
    if (end.authenticated) {
      this.backoff.reset();
      this.failedInRow = 0;
    } else {
      this.failedInRow += 1;
    }
    if (this.urls.length === 1) return reconnectDelay(this.backoff.next(), end.retryAfterMs, this.random);
    this.index = (this.index + 1) % this.urls.length;
    if (this.failedInRow < this.urls.length) return Math.floor(this.random() * FAILOVER_JITTER_MS);
    this.failedInRow = 0;
    return reconnectDelay(this.backoff.next(), end.retryAfterMs, this.random);
  }
}

export class AgentLink {
  private ws: WebSocket | undefined;
  private stopped = false;
  private inFlight: number | undefined;
  /** Frame ids of the report in flight: an error frame answering one of them is about that report. */
  private readonly inFlightFrameIds = new Set<string>();
  private serverCapabilities: readonly string[] = [];
  private maxFrameBytes: number = Limits.maxFrameBytes;
  private heartbeatTimer: TimerHandle | undefined;
  private inventoryTimer: TimerHandle | undefined;
  private lastPong = 0;
  private readonly rotation: ControllerRotation;
  private readonly ackWaiters = new Map<number, { resolve: () => void; reject: (err: PfError) => void }>();
  private lastHostJson = '';
  private wake: (() => void) | undefined;
  private authenticated = false;
  private healthy = false;
  private inventoryTimerOn = false;
  /** Set while suspended (a self-update in progress): the loop waits on it instead of connecting. */
  private suspension: { gate: Promise<void>; release: () => void } | undefined;

  /** Runs signed commands (built from opts.commands with this link's port), if this agent takes commands. */
  readonly commands: CommandPort | undefined;

  constructor(private readonly opts: LinkOptions) {
    this.rotation = new ControllerRotation([...new Set([opts.identity.wsUrl, ...(opts.identity.failoverUrls ?? [])])], new Backoff());
    this.commands = opts.commands?.({
      sendStatus: (status) => this.send('commandStatus', status),
      reportSoon: () => void this.queueInventory(false).catch((err: unknown) => opts.log.error({ err }, 'inventory collection failed')),
    });
  }

  /** Collects now and queues a report (full when asked or when no state is projected). Returns its seq, if one was queued. */
  async queueInventory(forceFull: boolean): Promise<number | undefined> {
    const inventory = await this.opts.collect();
    const hostJson = JSON.stringify({ ...inventory.host, uptimeSec: 0, users: [] });
    const report = buildReport(inventory, this.opts.outbox.projected(), { forceFull, collectedAt: this.opts.clock.now(), hostChanged: hostJson !== this.lastHostJson });
    this.lastHostJson = hostJson;
    if (!report) return undefined;
    const entry = this.opts.outbox.enqueue(report, inventory.packages);
    this.opts.log.info({ seq: entry.seq, kind: entry.kind, packages: entry.packages.length, removed: entry.removed.length }, 'report queued');
    this.sendNext();
    return entry.seq;
  }

  /** Resolves once report `seq` is acknowledged; rejects when the controller refuses it for good (it left the outbox). */
  waitForAck(seq: number): Promise<void> {
    if (!this.opts.outbox.queuedSeqs().some((s) => s <= seq)) return Promise.resolve();
    return new Promise((resolve, reject) => this.ackWaiters.set(seq, { resolve, reject }));
  }

  /**
   * Keeps a session up until stop(). With `failFast`, a refusal that needs
   * an operator (bad pin, unknown or revoked agent) ends the loop with that
   * error; a revocation ends it always.
   */
  async runLoop(failFast: boolean): Promise<void> {
    while (!this.stopped) {
      if (this.suspension) {
        await this.suspension.gate;
        continue;
      }
      const url = this.rotation.current;
      const end = await this.connectOnce(url);
      if (this.stopped) break;
      if (this.suspension) continue; // closed on purpose (a self-update): no backoff, no rotation
      // An error frame arrives wrapped as SESSION_REFUSED with the controller's code in details.
      const refusedWith = typeof end.error?.details?.code === 'string' ? end.error.details.code : end.error?.code;
      if (end.error && failFast && refusedWith && FATAL_CODES.has(refusedWith)) throw end.error;
      // A revoked agent never gets back in: retrying would only knock on the door forever.
      if (end.error && refusedWith === Errors.AGENT_REVOKED.code) throw end.error;
      const delay = this.rotation.next(end);
      this.opts.log.info({ delayMs: delay, code: refusedWith ?? end.error?.code, reason: end.error?.message, ...(this.rotation.urls.length > 1 ? { from: url, next: this.rotation.current } : {}) }, 'reconnecting after delay');
      await new Promise<void>((resolve) => {
        const t = this.opts.clock.after(delay, resolve);
        this.wake = () => {
          t.cancel();
          resolve();
        };
      });
    }
  }

  /**
   * Closes the session and stops connecting and collecting until
   * {@link resume} (the update executor, while a new agent process tries
   * its own session under the same identity). Resolves once the socket closed.
   */
  async suspend(): Promise<void> {
    if (this.suspension) return;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.suspension = { gate, release };
    this.inventoryTimer?.cancel();
    this.heartbeatTimer?.cancel();
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000, 'agent updating');
      });
    }
    this.wake?.();
  }

  /** Connects again after {@link suspend}. */
  resume(): void {
    const s = this.suspension;
    if (!s) return;
    this.suspension = undefined;
    if (this.inventoryTimerOn) this.startInventoryTimer();
    s.release();
  }

  /** Starts periodic inventory collection (run mode). */
  startInventoryTimer(): void {
    this.inventoryTimerOn = true;
    const tick = () => {
      this.inventoryTimer = this.opts.clock.after(this.opts.inventoryIntervalMs, () => {
        // Suspended: another agent process owns the outbox now; resume() starts the timer again.
        if (this.suspension) return;
        this.queueInventory(false)
          .catch((err: unknown) => this.opts.log.error({ err }, 'inventory collection failed'))
          .finally(() => {
            if (!this.suspension) tick();
          });
      });
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    this.inventoryTimer?.cancel();
    this.heartbeatTimer?.cancel();
    this.wake?.();
    this.ws?.close(1000, 'agent stopping');
  }

  /**
   * Sends a frame if a session is open; returns whether it was written.
   * Only the handshake goes out before `welcome`: anything else would be
   * refused and the socket closed.
   */
  send<K extends MessageType>(type: K, body: Body<K>): boolean {
    const handshake = type === 'hello' || type === 'auth';
    if (this.ws?.readyState !== WebSocket.OPEN || (!handshake && !this.authenticated)) return false;
    this.ws.send(encodeFrame(makeFrame(type, body, this.opts.clock.now()) as Message));
    return true;
  }

  /** Like send(), returning the frame's id (undefined: not sent). Never before `welcome`. */
  private sendWithId<K extends MessageType>(type: K, body: Body<K>): string | undefined {
    if (this.ws?.readyState !== WebSocket.OPEN || !this.authenticated) return undefined;
    const frame = makeFrame(type, body, this.opts.clock.now());
    this.ws.send(encodeFrame(frame as Message));
    return frame.id;
  }

  private connectOnce(url: string): Promise<SessionEnd> {
    const { identity, log } = this.opts;
    return new Promise<SessionEnd>((resolve) => {
      let authenticated = false;
      let error: PfError | undefined;
      let retryAfterMs: number | undefined;
      const agent = new PinnedAgent(identity.caFingerprint);
      const ws = new WebSocket(url, { agent, handshakeTimeout: 15_000, maxPayload: 4 * Limits.maxFrameBytes, perMessageDeflate: false });
      this.ws = ws;
      ws.on('open', () => {
        const capabilities: string[] = [Capabilities.InventoryDelta, Capabilities.InventoryChunked];
        if (this.commands) capabilities.push(Capabilities.Commands);
        if (this.opts.health) capabilities.push(Capabilities.Health);
        this.send('hello', { agentId: identity.agentId, agentVersion: AGENT_VERSION, platform: process.platform, capabilities });
      });
      ws.on('message', (data) => {
        let msg: Message;
        try {
          msg = decodeFrame(data as Buffer, 4 * Limits.maxFrameBytes);
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'bad frame from controller');
          return;
        }
        try {
          if (msg.type === 'welcome') authenticated = true;
          this.onMessage(msg);
        } catch (err) {
          log.error({ err }, 'failed to handle controller frame');
          ws.close(1011, 'agent error');
        }
        const full = msg.type === 'error' && msg.code === Errors.CONTROLLER_FULL.code;
        if (msg.type === 'error' && (full || FATAL_CODES.has(msg.code))) error = new PfError(Errors.SESSION_REFUSED, `controller refused the session: ${msg.code}: ${msg.message}`, { code: msg.code });
        if (full && msg.type === 'error') retryAfterMs = (msg.retryAfterSec ?? 60) * 1000;
      });
      ws.on('pong', () => {
        this.lastPong = this.opts.clock.now();
      });
      ws.on('error', (err) => {
        if (isPfError(err)) error = err;
        else error ??= new PfError(Errors.CONNECT_FAILED, `cannot reach ${url}: ${err.message}`);
        log.warn({ code: error.code, err: error.message }, 'connection failed');
      });
      ws.on('close', (code, reason) => {
        this.authenticated = false;
        this.serverCapabilities = [];
        this.heartbeatTimer?.cancel();
        this.clearInFlight();
        this.opts.health?.sessionEnded();
        agent.destroy();
        if (authenticated) log.info({ code, reason: reason.toString('utf8') }, 'session closed');
        resolve({ authenticated, ...(error ? { error } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
      });
    });
  }

  private onMessage(msg: Message): void {
    const { identity, outbox, log } = this.opts;
    switch (msg.type) {
      case 'challenge': {
        this.serverCapabilities = msg.capabilities;
        const signature = nodeEd25519.sign(canonicalBytes(authChallengePayload(identity.agentId, msg.sessionId, msg.nonce)), identity.secretKey);
        this.send('auth', { agentId: identity.agentId, sessionId: msg.sessionId, signature });
        return;
      }
      case 'welcome': {
        log.info({ agentId: msg.agentId, sessionId: msg.sessionId, lastAckedSeq: msg.lastAckedSeq }, 'session authenticated');
        this.authenticated = true;
        this.maxFrameBytes = msg.maxFrameBytes;
        // Every session starts the outbox clean: anything marked in flight before now never reached this controller.
        this.clearInFlight();
        if (this.serverCapabilities.includes(Capabilities.InventoryEpoch) && msg.epoch !== outbox.epoch()) {
          // The controller's lastAckedSeq counts another outbox's reports (a copied identity, an older agent) or none:
          // it acknowledges nothing of ours. Our first report must be full; the controller applies it whatever its seq.
          log.info({ lastAckedSeq: msg.lastAckedSeq, controllerEpoch: msg.epoch, epoch: outbox.epoch() }, 'controller holds another outbox numbering; starting from a full report');
          if (outbox.oldest()?.kind !== 'full') {
            outbox.reset(outbox.lastSeq());
            void this.queueInventory(true).catch((err: unknown) => log.error({ err }, 'inventory collection failed'));
          }
        } else if (msg.lastAckedSeq > outbox.lastSeq()) {
          // The controller holds reports this state directory never made (it was reset): start over above its number.
          outbox.reset(msg.lastAckedSeq);
          void this.queueInventory(true).catch((err: unknown) => log.error({ err }, 'inventory collection failed'));
        } else {
          this.acked(msg.lastAckedSeq);
        }
        this.startHeartbeat(msg.heartbeatSec);
        this.sendNext();
        // Results the controller has not receipted yet (it may have missed them while we were away).
        this.commands?.resendPending();
        // Health samples only to a controller that takes them, and only now that the session is authenticated.
        if (this.opts.health && (this.serverCapabilities.includes(Capabilities.Health) || msg.capabilities.includes(Capabilities.Health))) {
          this.opts.health.sessionStarted({ send: (body) => this.sendWithId('health', body), maxFrameBytes: msg.maxFrameBytes });
        }
        return;
      }
      case 'command':
        if (!this.commands) {
          this.send('error', { code: Errors.COMMAND_UNSUPPORTED.code, message: 'this agent does not run commands', retryable: false, replyTo: msg.id });
          return;
        }
        this.commands.receive(msg);
        return;
      case 'commandReceipt':
        this.commands?.receipted(msg.commandId);
        return;
      case 'ack':
        this.acked(msg.seq);
        if (!this.healthy) {
          this.healthy = true;
          this.opts.onHealthy?.();
        }
        return;
      case 'healthAck':
        this.opts.health?.healthAck(msg);
        return;
      case 'healthConfig':
        if (this.opts.health) this.opts.health.healthConfig(msg);
        else log.warn('healthConfig from the controller, but this agent does not sample health');
        return;
      case 'error': {
        log.warn({ code: msg.code, msg: msg.message, replyTo: msg.replyTo }, 'controller refused a frame');
        if (this.opts.health?.refused(msg)) return;
        const aboutReport = msg.replyTo !== undefined && this.inFlightFrameIds.has(msg.replyTo);
        if (aboutReport && DROP_REPORT_CODES.has(msg.code)) {
          // The controller can never store this report: drop it (and the deltas built on it, and the
          // projection) instead of resending it forever. The next collection sends a full report.
          log.error({ seq: this.inFlight, code: msg.code, msg: msg.message }, 'controller refused report for good; dropped from the outbox');
          outbox.reset(outbox.lastSeq());
          this.clearInFlight();
          // Whoever waits for one of the dropped reports (run --once) hears why, instead of timing out.
          const def = msg.code === Errors.REPORT_TOO_LARGE.code ? Errors.REPORT_TOO_LARGE : Errors.UNSTORABLE_VALUE;
          for (const [waitSeq, waiter] of this.ackWaiters) {
            this.ackWaiters.delete(waitSeq);
            waiter.reject(new PfError(def, `the controller refused the report: ${msg.message}`));
          }
          return;
        }
        if (aboutReport && msg.code === Errors.REPORT_TIMEOUT.code) {
          // The controller dropped the partial report: send it again from part 0.
          this.clearInFlight();
          this.sendNext();
          return;
        }
        if (msg.code === Errors.RESYNC_REQUIRED.code || msg.code === Errors.INCOMPLETE_REPORT.code) {
          // Our deltas no longer apply: drop them and send everything afresh.
          outbox.reset(outbox.lastSeq());
          this.clearInFlight();
          void this.queueInventory(true).catch((err: unknown) => log.error({ err }, 'inventory collection failed'));
        }
        return;
      }
      case 'heartbeat':
        return;
      default:
        log.warn({ type: msg.type }, 'unexpected frame from controller');
    }
  }

  private acked(seq: number): void {
    this.opts.outbox.ack(seq);
    if (this.inFlight !== undefined && this.inFlight <= seq) this.clearInFlight();
    for (const [waitSeq, waiter] of this.ackWaiters) {
      if (waitSeq <= seq) {
        this.ackWaiters.delete(waitSeq);
        waiter.resolve();
      }
    }
    this.sendNext();
  }

  private clearInFlight(): void {
    this.inFlight = undefined;
    this.inFlightFrameIds.clear();
  }

  /**
   * Sends the oldest queued report, unless one is already awaiting its ack.
   * Only on an authenticated session: before `welcome` the frames would be
   * dropped while the report stayed marked in flight, and nothing more would
   * go out for the whole session.
   */
  private sendNext(): void {
    const ws = this.ws;
    if (this.inFlight !== undefined || !this.authenticated || ws?.readyState !== WebSocket.OPEN) return;
    const next = this.opts.outbox.oldest();
    if (!next) return;
    this.inFlight = next.seq;
    const epoch = this.serverCapabilities.includes(Capabilities.InventoryEpoch) ? this.opts.outbox.epoch() : undefined;
    for (const body of chunkReport(next, this.maxFrameBytes, epoch)) {
      const frame = makeFrame('inventory', body, this.opts.clock.now());
      this.inFlightFrameIds.add(frame.id);
      ws.send(encodeFrame(frame as Message));
    }
  }

  private startHeartbeat(heartbeatSec: number): void {
    this.lastPong = this.opts.clock.now();
    const beat = () => {
      this.heartbeatTimer = this.opts.clock.after(heartbeatSec * 1000, () => {
        if (this.opts.clock.now() - this.lastPong > heartbeatSec * 3000) {
          this.opts.log.warn('controller stopped answering pings; reconnecting');
          this.ws?.terminate();
          return;
        }
        this.send('heartbeat', { uptimeSec: Math.floor(uptime()), bootId: bootId() });
        this.ws?.ping();
        beat();
      });
    };
    beat();
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return ''; // not Linux: the full report carries the boot facts
  }
}
