/**
 * The last `healthConfig` the controller sent (sample interval and probes),
 * kept in `<state>/health-config.json` so the agent samples at the right
 * interval and runs its probes while the controller is out of reach, and
 * after a restart. Stored as the frame itself and read back through the
 * protocol's own validator, so a damaged or edited file is never applied.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { decodeFrame, encodeFrame, makeFrame, writeFileAtomic, type Body, type Clock, type Message } from '@patchfleet/shared';

export type HealthConfig = Body<'healthConfig'>;

export class HealthConfigStore {
  private readonly path: string;

  constructor(stateDir: string, private readonly clock: Clock) {
    this.path = join(stateDir, 'health-config.json');
  }

  /** The stored config, or undefined (none yet, or the file does not validate: logged by the caller). */
  load(): { config?: HealthConfig; problem?: string } {
    if (!existsSync(this.path)) return {};
    try {
      const msg = decodeFrame(readFileSync(this.path, 'utf8'));
      if (msg.type !== 'healthConfig') return { problem: `${this.path} does not hold a healthConfig` };
      return { config: { intervalSec: msg.intervalSec, probes: msg.probes } };
    } catch (err) {
      return { problem: `${this.path} is damaged: ${(err as Error).message}` };
    }
  }

  /** Validates and stores a config; throws (PF_ERR_BAD_FRAME) when it would not pass the wire's checks. */
  save(config: HealthConfig): HealthConfig {
    const text = encodeFrame(makeFrame('healthConfig', { intervalSec: config.intervalSec, probes: config.probes }, this.clock.now()) as Message);
    const msg = decodeFrame(text);
    if (msg.type !== 'healthConfig') throw new PfError(Errors.BAD_FRAME, 'not a healthConfig');
    for (const p of msg.probes) {
      // A probe with a bad regular expression would fail every run: refuse it here, where the sender hears why.
      try {
        if (p.bodyMatch !== undefined) new RegExp(p.bodyMatch);
      } catch (err) {
        throw new PfError(Errors.BAD_FRAME, `probe ${p.id}: bodyMatch is not a regular expression: ${(err as Error).message}`);
      }
    }
    writeFileAtomic(this.path, text, 0o600);
    return { intervalSec: msg.intervalSec, probes: msg.probes };
  }
}
