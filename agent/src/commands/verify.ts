/**
 * Checks a signed command before the agent holds it (DESIGN.md, Trust): the
 * controller's signature with the key pinned at enrollment, this agent's id,
 * the validity window and that the params fit the action. The journal check
 * (no replay) is the processor's job, since it needs state.
 */
import { commandSigningPayload, verifyCanonical, type CommandFrame, type SignedCommand } from '@patchfleet/shared';
import { Errors, PfError } from '@patchfleet/shared/errors';

/** What {@link verifyCommand} compares the command with. */
export interface VerifyContext {
  /** This agent's id. */
  agentId: string;
  /** The controller's command public key (base64) pinned at enrollment. */
  commandKey: string;
  /** Agent clock, ms since epoch. */
  now: number;
  /** How far in the future `issuedAt` may be (controller and agent clocks differ). */
  maxClockSkewMs: number;
}

/** Outcome of {@link verifyCommand}. `signatureValid` lets the caller decide whether to journal a refusal. */
export type VerifyOutcome = { ok: true } | { ok: false; error: PfError; signatureValid: boolean };

/** The part of a `command` frame that verification reads. */
export type CommandEnvelope = Pick<CommandFrame, 'command' | 'signature'>;

/** Default tolerance for a controller clock ahead of ours. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Verifies a command frame. Checks, in this order: signature, agent id,
 * expiry, not-yet-valid, params; the first failure is returned with its
 * stable code (PF_ERR_COMMAND_*).
 */
export function verifyCommand(frame: CommandEnvelope, ctx: VerifyContext): VerifyOutcome {
  const { command, signature } = frame;
  let signed = false;
  try {
    signed = verifyCanonical(commandSigningPayload(command), signature, ctx.commandKey);
  } catch (err) {
    // canonical JSON refuses values with no single encoding: such a command cannot carry a valid signature
    return refuse(new PfError(Errors.COMMAND_BAD_SIGNATURE, `command cannot be verified: ${(err as Error).message}`), false);
  }
  if (!signed) return refuse(new PfError(Errors.COMMAND_BAD_SIGNATURE, 'command signature does not verify with the pinned command key'), false);

  if (command.agentId !== ctx.agentId) {
    return refuse(new PfError(Errors.COMMAND_WRONG_AGENT, `command is for agent ${command.agentId}, not ${ctx.agentId}`), true);
  }
  if (!(ctx.now <= command.notAfter)) {
    return refuse(new PfError(Errors.COMMAND_EXPIRED, `command expired at ${command.notAfter} (agent clock ${ctx.now})`), true);
  }
  if (!(command.issuedAt <= ctx.now + ctx.maxClockSkewMs)) {
    return refuse(new PfError(Errors.COMMAND_NOT_YET_VALID, `command issued at ${command.issuedAt}, agent clock ${ctx.now} (skew allowed ${ctx.maxClockSkewMs} ms)`), true);
  }
  const paramsProblem = checkParams(command);
  if (paramsProblem) return refuse(new PfError(Errors.COMMAND_BAD_PARAMS, paramsProblem), true);
  return { ok: true };
}

function refuse(error: PfError, signatureValid: boolean): VerifyOutcome {
  return { ok: false, error, signatureValid };
}

/**
 * Says what is wrong with the params for the action, or undefined. Exactly
 * one target kind is allowed so an executor never has to guess which one the
 * controller meant.
 */
export function checkParams(command: SignedCommand): string | undefined {
  const p = command.params ?? {};
  const hasPackages = Array.isArray(p.packages) && p.packages.length > 0;
  const hasKb = typeof p.kb === 'string' && p.kb.length > 0;
  switch (command.action) {
    case 'install':
      if (hasPackages === hasKb) return 'install needs exactly one of params.packages or params.kb';
      if (p.msuPath !== undefined && !hasKb) return 'params.msuPath only goes with params.kb';
      return undefined;
    case 'rollback': {
      const hasReplaced = Array.isArray(p.replaced);
      if (hasReplaced === hasKb) return 'rollback needs exactly one of params.replaced or params.kb';
      return undefined;
    }
    case 'reboot':
    case 'update-agent':
      return undefined;
    default:
      return `unknown action ${JSON.stringify(String(command.action)).slice(0, 40)}`;
  }
}
