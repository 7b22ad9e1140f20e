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
}

const CAPABILITIES = [Capabilities.InventoryDelta, Capabilities.InventoryChunked, Capabilities.Commands];

export class SimAgent {
  readonly timing: AgentTiming;
  private ws: WebSocket | undefined;
  private probeId = '';
  private onRecorded: (() => void) | undefined;

  constructor(
    private readonly identity: SimIdentity,
    private readonly commandKey: string,
  ) {
    this.timing = { agentId: identity.agentId };
  }

  /** Called once when the controller has recorded this agent's acknowledgement (or the agent gave up on it). */
  whenSettled(fn: () => void): void {
    this.onRecorded = fn;
  }

  /** Opens the socket and completes the handshake; resolves on `welcome`. */
  connect(wssUrl: string, agent: PinnedAgent, timeoutMs = 30_000): Promise<void> {
    const { agentId, secretKey } = this.identity;
    const ws = new WebSocket(wssUrl, { agent, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    this.ws = ws;
    return new Promise<void>((resolve, reject) => {
      let welcomed = false;
      const timer = setTimeout(() => fail(new Error(`agent ${agentId}: no welcome within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        if (!welcomed) {
          ws.terminate();
          reject(err);
        } else this.settle(err.message);
      };
      ws.on('error', fail);
      ws.on('close', (code, reason) => fail(new Error(`agent ${agentId}: socket closed (${code} ${reason.toString()})`)));
      ws.on('open', () => this.send('hello', { agentId, agentVersion: 'bench-fanout', platform: 'linux', capabilities: CAPABILITIES }));
      ws.on('message', (data: Buffer) => {
        let msg: Message;
        try {
          msg = decodeFrame(data);
        } catch (err) {
          return fail(new Error(`agent ${agentId}: bad frame from the controller: ${(err as Error).message}`));
        }
        switch (msg.type) {
          case 'challenge':
            this.send('auth', { agentId, sessionId: msg.sessionId, signature: signCanonical(authChallengePayload(agentId, msg.sessionId, msg.nonce), secretKey, nodeEd25519) });
            return;
          case 'welcome':
            welcomed = true;
            clearTimeout(timer);
            resolve();
            return;
          case 'command':
            return this.onCommand(msg);
          case 'error':
            if (msg.replyTo !== undefined && msg.replyTo === this.probeId) {
              this.timing.recordedAt = epochMs();
              this.settle();
            } else fail(new Error(`agent ${agentId}: controller error ${msg.code}: ${msg.message}`));
            return;
          default:
            return; // heartbeats and the like need no answer here
        }
      });
    });
  }

  private onCommand(frame: Extract<Message, { type: 'command' }>): void {
    this.timing.receivedAt ??= epochMs();
    const { command } = frame;
    this.timing.issuedAt ??= command.issuedAt;
    if (command.agentId !== this.identity.agentId) return this.settle(`command ${command.commandId} is addressed to ${command.agentId}`);
    if (!verifyCanonical(commandSigningPayload(command), frame.signature, this.commandKey, nodeEd25519)) return this.settle(`command ${command.commandId} has a bad signature`);
    if (this.timing.ackSentAt !== undefined) return; // a redelivery: the first acknowledgement stands
    this.send('commandStatus', { commandId: command.commandId, state: 'acknowledged', at: Math.floor(Date.now()) });
    this.timing.ackSentAt = epochMs();
    this.probeId = this.send('ack', { seq: 1, replyTo: frame.id });
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
    this.ws?.removeAllListeners('close');
    this.ws?.close(1000, 'bench done');
  }
}
