/** The clock rollout schedules read: the controller's clock, or a faster virtual one (config `rolloutClock`) for tests and demonstrations. */
import { scaledClock, type Clock } from '@patchfleet/shared/clock';
import { PfError, Errors } from '@patchfleet/shared/errors';

export interface RolloutClock {
  clock: Clock;
  /** Virtual ms per real ms (1 for the real clock). */
  speed: number;
}

/** Parses `<virtual start ISO>,<real start ISO>,<speed>`; undefined gives `base` itself. */
export function rolloutClockOf(spec: string | undefined, base: Clock): RolloutClock {
  if (!spec) return { clock: base, speed: 1 };
  const [virtualText, realText, speedText] = spec.split(',');
  const virtualStart = Date.parse(virtualText ?? '');
  const realStart = Date.parse(realText ?? '');
  const speed = Number(speedText);
  if (!Number.isFinite(virtualStart) || !Number.isFinite(realStart) || !(speed > 0) || speed > 100_000) {
    throw new PfError(Errors.CONFIG, `invalid configuration: rolloutClock "${spec}" must be "<virtual start ISO>,<real start ISO>,<speed 0-100000>"`);
  }
  return { clock: scaledClock(base, virtualStart, realStart, speed), speed };
}
