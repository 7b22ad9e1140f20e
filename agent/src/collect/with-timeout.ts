import { systemClock, type Clock } from '@patchfleet/shared/clock';

/** Says why a fallback value was used. */
export type WarnFn = (message: string, err?: unknown) => void;

/**
 * Resolves with `work`'s value, or with `fallback` when it rejects or has not
 * settled after `ms`. Used around systeminformation calls: they shell out to
 * tools that can hang (a stuck `lsblk`, `who` on a busy host) and a missing
 * hardware detail must not hold back the inventory. Every fallback is reported
 * through `warn`.
 */
export function withTimeout<T>(
  label: string,
  work: Promise<T>,
  ms: number,
  fallback: T,
  warn: WarnFn,
  clock: Clock = systemClock,
): Promise<T> {
  return new Promise<T>((resolve) => {
    let done = false;
    const timer = clock.after(ms, () => {
      if (done) return;
      done = true;
      warn(`${label}: no answer after ${ms} ms, using an empty value`);
      resolve(fallback);
    });
    work.then(
      (value) => {
        if (done) return;
        done = true;
        timer.cancel();
        resolve(value);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        timer.cancel();
        warn(`${label}: failed, using an empty value`, err);
        resolve(fallback);
      },
    );
  });
}
