/**
 * One simulated agent on a real TLS WebSocket: the real handshake (hello ->
 * challenge -> auth -> welcome) and, for each `command` frame, what the real
 * agent checks before accepting it (the controller's signature under the
 * pinned command key, and that it is addressed to this agent), then an
 * `acknowledged` status.
 *
 * After the status it sends a probe: a frame the controller does not expect
 * from agents (`ack`). The controller handles one agent's frames strictly in
 * order, so its `PF_ERR_UNEXPECTED_FRAME` answer to the probe arrives only
 * after the status has been written to the database: that is the moment the
 * controller has recorded the acknowledgement, seen from outside.
 *
 * With more than one controller URL (`--controllers 2`) the agent fails over
 * as the real agent does, with the real agent's own rule
 * (ControllerRotation from agent/src/link/link.ts, imported, not copied):
 * when a session ends it tries the next URL after 0-2 s of random jitter,
 * and backs off only when every URL failed in a row. Each session is
 * recorded (URL, welcome, end) for the reconnect-storm figures.
 */
import { WebSocket } from 'ws';
import {
  authChallengePayload,
  Capabilities,
  commandSigningPayload,
  decodeFrame,
  encodeFrame,
  makeFrame,
  nodeEd25519,
  signCanonical,
  verifyCanonical,
  type Body,
  type Message,
  type MessageType,
  type PinnedAgent,
} from '@patchfleet/shared';
import { Errors } from '@patchfleet/shared/errors';
import { Backoff } from '@patchfleet/agent/src/link/backoff';
import { ControllerRotation } from '@patchfleet/agent/src/link/link';
import type { SimIdentity } from './enroll';
import { epochMs } from './stats';

/** Epoch milliseconds of one agent's part in the fan-out (undefined: did not happen). */
export interface AgentTiming {
  agentId: string;
  /** The command's own signed `issuedAt` (controller clock, same machine). */
  issuedAt?: number;
  /** The command frame arrived. */
  receivedAt?: number;
  /** Signature verified and the `acknowledged` status written to the socket. */
  ackSentAt?: number;
  /** The controller's answer to the probe arrived: the status is stored. */
  recordedAt?: number;
  /** Why this agent did not acknowledge, if it did not. */
  problem?: string;
  /** Index (in the bench's list of controllers) of the replica the command arrived through. */
  replica?: number;
}

/** One authenticated session (epoch ms). */
export interface SimSession {
  url: string;
  welcomedAt: number;
  endedAt?: number;
}

/** Where an agent connects: its controller URLs (the first is where it starts) and the source address it binds. */
export interface SimLink {
  urls: readonly string[];
  /** Index of each of `urls` in the bench's list of controllers (for the per-replica figures). */
  replicaOf: ReadonlyMap<string, number>;
  localAddress?: string | undefined;
}

/** A connection attempt that failed before `welcome`, with the wait and the code of a full controller's refusal. */
export class ConnectFailure extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    /** The controller's error code, when it answered with an `error` frame. */
    readonly code?: string,
  ) {
    super(message);
  }
}

const CAPABILITIES = [Capabilities.InventoryDelta, Capabilities.InventoryChunked, Capabilities.Commands];

export class SimAgent {
  readonly timing: AgentTiming;
  /** Every authenticated session, oldest first. */
  readonly sessions: SimSession[] = [];
  /** Connection attempts made by failover (not counting the first connect). */
  failoverAttempts = 0;
  private ws: WebSocket | undefined;
  private probeId = '';
  private onRecorded: (() => void) | undefined;
  private readonly rotation: ControllerRotation;
  private closing = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly identity: SimIdentity,
    private readonly commandKey: string,
    private readonly link: SimLink,
    private readonly tls: PinnedAgent,
  ) {
    this.timing = { agentId: identity.agentId };
    this.rotation = new ControllerRotation(link.urls, new Backoff());
  }

  /** Called once when the controller has recorded this agent's acknowledgement (or the agent gave up on it). */
  whenSettled(fn: () => void): void {
    this.onRecorded = fn;
  }

  /** The session open now, if any. */
  get session(): SimSession | undefined {
    const last = this.sessions.at(-1);
    return last && last.endedAt === undefined ? last : undefined;
  }

  /** First connect, to the first URL: resolves on `welcome`, rejects if that fails (no failover for the first one). */
  connect(timeoutMs = 30_000): Promise<void> {
    return this.open(this.rotation.current, timeoutMs);
  }

  /** After a session ended or an attempt failed: the next try as the real agent's rotation says (bounded by close()). */
  private failover(end: { authenticated: boolean; retryAfterMs?: number | undefined }): void {
    if (this.closing) return;
    const delay = this.rotation.next(end);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.closing) return;
      this.failoverAttempts += 1;
      this.open(this.rotation.current, 30_000).catch((err: unknown) => this.failover({ authenticated: false, retryAfterMs: (err as ConnectFailure).retryAfterMs }));
    }, delay);
  }

  /** Opens a socket to `url` and completes the handshake; resolves on `welcome`. */
  private open(url: string, timeoutMs: number): Promise<void> {
    const { agentId, secretKey } = this.identity;
    const failover = this.link.urls.length > 1;
    const ws = new WebSocket(url, { agent: this.tls, perMessageDeflate: false, handshakeTimeout: timeoutMs, ...(this.link.localAddress ? { localAddress: this.link.localAddress } : {}) });
    this.ws = ws;
    return new Promise<void>((resolve, reject) => {
      let session: SimSession | undefined;
      let ended = false;
      const timer = setTimeout(() => fail(new ConnectFailure(`agent ${agentId}: no welcome from ${url} within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        if (!session) {
          ws.removeAllListeners('close');
          ws.terminate();
          reject(err);
        } else if (!failover) {
          session.endedAt ??= epochMs();
          this.settle(err.message);
        } else if (!ended) {
          // The session is over (the controller went away or closed it): move on as the real agent does.
          ended = true;
          session.endedAt = epochMs();
          this.failover({ authenticated: true });
        }
      };
      ws.on('error', (err) => fail(new ConnectFailure(err.message)));
      ws.on('close', (code, reason) => fail(new ConnectFailure(`agent ${agentId}: socket closed (${code} ${reason.toString()})`)));
      ws.on('open', () => this.send('hello', { agentId, agentVersion: 'bench-fanout', platform: 'linux', capabilities: CAPABILITIES }));
      ws.on('message', (data: Buffer) => {
        let msg: Message;
        try {
          msg = decodeFrame(data);
        } catch (err) {
          return fail(new ConnectFailure(`agent ${agentId}: bad frame from the controller: ${(err as Error).message}`));
        }
        switch (msg.type) {
          case 'challenge':
            this.send('auth', { agentId, sessionId: msg.sessionId, signature: signCanonical(authChallengePayload(agentId, msg.sessionId, msg.nonce), secretKey, nodeEd25519) });
            return;
          case 'welcome':
            clearTimeout(timer);
            session = { url, welcomedAt: epochMs() };
            this.sessions.push(session);
            resolve();
            return;
          case 'command':
            return this.onCommand(msg, url);
          case 'error':
            if (msg.replyTo !== undefined && msg.replyTo === this.probeId) {
              this.timing.recordedAt = epochMs();
              this.settle();
            } else if (msg.code === Errors.CONTROLLER_FULL.code) {
              // As the real agent: a full controller's retryAfterSec (default 60) sets the wait.
              fail(new ConnectFailure(`agent ${agentId}: ${url} is full`, (msg.retryAfterSec ?? 60) * 1000, msg.code));
            } else fail(new ConnectFailure(`agent ${agentId}: controller error ${msg.code}: ${msg.message}`, undefined, msg.code));
            return;
          default:
            return; // heartbeats and the like need no answer here
        }
      });
    });
  }

  private onCommand(frame: Extract<Message, { type: 'command' }>, url: string): void {
    if (this.timing.receivedAt === undefined) {
      this.timing.receivedAt = epochMs();
      this.timing.replica = this.link.replicaOf.get(url);
    }
    const { command } = frame;
    this.timing.issuedAt ??= command.issuedAt;
    if (command.agentId !== this.identity.agentId) return this.settle(`command ${command.commandId} is addressed to ${command.agentId}`);
    if (!verifyCanonical(commandSigningPayload(command), frame.signature, this.commandKey, nodeEd25519)) return this.settle(`command ${command.commandId} has a bad signature`);
    if (this.timing.ackSentAt !== undefined) return; // a redelivery: the first acknowledgement stands
    this.send('commandStatus', { commandId: command.commandId, state: 'acknowledged', at: Math.floor(Date.now()) });
    this.timing.ackSentAt = epochMs();
    this.probeId = this.send('ack', { seq: 1, replyTo: frame.id });
  }

  /** Leaves this agent out of the commands phase (refused, or its session is gone): it counts as settled. */
  leaveOut(): void {
    this.settle();
  }

  private settle(problem?: string): void {
    if (problem !== undefined && this.timing.problem === undefined) this.timing.problem = problem;
    const fn = this.onRecorded;
    this.onRecorded = undefined;
    fn?.();
  }

  /** Sends a frame; returns its id. */
  private send<K extends MessageType>(type: K, body: Body<K>): string {
    const frame = makeFrame(type, body, Date.now());
    this.ws?.send(encodeFrame(frame as Message));
    return frame.id;
  }

  close(): void {
    this.closing = true;
    clearTimeout(this.retry);
    this.ws?.removeAllListeners('close');
    this.ws?.close(1000, 'bench done');
  }
}
