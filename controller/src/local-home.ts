/**
 * Where a controller on this machine keeps its data when nobody says:
 * `pnpm start`'s layout. Home is PATCHFLEET_HOME, or `.patchfleet` in the
 * repository (the controller runs from source); the controller's data
 * directory, with its bootstrap.json (URL, admin token, certificate
 * fingerprint), is `<home>/controller`. `serve`, the CLI's API commands and
 * `deploy/local/start.ts` all read it from here, so a CLI run from any
 * directory finds the controller `pnpm start` started.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository this controller runs from. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** PATCHFLEET_HOME (relative to the working directory), or `<repo>/.patchfleet`; an empty value counts as unset. */
export function patchfleetHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PATCHFLEET_HOME || join(REPO_ROOT, '.patchfleet'));
}

/** The controller data directory when no --data-dir is given: PATCHFLEET_DATA_DIR, or `<home>/controller`. */
export function defaultControllerDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PATCHFLEET_DATA_DIR || join(patchfleetHome(env), 'controller'));
}
