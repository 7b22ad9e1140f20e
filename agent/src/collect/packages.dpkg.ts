import type { Package } from '@patchfleet/shared/protocol';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { dpkgAdminDir } from './dpkg-root-path';
import { runCommand } from './run-command';

/** `dpkg-query -W` format: one tab-separated row per package in the dpkg database. */
export const DPKG_QUERY_FORMAT =
  '${binary:Package}\\t${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${Architecture}\\t${db:Status-Status}\\n';

const FIELDS = 7;

/**
 * Parses the output of `dpkg-query -W -f=DPKG_QUERY_FORMAT`. Keeps the rows
 * whose status is `installed` (dropping config-files, half-installed,
 * unpacked, ...); blank lines are skipped. `name` is `${Package}`, without
 * the `:arch` qualifier that `${binary:Package}` adds to multi-arch packages.
 * An empty source name or version (not printed by dpkg 1.21, but older
 * versions may) falls back to the binary's.
 *
 * Throws PF_ERR_BAD_INPUT naming the 1-based line number of a malformed row.
 */
export function parseDpkgQuery(text: string): Package[] {
  const packages: Package[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const f = line.split('\t');
    if (f.length !== FIELDS) {
      throw badLine(i + 1, `expected ${FIELDS} tab-separated fields, got ${f.length}`, line);
    }
    const [binaryPackage, name, version, sourceName, sourceVersion, arch, status] = f as [string, string, string, string, string, string, string];
    if (status === '') throw badLine(i + 1, 'empty status', line);
    if (status !== 'installed') continue;
    if (name === '' || binaryPackage === '') throw badLine(i + 1, 'empty package name', line);
    if (version === '') throw badLine(i + 1, `installed package ${name} has no version`, line);
    if (/\s/.test(name) || /\s/.test(version)) throw badLine(i + 1, 'whitespace in package name or version', line);
    packages.push({
      name,
      version,
      sourceName: sourceName || name,
      sourceVersion: sourceVersion || version,
      arch,
      manager: 'dpkg',
    });
  }
  return packages;
}

function badLine(lineNo: number, why: string, line: string): PfError {
  return new PfError(Errors.BAD_INPUT, `dpkg-query output line ${lineNo}: ${why}: ${JSON.stringify(line.slice(0, 200))}`, { line: lineNo });
}

/**
 * Lists the packages installed according to dpkg, by running `dpkg-query`
 * (no shell), in the database of the isolated root `dpkgRoot` when given
 * (`--admindir=<root>/var/lib/dpkg`). Fails with PF_ERR_COLLECT_FAILED when dpkg-query cannot run or
 * exits non-zero, and PF_ERR_BAD_INPUT on output it cannot parse: a partial
 * list would read as removed packages on the controller.
 */
export async function listDpkgPackages(dpkgQuery = 'dpkg-query', timeoutMs = 30_000, dpkgRoot?: string): Promise<Package[]> {
  const admin = dpkgRoot !== undefined ? [`--admindir=${dpkgAdminDir(dpkgRoot)}`] : [];
  // ~150 bytes a row; 64 MiB leaves room for far more than 10k packages.
  const r = await runCommand(dpkgQuery, [...admin, '-W', `--showformat=${DPKG_QUERY_FORMAT}`], { timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.code !== 0) {
    throw new PfError(Errors.COLLECT_FAILED, `dpkg-query exited with ${r.code ?? 'a signal'}: ${r.stderr.trim().slice(0, 300)}`);
  }
  return parseDpkgQuery(r.stdout);
}
