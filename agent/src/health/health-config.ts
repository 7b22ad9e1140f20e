/**
 * The last `healthConfig` the controller sent (sample interval and probes),
 * kept in `<state>/health-config.json` so the agent samples at the right
 * interval and runs its probes while the controller is out of reach, and
 * after a restart.
 *
 * A config is trusted like a command (DESIGN.md, Trust): command probes are
 * argv the agent runs as root, so the pinned TLS link alone is not enough.
 * A config is applied only when the controller's command key (pinned at
 * enrollment) signed it for this agent, and only when it is not older than
 * the one held (`issuedAt`), so a captured config cannot be replayed over a
 * newer one. The file holds the signed frame and is verified again when
 * read back, so a damaged or edited file is never applied.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { decodeFrame, encodeFrame, healthConfigSigningPayload, makeFrame, verifyCanonical, writeFileAtomic, type Body, type Clock, type Message } from '@patchfleet/shared';

/** A config as the controller sends it: interval, probes, issuedAt and the command key's signature. */
export type SignedHealthConfig = Body<'healthConfig'>;
/** What the sampler runs on. */
export type HealthConfig = Pick<SignedHealthConfig, 'intervalSec' | 'probes'>;

/** Whom a config must come from and be for. */
export interface HealthConfigTrust {
  /** This agent's id. */
  agentId: string;
  /** The controller's command public key (base64) pinned at enrollment. */
  commandKey: string;
}

/** Throws PF_ERR_COMMAND_BAD_SIGNATURE unless the command key signed `config` for this agent. */
export function verifyHealthConfig(config: SignedHealthConfig, trust: HealthConfigTrust): void {
  let ok = false;
  try {
    ok = verifyCanonical(healthConfigSigningPayload(trust.agentId, config), config.signature, trust.commandKey);
  } catch (err) {
    throw new PfError(Errors.COMMAND_BAD_SIGNATURE, `health config cannot be verified: ${(err as Error).message}`);
  }
  if (!ok) throw new PfError(Errors.COMMAND_BAD_SIGNATURE, `health config signature does not verify with the pinned command key for agent ${trust.agentId}`);
}

export class HealthConfigStore {
  private readonly path: string;
  /** issuedAt of the config held (0: none). */
  private heldIssuedAt = 0;

  constructor(
    stateDir: string,
    private readonly clock: Clock,
    private readonly trust: HealthConfigTrust,
  ) {
    this.path = join(stateDir, 'health-config.json');
  }

  /** The stored config, or undefined (none yet, or the file does not validate or verify: logged by the caller). */
  load(): { config?: HealthConfig; problem?: string } {
    if (!existsSync(this.path)) return {};
    try {
      const msg = decodeFrame(readFileSync(this.path, 'utf8'));
      if (msg.type !== 'healthConfig') return { problem: `${this.path} does not hold a healthConfig` };
      verifyHealthConfig(msg, this.trust);
      this.heldIssuedAt = msg.issuedAt;
      return { config: { intervalSec: msg.intervalSec, probes: msg.probes } };
    } catch (err) {
      return { problem: `${this.path} is damaged or not signed for this agent: ${(err as Error).message}` };
    }
  }

  /**
   * Verifies, validates and stores a config from the controller; returns what
   * the sampler runs. Throws (nothing stored) when the signature does not
   * verify (PF_ERR_COMMAND_BAD_SIGNATURE), when it is older than the config
   * held (PF_ERR_COMMAND_REPLAYED), or when it would not pass the wire's
   * checks (PF_ERR_BAD_FRAME).
   */
  accept(config: SignedHealthConfig): HealthConfig {
    const text = encodeFrame(makeFrame('healthConfig', { intervalSec: config.intervalSec, probes: config.probes, issuedAt: config.issuedAt, signature: config.signature }, this.clock.now()) as Message);
    const msg = decodeFrame(text);
    if (msg.type !== 'healthConfig') throw new PfError(Errors.BAD_FRAME, 'not a healthConfig');
    verifyHealthConfig(msg, this.trust);
    if (msg.issuedAt < this.heldIssuedAt) throw new PfError(Errors.COMMAND_REPLAYED, `health config issued at ${new Date(msg.issuedAt).toISOString()} is older than the one held (${new Date(this.heldIssuedAt).toISOString()})`);
    for (const p of msg.probes) {
      // A probe with a bad regular expression would fail every run: refuse it here, where the sender hears why.
      try {
        if (p.bodyMatch !== undefined) new RegExp(p.bodyMatch);
      } catch (err) {
        throw new PfError(Errors.BAD_FRAME, `probe ${p.id}: bodyMatch is not a regular expression: ${(err as Error).message}`);
      }
    }
    writeFileAtomic(this.path, text, 0o600);
    this.heldIssuedAt = msg.issuedAt;
    return { intervalSec: msg.intervalSec, probes: msg.probes };
  }
}
