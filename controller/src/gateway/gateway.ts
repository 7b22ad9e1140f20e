/**
 * The agent WebSocket endpoint. Holds the authenticated sessions of this
 * controller process, one per agent (a new session replaces an older one).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ControllerContext } from '../context';
import { AGENT_WS_PATH } from '@patchfleet/shared';
import { LastSeenTracker } from './last-seen';
import type { CommandStatusFrame } from '@patchfleet/shared';
import { AgentSession, CloseCodes } from './session';
import { Errors } from '@patchfleet/shared/errors';
import { REVOCATION_CHANNEL } from '../enrollment/revoke-host';
import type { Unsubscribe } from '../bus/bus';

/** What the command service plugs into the gateway. */
export interface CommandHooks {
  onReady(agentId: string): void;
  onCommandStatus(session: AgentSession, msg: CommandStatusFrame): Promise<void>;
}

export class AgentGateway {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Map<string, AgentSession>();
  private readonly pending = new Set<AgentSession>();
  readonly tracker: LastSeenTracker;
  /** Set by the command service; until then agents just connect and report. */
  commandHooks: CommandHooks | undefined;
  private unsubscribeRevocations: Unsubscribe | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    /** Told when a host's stored inventory changed (the host is re-assessed). */
    private readonly onReportApplied: (agentId: string) => void = () => undefined,
    /** Told when a socket's agent authenticated (net/connection-guard.ts stops counting it as unauthenticated). */
    private readonly onSocketAuthenticated: (socket: IncomingMessage['socket']) => void = () => undefined,
  ) {
    this.tracker = new LastSeenTracker(ctx.db, ctx.clock, ctx.log);
    this.wss = new WebSocketServer({
      noServer: true,
      // ws closes with 1009 above this; below it our decoder answers oversize frames with PF_ERR_FRAME_TOO_LARGE.
      maxPayload: ctx.config.maxFrameBytes * 2,
      perMessageDeflate: false,
    });
  }

  /** Number of authenticated agents on this process. */
  get connectedCount(): number {
    return this.sessions.size;
  }

  session(agentId: string): AgentSession | undefined {
    return this.sessions.get(agentId);
  }

  /** Ids of the agents authenticated on this process. */
  agentIds(): string[] {
    return [...this.sessions.keys()];
  }

  /**
   * Ends a revoked agent's session on this process at once: an error frame
   * PF_ERR_AGENT_REVOKED (agents stop retrying on it), then close 4403.
   * Returns whether this process held the agent.
   */
  disconnectRevoked(agentId: string): boolean {
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
        const remote = req.socket.remoteAddress ?? '';
        const session = new AgentSession(ws, remote, this.ctx, this.tracker, {
          onAuthenticated: (s) => {
            this.pending.delete(s);
            this.onSocketAuthenticated(req.socket);
            const older = this.sessions.get(s.agentId as string);
            this.sessions.set(s.agentId as string, s);
            older?.close(CloseCodes.replaced, 'replaced by a newer session');
          },
          onReportApplied: (agentId) => this.onReportApplied(agentId),
          onReady: (s) => this.commandHooks?.onReady(s.agentId as string),
          onCommandStatus: async (s, msg) => {
            if (this.commandHooks) await this.commandHooks.onCommandStatus(s, msg);
          },
          onClosed: (s) => {
            if (this.sessions.get(s.agentId as string) === s) this.sessions.delete(s.agentId as string);
          },
        });
        this.pending.add(session);
        ws.once('close', () => this.pending.delete(session));
      });
    });
  }

  /** Closes every session (agents reconnect elsewhere or later) and flushes last-seen times. */
  async close(): Promise<void> {
    await this.unsubscribeRevocations?.().catch(() => undefined);
    for (const s of [...this.sessions.values(), ...this.pending]) s.close(CloseCodes.shuttingDown, 'controller shutting down');
    await this.tracker.stop();
    this.wss.close();
  }
}
