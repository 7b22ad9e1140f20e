/**
 * Inputs of `patchfleet assess`: the files that describe a host (a dpkg
 * package list, a Get-HotFix dump) and the flags that go with them. Every
 * problem is a PfError: PF_ERR_BAD_INPUT_FILE naming the file and line, or
 * PF_ERR_VALIDATION naming the flag.
 */
import { readFile, stat } from 'node:fs/promises';
import { isPfError } from '@patchfleet/shared/errors';
import { badInputFile } from './input-error';

export { DPKG_LIST_COMMAND, UNKNOWN_ARCH, parseDpkgListFile } from './dpkg-list';
export { HOTFIX_COMMAND, parseHotfixFile, type HotFix } from './hotfix-file';
export {
  parseAssessTarget,
  parseOsFlag,
  parseWindowsArch,
  parseBuildFlag,
  parseWindowsType,
  type AssessFlags,
  type AssessOs,
  type AssessTarget,
  type WindowsArch,
  type WindowsBuild,
  type WindowsInstallationType,
} from './flags';

// Far above any real package list (~150 bytes x 10,000 packages) or hotfix
// dump; a bigger file is the wrong file, and reading it whole would be slow.
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** The bytes of an input file; a missing, unreadable or huge file is PF_ERR_BAD_INPUT_FILE naming it. */
export async function readInputFile(path: string): Promise<Buffer> {
  try {
    // Size first, so a wrong multi-gigabyte file is refused without reading it.
    const { size } = await stat(path);
    if (size > MAX_INPUT_BYTES) throw badInputFile(path, `${size} bytes is too big for a package or hotfix list`);
    return await readFile(path);
  } catch (err) {
    if (isPfError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw badInputFile(path, `cannot read it: ${why}`, undefined, err);
  }
}
