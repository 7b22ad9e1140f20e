/**
 * The agent WebSocket endpoint. Holds the authenticated sessions of this
 * controller process, one per agent (a new session replaces an older one).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ControllerContext } from '../context';
import { AGENT_WS_PATH } from '@patchfleet/shared';
import { encodeFrame, makeFrame } from '@patchfleet/shared/protocol';
import { HandshakeStore } from './handshake-store';
import { LastSeenTracker } from './last-seen';
import type { AgentEvents, SessionRegistry } from './ports';
import type { AgentLinkMetrics } from '../metrics/ports';
import { AgentSession, CloseCodes } from './session';
import { Errors } from '@patchfleet/shared/errors';
import { REVOCATION_CHANNEL } from '../enrollment/revoke-host';
import type { Unsubscribe } from '../bus/bus';

/** How many agents this process holds, and what a refused one is told (net/connection-guard.ts sizes it). */
export interface AgentCapacity {
  maxAgents: number;
  retryAfterSec: number;
}

/** At most one "controller full" warning per this many ms, with the count refused since the last one. */
const FULL_WARNING_EVERY_MS = 10_000;

export class AgentGateway {
  private readonly wss: WebSocketServer;
  private readonly pending = new Set<AgentSession>();
  readonly tracker: LastSeenTracker;
  /** Batched key look-ups and session rows of every handshake of this process. */
  readonly handshakes: HandshakeStore;
  private unsubscribeRevocations: Unsubscribe | undefined;
  private refusedSinceWarning = 0;
  private lastFullWarningAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: ControllerContext,
    /** The authenticated sessions; command delivery reads the same registry. */
    private readonly sessions: SessionRegistry,
    /** Who hears what happens on agents' sockets (wired in server.ts). */
    private readonly events: AgentEvents,
    /** Handshakes and frames of every session, counted for /metrics (wired in server.ts). */
    private readonly metrics: AgentLinkMetrics,
    /** Unlimited when not given (tools and unit tests). */
    private readonly capacity: AgentCapacity = { maxAgents: Number.POSITIVE_INFINITY, retryAfterSec: 60 },
  ) {
    // On a simulated clock the flush is armed by touches instead of running every 5 virtual seconds.
    this.tracker = new LastSeenTracker(ctx.db, ctx.clock, ctx.log, undefined, ctx.config.simulation === true);
    this.handshakes = new HandshakeStore(ctx.db, ctx.clock, ctx.netClock ?? ctx.clock);
    this.wss = new WebSocketServer({
      noServer: true,
      // ws closes with 1009 above this; below it our decoder answers oversize frames with PF_ERR_FRAME_TOO_LARGE.
      maxPayload: ctx.config.maxFrameBytes * 2,
      perMessageDeflate: false,
    });
  }

  /**
   * Ends a revoked agent's session on this process at once: an error frame
   * PF_ERR_AGENT_REVOKED (agents stop retrying on it), then close 4403; the
   * same for its handshakes in flight. Returns whether this process held the
   * agent (authenticated).
   */
  disconnectRevoked(agentId: string): boolean {
    // A handshake of this agent still in flight may have read the host before the revocation committed: end it too.
    for (const p of this.pending) {
      if (p.agentId === agentId) {
        p.send('error', { code: Errors.AGENT_REVOKED.code, message: Errors.AGENT_REVOKED.message, retryable: false });
        p.close(CloseCodes.revoked, Errors.AGENT_REVOKED.code);
      }
    }
    const s = this.sessions.get(agentId);
    if (!s) return false;
    s.send('error', { code: Errors.AGENT_REVOKED.code, message: Errors.AGENT_REVOKED.message, retryable: false });
    s.close(CloseCodes.revoked, Errors.AGENT_REVOKED.code);
    this.ctx.log.info({ agentId }, 'revoked agent disconnected');
    return true;
  }

  attach(server: Server): void {
    this.tracker.start();
    // Every replica hears a revocation; the one holding the socket closes it.
    this.ctx.bus
      .subscribe(REVOCATION_CHANNEL, (agentId) => this.disconnectRevoked(agentId))
      .then((unsubscribe) => {
        this.unsubscribeRevocations = unsubscribe;
      })
      .catch((err: unknown) => this.ctx.log.error({ err }, 'could not subscribe to agent revocations'));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== AGENT_WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (this.sessions.size >= this.capacity.maxAgents) {
          this.refuseFull(ws, req.socket.remoteAddress ?? '');
          return;
        }
        const remote = req.socket.remoteAddress ?? '';
        const session = new AgentSession(ws, remote, this.ctx, this.tracker, this.handshakes, {
          onAuthenticated: (s) => {
            this.pending.delete(s);
            this.events.socketAuthenticated(req.socket);
            this.sessions.hold(s.agentId as string, s)?.close(CloseCodes.replaced, 'replaced by a newer session');
          },
          onReportApplied: (agentId) => this.events.reportApplied(agentId),
          onReady: (s) => this.events.agentReady(s.agentId as string),
          onCommandStatus: (s, msg) => this.events.commandStatus(s, msg),
          onHealthSamples: (agentId, epoch, samples, at) => this.events.healthSamples(agentId, epoch, samples, at),
          onClosed: (s) => this.sessions.release(s.agentId as string, s),
        }, this.metrics);
        this.pending.add(session);
        ws.once('close', () => this.pending.delete(session));
      });
    });
  }

  /**
   * Past `maxAgents` a new agent connection is told so in a frame
   * (PF_ERR_CONTROLLER_FULL with `retryAfterSec`) and closed with 1013, before
   * its handshake costs a key look-up; the agent waits that long (plus
   * jitter) or tries another controller. Agents whose handshakes are in
   * flight when the cap is reached may still finish: the cap can be passed
   * by at most the unauthenticated share, whose descriptors are inside the
   * connection cap already.
   */
  private refuseFull(ws: WebSocket, remote: string): void {
    const code = Errors.CONTROLLER_FULL.code;
    const frame = makeFrame('error', { code, message: Errors.CONTROLLER_FULL.message, retryable: true, retryAfterSec: this.capacity.retryAfterSec }, this.ctx.clock.now());
    ws.send(encodeFrame(frame));
    this.metrics.frameSent('error');
    this.metrics.handshake('refused', code);
    ws.close(CloseCodes.tryAgainLater, code);
    this.refusedSinceWarning += 1;
    const now = Date.now();
    if (now - this.lastFullWarningAt >= FULL_WARNING_EVERY_MS) {
      this.ctx.log.warn(
        { code, refused: this.refusedSinceWarning, held: this.sessions.size, maxAgents: this.capacity.maxAgents, remote },
        'agents refused: this controller holds as many agents as it may (raise LimitNOFILE or PATCHFLEET_MAX_AGENTS, or add a replica)',
      );
      this.lastFullWarningAt = now;
      this.refusedSinceWarning = 0;
    }
  }

  /** Closes every session (agents reconnect elsewhere or later) and flushes last-seen times. */
  async close(): Promise<void> {
    await this.unsubscribeRevocations?.().catch(() => undefined);
    for (const s of [...this.sessions.all(), ...this.pending]) s.close(CloseCodes.shuttingDown, 'controller shutting down');
    await this.tracker.stop();
    this.wss.close();
  }
}
