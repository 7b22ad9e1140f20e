import { readFile } from 'node:fs/promises';

/**
 * Contents of a small text file, or undefined when it does not exist or may
 * not be read by this user (DMI serials are root-only). Other failures throw.
 */
export async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR' || code === 'ENODEV' || code === 'EINVAL') {
      return undefined;
    }
    throw err;
  }
}
