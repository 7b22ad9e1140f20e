/** Error helpers shared by tests. */
import { isPfError, type PfError } from '@patchfleet/shared/errors';

/** Awaits a promise that must reject with a PfError, and returns that error (anything else fails the test). */
export async function rejection(promise: Promise<unknown>): Promise<PfError> {
  const err = await promise.then(
    () => new Error('expected a rejection, but the promise resolved'),
    (e: unknown) => e,
  );
  if (!isPfError(err)) throw new Error(`expected a PfError, got ${String(err)}`);
  return err;
}
