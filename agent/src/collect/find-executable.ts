import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

// A service manager may start the agent with a short PATH; package tools live here.
const STANDARD_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * Full path of the executable `name` found on PATH or in the standard system
 * directories, or undefined when there is none. Never runs the program.
 */
export async function findExecutable(name: string, pathEnv: string | undefined = process.env.PATH): Promise<string | undefined> {
  const dirs = [...(pathEnv ?? '').split(delimiter).filter((d) => d.startsWith('/')), ...STANDARD_DIRS];
  for (const dir of new Set(dirs)) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch (err) {
    // Missing or not executable both mean "not this one"; anything else is a real fault.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR') return false;
    throw err;
  }
}
