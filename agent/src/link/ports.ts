/**
 * The link's ports. The command processor needs the link (to send statuses,
 * to report right after an install) and the link needs the processor (to
 * hand it commands): the link builds the processor through a factory given
 * these ports, so the agent's main wires both in one expression and the
 * calls run link -> processor -> link port, with no object filled in later.
 */
import type { Body, CommandFrame, ErrorFrame, HealthAckFrame, HealthConfigFrame } from '@patchfleet/shared';

/** What the link offers the parts it carries. */
export interface LinkPort {
  /** Sends a command status now if the session is authenticated; false when it could not (it is repeated from the journal later). */
  sendStatus(status: Body<'commandStatus'>): boolean;
  /** Collects and reports the inventory soon (after an install or rollback changed it). */
  reportSoon(): void;
}

/** What the link needs from whatever runs signed commands. */
export interface CommandPort {
  receive(frame: CommandFrame): void;
  /** A new session: send again every status not yet receipted. */
  resendPending(): void;
  receipted(commandId: string): void;
  /** Resolves when no command is running. */
  idle(): Promise<void>;
}

/**
 * An authenticated session with a controller that takes health samples
 * (both sides listed `health/1`). Given only after `welcome`.
 */
export interface HealthSession {
  /** Sends a `health` frame; returns its frame id, or undefined when the session is gone. */
  send(body: Body<'health'>): string | undefined;
  /** The controller's frame size limit (welcome.maxFrameBytes). */
  maxFrameBytes: number;
}

/** What the link needs from the health side (protocol 4, capability `health/1`); with it, the agent announces the capability. */
export interface HealthPort {
  /** After `welcome`, when the controller listed `health/1` too: start sending queued samples. */
  sessionStarted(session: HealthSession): void;
  /** The session closed: whatever was in flight is sent again in the next one. */
  sessionEnded(): void;
  healthAck(frame: HealthAckFrame): void;
  healthConfig(frame: HealthConfigFrame): void;
  /** An error frame from the controller; true when it answered a health frame (handled). */
  refused(frame: ErrorFrame): boolean;
}
