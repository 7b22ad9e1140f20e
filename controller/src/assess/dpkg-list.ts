/**
 * The `--dpkg FILE` input of `patchfleet assess`: an Ubuntu host's package
 * list as an operator can produce it by hand, without the agent.
 */
import type { Package } from '@patchfleet/shared/protocol';
import { Errors } from '@patchfleet/shared/errors';
import { isPfError } from '@patchfleet/shared/errors';
import { parseDebVersion } from '@patchfleet/shared/debversion';
import { badInputFile, quoteExcerpt } from './input-error';

/** The command whose output `--dpkg` takes, as an operator types it. */
export const DPKG_LIST_COMMAND = "dpkg-query -W -f='${binary:Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n'";

/** Arch of a package whose `${binary:Package}` carries no `:arch` qualifier (dpkg adds it only to Multi-Arch: same packages). */
export const UNKNOWN_ARCH = 'unknown';

const FIELDS = 4;
// dpkg's own rule (pkg_name_is_illegal): starts alphanumeric, then alphanumerics and -+._
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
const ARCH = /^[a-z0-9][a-z0-9-]*$/;
// How far into the file to look for the signature of another command's output.
const SNIFF_LINES = 5;
// A field quoted inside a message; the whole line follows anyway.
const FIELD_CHARS = 40;

/**
 * Parses the output of DPKG_LIST_COMMAND: one `name[:arch] TAB version TAB
 * source TAB source-version` row per package.
 *
 * - `libc6:amd64` becomes name `libc6`, arch `amd64`; without a qualifier the
 *   arch is UNKNOWN_ARCH.
 * - Blank lines, a trailing newline, CRLF line ends and a UTF-8 BOM are fine.
 * - A row with an empty version is a package dpkg knows but has not
 *   installed (it prints no version for those): skipped. An empty source
 *   name or version means the binary's (older dpkg leaves them empty).
 * - Anything else that is off fails with PF_ERR_BAD_INPUT_FILE naming the
 *   file and the line and quoting it: a wrong field count, a bad package
 *   name, a version dpkg would not accept (parseDebVersion), a package
 *   listed twice. Output of another command (`dpkg -l`, `apt list`, JSON,
 *   the agent's 7-field format) gets a message saying which command to run.
 */
export function parseDpkgListFile(input: string | Uint8Array, fileName: string): Package[] {
  const text = decodeText(input, fileName);
  const lines = text.split('\n');
  sniffOtherFormats(lines, fileName);

  const packages: Package[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (line.trim() === '') continue;
    const at = { line: i + 1, text: line };
    const fields = line.split('\t');
    if (fields.length !== FIELDS) throw badInputFile(fileName, fieldCountProblem(fields.length, line), at);
    const [binaryPackage, version, rawSourceName, rawSourceVersion] = fields as [string, string, string, string];
    if (version === '') continue;

    const colon = binaryPackage.indexOf(':');
    const name = colon < 0 ? binaryPackage : binaryPackage.slice(0, colon);
    const arch = colon < 0 ? UNKNOWN_ARCH : binaryPackage.slice(colon + 1);
    if (!PACKAGE_NAME.test(name)) throw badInputFile(fileName, `${quoteExcerpt(name, FIELD_CHARS)} is not a package name`, at);
    if (colon >= 0 && !ARCH.test(arch)) throw badInputFile(fileName, `${quoteExcerpt(arch, FIELD_CHARS)} is not an architecture (as in libc6:amd64)`, at);
    const sourceName = rawSourceName === '' ? name : rawSourceName;
    if (!PACKAGE_NAME.test(sourceName)) throw badInputFile(fileName, `source ${quoteExcerpt(sourceName, FIELD_CHARS)} is not a package name`, at);
    const sourceVersion = rawSourceVersion === '' ? version : rawSourceVersion;
    checkVersion(version, 'version', fileName, at);
    if (sourceVersion !== version) checkVersion(sourceVersion, 'source version', fileName, at);

    const key = `${name}:${arch}`;
    const first = seen.get(key);
    if (first !== undefined) throw badInputFile(fileName, `${binaryPackage} is listed twice (first on line ${first})`, at);
    seen.set(key, at.line);
    packages.push({ name, version, sourceName, sourceVersion, arch, manager: 'dpkg' });
  }
  if (packages.length === 0) throw badInputFile(fileName, `no installed packages in it; expected the output of ${DPKG_LIST_COMMAND}`);
  return packages;
}

function decodeText(input: string | Uint8Array, fileName: string): string {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    throw badInputFile(fileName, `not a text file (NUL byte on line ${line}; UTF-16 or binary?); expected the UTF-8 output of ${DPKG_LIST_COMMAND}`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function checkVersion(version: string, what: string, fileName: string, at: { line: number; text: string }): void {
  try {
    parseDebVersion(version);
  } catch (err) {
    if (isPfError(err) && err.code === Errors.BAD_VERSION.code) {
      const reason = typeof err.details?.['reason'] === 'string' ? err.details['reason'] : err.message;
      throw badInputFile(fileName, `${what} ${quoteExcerpt(version, FIELD_CHARS)} is not a valid Debian version (${reason})`, at, err);
    }
    throw err;
  }
}

function fieldCountProblem(count: number, line: string): string {
  const expected = `expected ${FIELDS} tab-separated fields (package, version, source, source version), got ${count}`;
  // Copying through a terminal or an editor often turns tabs into spaces.
  if (count === 1 && /\S\s+\S/.test(line)) return `${expected}: the fields look separated by spaces, not tabs`;
  return expected;
}

/** Recognises the output of commands people run instead, and says what to run. */
function sniffOtherFormats(lines: string[], fileName: string): void {
  const head: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length && head.length < SNIFF_LINES; i++) {
    const text = lines[i]!.replace(/\r$/, '');
    if (text.trim() !== '') head.push({ line: i + 1, text });
  }
  const first = head[0];
  if (first === undefined) return;
  const run = `run instead: ${DPKG_LIST_COMMAND} > ${fileName}`;
  if (/^\s*[[{]/.test(first.text)) {
    throw badInputFile(fileName, `this is JSON, not a dpkg package list (Get-HotFix output goes with --os windows --hotfix); ${run}`, first);
  }
  const dpkgL = head.find((h) => /^(Desired=|\|\|\/ |\+\+\+-|[uihrp][ncHUFWti] {2}\S)/.test(h.text));
  if (dpkgL !== undefined) {
    throw badInputFile(fileName, `this is \`dpkg -l\` output, which has no source packages and cuts names to the terminal width; ${run}`, dpkgL);
  }
  const apt = head.find((h) => /^Listing\.\.\./.test(h.text) || /^\S+\/\S+ \S+ \S+ \[installed/.test(h.text));
  if (apt !== undefined) throw badInputFile(fileName, `this is \`apt list --installed\` output, which has no source packages; ${run}`, apt);
  if (first.text.split('\t').length === 7) {
    throw badInputFile(fileName, `this has 7 tab-separated fields (the agent's own dpkg-query format?); --dpkg takes 4; ${run}`, first);
  }
}
