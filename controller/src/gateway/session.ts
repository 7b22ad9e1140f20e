/**
 * One agent connection: hello -> challenge -> auth -> welcome, then reports
 * and heartbeats. Nothing but `hello` and `auth` is accepted before the
 * signature checks out; every refusal is an `error` frame with a stable code,
 * and refusals before authentication close the socket.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  authChallengePayload,
  Capabilities,
  decodeFrame,
  encodeFrame,
  findUnstorable,
  isPfError,
  makeFrame,
  nodeEd25519,
  trackWork,
  canonicalBytes,
  PfError,
  Errors,
  type Body,
  type CommandStatusFrame,
  type HealthFrame,
  type HealthSample,
  type Message,
  type MessageType,
  type TimerHandle,
} from '@patchfleet/shared';
import type { AgentLinkMetrics, HandshakeOutcome } from '../metrics/ports';
import type { ControllerContext } from '../context';
import { classifyDbError } from '../db/errors';
import { applyReport } from '../inventory/inventory-store';
import { checkHealthSamples, newestBoot } from '../health/sample-store';
import type { HandshakeStore } from './handshake-store';
import { recordBoot, type LastSeenTracker } from './last-seen';
import { TokenBucket } from './rate-limit';
import { ReportAssembler } from './report-assembler';

/** WebSocket close codes we use (4000-4999 are for applications). */
export const CloseCodes = {
  shuttingDown: 1001,
  badFrame: 4400,
  authFailed: 4401,
  revoked: 4403,
  handshakeTimeout: 4408,
  replaced: 4409,
  rateLimited: 4429,
  /** RFC 6455 "try again later": the database is away; the agent reconnects with back-off. */
  tryAgainLater: 1013,
} as const;

const SERVER_CAPABILITIES = [Capabilities.InventoryDelta, Capabilities.InventoryChunked, Capabilities.Commands, Capabilities.InventoryEpoch, Capabilities.Health];
const MAX_BAD_FRAMES = 10;
/** Defaults of config maxReportBytes and reportTimeoutSec: room for about 50,000 packages, sent over a slow link. */
export const DEFAULT_MAX_REPORT_BYTES = 8 * 1024 * 1024;
export const DEFAULT_REPORT_TIMEOUT_SEC = 120;

type State = 'await-hello' | 'await-auth' | 'ready' | 'closed';

export interface SessionHooks {
  /** Called once authenticated; the gateway closes an older session of the same agent. */
  onAuthenticated(session: AgentSession): void;
  onClosed(session: AgentSession): void;
  /** Called after a report changed what the database holds for the host. */
  onReportApplied(agentId: string): void;
  /** Called once `welcome` is sent: pending commands may go out. */
  onReady(session: AgentSession): void;
  /** An agent's report on a command; the session waits for it before reading the next frame. */
  onCommandStatus(session: AgentSession, msg: CommandStatusFrame): Promise<void>;
  /** Stores checked health samples (with other agents' in one statement); the session waits for the commit before it acknowledges. */
  onHealthSamples(agentId: string, epoch: string, samples: readonly HealthSample[], receivedAt: Date): Promise<{ inserted: number }>;
}

export class AgentSession {
  readonly sessionId = randomUUID();
  agentId: string | undefined;
  private state: State = 'await-hello';
  private nonce = '';
  private agentVersion = '';
  private agentCapabilities: readonly string[] = [];
  private readonly bucket: TokenBucket;
  private readonly assembler: ReportAssembler;
  private handshakeTimer: TimerHandle | undefined;
  private reportTimer: TimerHandle | undefined;
  private queue: Promise<void> = Promise.resolve();
  private badFrames = 0;
  private rateLimitedFrames = 0;
  private sessionRowWritten = false;
  /** close() was called: a handshake still in the database must not make this session ready. */
  private closeRequested = false;
  /** The boot id last written for this agent: the host row is written only when it changes. */
  private bootId: string | undefined;
  /** Whether this connection's handshake outcome was counted (once per connection). */
  private handshakeCounted = false;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
    private readonly ctx: ControllerContext,
    private readonly tracker: LastSeenTracker,
    /** Key look-ups and session rows, batched with the other handshakes in flight. */
    private readonly store: HandshakeStore,
    private readonly hooks: SessionHooks,
    /** Handshakes and frames, counted for /metrics. */
    private readonly metrics: AgentLinkMetrics,
  ) {
    // Socket protection (report assembly and handshake timeouts, the frame rate) runs on real time even in simulation mode.
    const net = ctx.netClock ?? ctx.clock;
    this.assembler = new ReportAssembler(
      { maxReportBytes: ctx.config.maxReportBytes ?? DEFAULT_MAX_REPORT_BYTES, timeoutMs: (ctx.config.reportTimeoutSec ?? DEFAULT_REPORT_TIMEOUT_SEC) * 1000 },
      () => net.now(),
    );
    const rate = ctx.config.agentFramesPerSec;
    // Burst room for a large chunked report sent back to back.
    this.bucket = new TokenBucket(net, rate, Math.max(rate * 4, 600));
    this.handshakeTimer = net.after(10_000, () => {
      if (this.state === 'await-hello' || this.state === 'await-auth') this.refuse(Errors.HANDSHAKE_TIMEOUT, undefined, { close: CloseCodes.handshakeTimeout });
    });
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      // Tracked: a simulator's step waits until the frames already received are handled.
      this.queue = trackWork(ctx.clock, this.queue.then(() => this.onMessage(buf, isBinary)).catch((err: unknown) => this.onInternalError(err)), 'agent frame');
    });
    ws.on('close', (code, reason) => void this.onClose(code, reason.toString('utf8')));
    ws.on('error', (err) => this.ctx.log.info({ err: err.message, sessionId: this.sessionId, agentId: this.agentId }, 'agent socket error'));
  }

  /** Closed, or closing at our request: work that resumes after a database round trip stops here. */
  private get ending(): boolean {
    return this.closeRequested || this.state === 'closed';
  }

  get authenticated(): boolean {
    return this.state === 'ready';
  }

  /** Whether the agent announced `capability` in its hello. */
  supports(capability: string): boolean {
    return this.agentCapabilities.includes(capability);
  }

  /** Sends a frame; returns false when the socket is no longer open. */
  send<K extends MessageType>(type: K, body: Body<K>): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    this.ws.send(encodeFrame(makeFrame(type, body, this.ctx.clock.now()) as Message));
    this.metrics.frameSent(type);
    return true;
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.closeRequested = true;
    this.ws.close(code, reason);
  }

  private refuse(def: { code: string; retryable: boolean; message: string }, message?: string, opts: { close?: number; replyTo?: string | undefined } = {}): void {
    const text = message ?? def.message;
    this.ctx.log.info({ code: def.code, agentId: this.agentId, sessionId: this.sessionId, remote: this.remoteAddress, detail: text }, 'agent frame refused');
    this.send('error', { code: def.code, message: text, retryable: def.retryable, ...(opts.replyTo ? { replyTo: opts.replyTo } : {}) });
    if (opts.close !== undefined && this.state !== 'ready') this.handshakeEnded('refused', def.code);
    if (opts.close !== undefined) this.close(opts.close, def.code);
  }

  private handshakeEnded(outcome: HandshakeOutcome, code?: string): void {
    if (this.handshakeCounted) return;
    this.handshakeCounted = true;
    this.metrics.handshake(outcome, code);
  }

  private onInternalError(err: unknown): void {
    const db = classifyDbError(err);
    if (db?.kind === 'invalid-input') {
      // The database refused a value of the frame: the agent's fault, not ours; the session stays up.
      this.refuse(Errors.UNSTORABLE_VALUE, `frame refused: ${db.reason}`);
      return;
    }
    if (db?.kind === 'unavailable') {
      // Not a fault of the agent's nor a bug of ours: say so, and let it come back with back-off.
      this.ctx.log.warn({ code: Errors.DATABASE_UNAVAILABLE.code, agentId: this.agentId, sessionId: this.sessionId, reason: db.reason }, 'agent session ended: database unavailable');
      this.refuse(Errors.DATABASE_UNAVAILABLE, 'the controller cannot reach its database; reconnect later', { close: CloseCodes.tryAgainLater });
      return;
    }
    this.ctx.log.error({ err, agentId: this.agentId, sessionId: this.sessionId }, 'agent session failed');
    this.refuse(Errors.INTERNAL, 'internal error; reconnect later', { close: 1011 });
  }

  private async onMessage(data: Buffer, isBinary: boolean): Promise<void> {
    if (this.state === 'closed') return;
    if (!this.bucket.take()) {
      this.metrics.frameReceived('rate-limited');
      this.rateLimitedFrames += 1;
      this.refuse(Errors.RATE_LIMITED, undefined, this.rateLimitedFrames > 100 ? { close: CloseCodes.rateLimited } : {});
      return;
    }
    let msg: Message;
    try {
      if (isBinary) throw new PfError(Errors.BAD_FRAME, 'binary frames are not part of the protocol');
      msg = decodeFrame(data, this.ctx.config.maxFrameBytes);
    } catch (err) {
      if (!isPfError(err)) throw err;
      this.metrics.frameReceived('undecodable');
      this.badFrames += 1;
      const close = this.state !== 'ready' || this.badFrames >= MAX_BAD_FRAMES;
      this.refuse(err, err.message, close ? { close: CloseCodes.badFrame } : {});
      return;
    }
    this.metrics.frameReceived(msg.type);
    // Valid by its schema, yet holding what the database cannot store (a NUL, an unpaired surrogate):
    // refused here, before any query, with the frame's id so the agent knows which report to drop.
    const unstorable = findUnstorable(msg);
    if (unstorable) {
      if (msg.type === 'inventory') this.assembler.refuse(msg.seq);
      const text = `${msg.type} frame: ${unstorable.path} ${unstorable.reason}`;
      this.refuse(Errors.UNSTORABLE_VALUE, msg.type === 'inventory' ? `report ${msg.seq} refused for good: ${text}` : text, this.state !== 'ready' ? { close: CloseCodes.badFrame, replyTo: msg.id } : { replyTo: msg.id });
      return;
    }
    switch (this.state) {
      case 'await-hello':
        if (msg.type !== 'hello') return this.refuse(Errors.NOT_AUTHENTICATED, `"${msg.type}" frame before authentication`, { close: CloseCodes.authFailed, replyTo: msg.id });
        return this.onHello(msg);
      case 'await-auth':
        if (msg.type !== 'auth') return this.refuse(Errors.NOT_AUTHENTICATED, `"${msg.type}" frame before authentication`, { close: CloseCodes.authFailed, replyTo: msg.id });
        return this.onAuth(msg);
      case 'ready':
        return this.onReadyMessage(msg, data.length);
    }
  }

  private async onHello(msg: Extract<Message, { type: 'hello' }>): Promise<void> {
    this.agentId = msg.agentId;
    this.agentVersion = msg.agentVersion;
    this.agentCapabilities = msg.capabilities;
    this.nonce = randomBytes(32).toString('base64');
    this.state = 'await-auth';
    this.send('challenge', { sessionId: this.sessionId, nonce: this.nonce, capabilities: SERVER_CAPABILITIES });
  }

  private async onAuth(msg: Extract<Message, { type: 'auth' }>): Promise<void> {
    // The nonce is good for exactly one attempt.
    const nonce = this.nonce;
    this.nonce = '';
    if (msg.agentId !== this.agentId || msg.sessionId !== this.sessionId || !nonce) {
      return this.refuse(Errors.AUTH_FAILED, 'auth does not answer this session\'s challenge', { close: CloseCodes.authFailed, replyTo: msg.id });
    }
    // Read in one statement with the other handshakes in flight; the status is never cached (revocation, every replica).
    const row = await this.store.lookUp(msg.agentId);
    if (this.ending) return; // revoked or shut down meanwhile
    if (!row) return this.refuse(Errors.UNKNOWN_AGENT, `agent ${msg.agentId} is not enrolled here`, { close: CloseCodes.authFailed, replyTo: msg.id });
    if (row.status !== 'active') return this.refuse(Errors.AGENT_REVOKED, undefined, { close: CloseCodes.revoked, replyTo: msg.id });
    const payload = canonicalBytes(authChallengePayload(msg.agentId, this.sessionId, nonce));
    if (!nodeEd25519.verify(payload, msg.signature, row.publicKey)) {
      return this.refuse(Errors.AUTH_FAILED, undefined, { close: CloseCodes.authFailed, replyTo: msg.id });
    }
    this.handshakeTimer?.cancel();
    const now = new Date(this.ctx.clock.now());
    await this.store.startSession({ sessionId: this.sessionId, hostId: msg.agentId, controllerId: this.ctx.controllerId, remoteAddress: this.remoteAddress, agentVersion: this.agentVersion, at: now });
    this.sessionRowWritten = true;
    // Closed while the row was written (revoked, replaced, shut down, or the agent left): onClose records the end; never ready.
    if (this.ending) return;
    this.state = 'ready';
    this.handshakeEnded('accepted');
    this.hooks.onAuthenticated(this);
    this.ctx.log.info({ agentId: this.agentId, sessionId: this.sessionId, remote: this.remoteAddress }, 'agent authenticated');
    // Only agents that know epochs get one: an older agent's schema refuses unknown welcome fields.
    const epoch = this.supports(Capabilities.InventoryEpoch) && row.reportEpoch ? { epoch: row.reportEpoch } : {};
    this.send('welcome', {
      agentId: msg.agentId,
      sessionId: this.sessionId,
      heartbeatSec: this.ctx.config.heartbeatSec,
      lastAckedSeq: row.lastSeq,
      maxFrameBytes: this.ctx.config.maxFrameBytes,
      capabilities: SERVER_CAPABILITIES,
      ...epoch,
    });
    this.hooks.onReady(this);
  }

  private async onReadyMessage(msg: Message, bytes: number): Promise<void> {
    const agentId = this.agentId as string;
    this.tracker.touch(this.sessionId, agentId);
    switch (msg.type) {
      case 'heartbeat':
        if (msg.bootId) await this.noteBoot(agentId, msg.bootId, this.ctx.clock.now());
        return;
      case 'health':
        return this.onHealth(agentId, msg);
      case 'error':
        this.ctx.log.warn({ agentId, code: msg.code, msg: msg.message }, 'agent reported an error');
        return;
      case 'commandStatus':
        return this.hooks.onCommandStatus(this, msg);
      case 'inventory': {
        let report;
        try {
          report = this.assembler.add(msg, bytes);
        } catch (err) {
          if (!isPfError(err)) throw err;
          this.armReportTimer();
          return this.refuse(err, err.message, { replyTo: msg.id });
        }
        this.armReportTimer();
        if (!report) return;
        try {
          const result = await applyReport(this.ctx.db, agentId, report, new Date(this.ctx.clock.now()));
          this.ctx.log.info({ agentId, seq: report.seq, kind: report.kind, epoch: report.epoch, applied: result.applied, packages: result.packageCount, added: result.added, removed: result.removed, changed: result.changed }, 'inventory report');
          if (result.applied) this.hooks.onReportApplied(agentId);
        } catch (err) {
          // A value the schema and findUnstorable let through but the database refused (22xxx):
          // the same report would be refused again, so it is refused for good, never a 1011 close.
          const db = classifyDbError(err);
          if (db?.kind === 'invalid-input') {
            return this.refuse(Errors.UNSTORABLE_VALUE, `report ${report.seq} refused for good: ${db.reason}`, { replyTo: report.lastFrameId });
          }
          if (!isPfError(err) || err.status >= 500) throw err;
          return this.refuse(err, err.message, { replyTo: report.lastFrameId });
        }
        this.send('ack', { seq: report.seq, replyTo: report.lastFrameId });
        return;
      }
      default:
        return this.refuse(Errors.UNEXPECTED_FRAME, `"${msg.type}" is not expected from an agent`, { replyTo: msg.id });
    }
  }

  /**
   * Health samples (capability health/1): checked, stored in one statement
   * with the frames of other agents that arrived meanwhile (health/ingest.ts;
   * a resent sample is skipped), then acknowledged with the frame's highest
   * seq, only after the write committed. A bad sample refuses the whole
   * frame and stores nothing of it.
   */
  private async onHealth(agentId: string, msg: HealthFrame): Promise<void> {
    if (!this.supports(Capabilities.Health)) return this.refuse(Errors.HEALTH_NOT_NEGOTIATED, `health frame from an agent that did not list ${Capabilities.Health} in its hello`, { replyTo: msg.id });
    const now = this.ctx.clock.now();
    let highest: number;
    try {
      highest = checkHealthSamples(msg.samples, now);
    } catch (err) {
      if (!isPfError(err)) throw err;
      return this.refuse(err, err.message, { replyTo: msg.id });
    }
    try {
      const { inserted } = await this.hooks.onHealthSamples(agentId, msg.epoch, msg.samples, new Date(now));
      this.ctx.log.debug({ agentId, epoch: msg.epoch, samples: msg.samples.length, inserted, seq: highest }, 'health samples');
    } catch (err) {
      const db = classifyDbError(err);
      if (db?.kind === 'invalid-input') return this.refuse(Errors.UNSTORABLE_VALUE, `health frame refused for good: ${db.reason}`, { replyTo: msg.id });
      throw err;
    }
    const boot = newestBoot(msg.samples);
    if (boot) await this.noteBoot(agentId, boot.bootId, Math.min(boot.at, now));
    this.send('healthAck', { epoch: msg.epoch, seq: highest, replyTo: msg.id });
  }

  /** Writes the host's boot id when it differs from the one this session last wrote (once per session and reboot). */
  private async noteBoot(agentId: string, bootId: string, at: number): Promise<void> {
    if (bootId === this.bootId) return;
    await recordBoot(this.ctx.db, agentId, bootId, new Date(at));
    this.bootId = bootId;
  }

  /**
   * Keeps one timer on the unfinished report, if any: when it fires and the
   * same report is still unfinished, the partial report is dropped and the
   * agent told PF_ERR_REPORT_TIMEOUT (it sends the report again).
   */
  private armReportTimer(): void {
    const pending = this.assembler.pending();
    if (!pending) {
      this.reportTimer?.cancel();
      this.reportTimer = undefined;
      return;
    }
    if (this.reportTimer) return; // already armed for this report (a new one replaces it only after the old is gone)
    const timeoutMs = (this.ctx.config.reportTimeoutSec ?? DEFAULT_REPORT_TIMEOUT_SEC) * 1000;
    this.reportTimer = (this.ctx.netClock ?? this.ctx.clock).after(timeoutMs, () => {
      this.reportTimer = undefined;
      const still = this.assembler.pending();
      if (this.state !== 'ready' || still?.firstFrameId !== pending.firstFrameId) {
        this.armReportTimer();
        return;
      }
      this.assembler.refuse(still.seq, false);
      this.refuse(Errors.REPORT_TIMEOUT, `report ${still.seq} was not completed within ${timeoutMs / 1000} s (${still.bytes} bytes held); dropped, send it again`, { replyTo: still.firstFrameId });
    });
  }

  private async onClose(code: number, reason: string): Promise<void> {
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    this.handshakeEnded('abandoned');
    this.handshakeTimer?.cancel();
    this.reportTimer?.cancel();
    this.assembler.discard();
    if (wasReady) this.hooks.onClosed(this);
    const at = new Date(this.ctx.clock.now());
    try {
      // Let an in-flight report, or the handshake writing the session row, finish before the session is marked closed.
      await this.queue;
      if (!this.sessionRowWritten) return;
      await this.store.endSession({ sessionId: this.sessionId, at, reason: `${code}${reason ? ` ${reason}` : ''}`.slice(0, 200) });
    } catch (err) {
      this.ctx.log.warn({ err, sessionId: this.sessionId }, 'could not record session end');
    }
  }
}
