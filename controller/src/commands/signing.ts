/** Builds and signs the exact payload agents verify (DESIGN.md, Trust). node:crypto Ed25519: the hot path signs one per host of a wave. */
import { commandSigningPayload, signCanonical, type CommandParams, type SignedCommand } from '@patchfleet/shared';

/** The stored fields a signature covers. */
export interface CommandFields {
  id: string;
  hostId: string;
  action: SignedCommand['action'];
  target: string;
  params: CommandParams;
  issuedAt: Date;
  notAfter: Date;
}

/** The signed command as it goes on the wire, rebuilt from a stored row. */
export function signedCommandOf(row: CommandFields): SignedCommand {
  return {
    commandId: row.id,
    agentId: row.hostId,
    action: row.action,
    target: row.target,
    params: row.params,
    issuedAt: row.issuedAt.getTime(),
    notAfter: row.notAfter.getTime(),
  };
}

/** base64 Ed25519 signature of the command under the controller's command key. */
export function signCommand(command: SignedCommand, secretKey: string): string {
  return signCanonical(commandSigningPayload(command), secretKey);
}
