/**
 * `pnpm bench:rollout --generate --seed N --out FILE`: a generated scenario
 * written as a file `--scenario FILE` (scenario.ts loadScenario) takes, to
 * read, edit (a shorter run, fewer hosts) or keep as a case.
 */
import { writeFile } from 'node:fs/promises';
import type { Scenario } from './scenario';

/** The file exists and overwriting was not asked for. */
export class FileExistsError extends Error {}

/** Writes `scenario` as pretty JSON; an existing file is refused unless `force`. */
export async function writeScenarioFile(path: string, scenario: Scenario, force: boolean): Promise<void> {
  try {
    await writeFile(path, `${JSON.stringify(scenario, null, 2)}\n`, { flag: force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(`${path} exists: give --force to overwrite it`);
    throw err;
  }
}
