/**
 * The gateway's ports: what it tells the rest of the controller, and the
 * registry of the sessions it holds. `server.ts` wires them once, so the flow
 * reads in one direction: agent socket -> gateway -> (inventory, host state,
 * commands) -> sessions.
 */
import type { Socket } from 'node:net';
import type { CommandStatusFrame, HealthSample } from '@patchfleet/shared';
import type { AgentSession } from './session';

/** What happens on an agent's socket that other parts of the controller act on. */
export interface AgentEvents {
  /** The socket's agent authenticated (the connection guard stops counting it as unauthenticated). */
  socketAuthenticated(socket: Socket): void;
  /** A host's stored inventory changed (it is re-assessed). */
  reportApplied(agentId: string): void;
  /** An agent finished its handshake and takes commands now. */
  agentReady(agentId: string): void;
  /** An agent reported where a command stands; the session reads its next frame once this settles. */
  commandStatus(session: AgentSession, msg: CommandStatusFrame): Promise<void>;
  /** Stores an agent's checked health samples; resolves once committed (the session then acknowledges them). */
  healthSamples(agentId: string, epoch: string, samples: readonly HealthSample[], receivedAt: Date): Promise<{ inserted: number }>;
}

/** The authenticated sessions of this process, one per agent (a newer one replaces an older one). */
export class SessionRegistry {
  private readonly sessions = new Map<string, AgentSession>();

  /** Number of authenticated agents on this process. */
  get size(): number {
    return this.sessions.size;
  }

  get(agentId: string): AgentSession | undefined {
    return this.sessions.get(agentId);
  }

  /** Ids of the agents authenticated on this process. */
  agentIds(): string[] {
    return [...this.sessions.keys()];
  }

  all(): AgentSession[] {
    return [...this.sessions.values()];
  }

  /** Holds `session` for its agent; returns the older session it replaces, if any. */
  hold(agentId: string, session: AgentSession): AgentSession | undefined {
    const older = this.sessions.get(agentId);
    this.sessions.set(agentId, session);
    return older === session ? undefined : older;
  }

  /** Lets go of `session` if it is still the one held for its agent. */
  release(agentId: string, session: AgentSession): void {
    if (this.sessions.get(agentId) === session) this.sessions.delete(agentId);
  }
}
