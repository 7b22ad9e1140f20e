import type { Package } from '@patchfleet/shared/protocol';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { runCommand } from './run-command';

/** `rpm -qa --qf` format: name, [epoch:]version-release, source rpm file name, arch. */
export const RPM_QUERY_FORMAT = '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{SOURCERPM}\\t%{ARCH}\\n';

const FIELDS = 4;

/**
 * Splits a source rpm file name into name and version-release:
 * `foo-bar-1.2-3.el9.src.rpm` -> `{ name: 'foo-bar', version: '1.2-3.el9' }`
 * (the last two `-` separate name, version and release; rpm forbids `-` in
 * version and release). Returns undefined for `(none)` (gpg-pubkey and other
 * packages without a source rpm) and for names not of that shape.
 */
export function parseSourceRpm(file: string): { name: string; version: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(file);
  if (!m) return undefined;
  return { name: m[1]!, version: `${m[2]!}-${m[3]!}` };
}

/**
 * Parses the output of `rpm -qa --qf RPM_QUERY_FORMAT`. The `0:` epoch prefix
 * is dropped (epoch 0 is what no epoch means); source name and version come
 * from the source rpm file name, and are the package's own when it has none.
 * The source version never carries an epoch: the file name does not hold it.
 * Blank lines are skipped.
 *
 * Throws PF_ERR_BAD_INPUT naming the 1-based line number of a malformed row.
 */
export function parseRpmQuery(text: string): Package[] {
  // rpm keeps several versions of install-only packages (kernel, gpg-pubkey) side by side,
  // but a report holds one version per (manager, name, arch). `rpm -qa` lists in install
  // order, so the last row of a name is the most recently installed: that one is kept.
  const byKey = new Map<string, Package>();
  const packages = {
    push(p: Package) {
      const key = `${p.name}\u0000${p.arch}`;
      byKey.delete(key);
      byKey.set(key, p);
    },
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const f = line.split('\t');
    if (f.length !== FIELDS) throw badLine(i + 1, `expected ${FIELDS} tab-separated fields, got ${f.length}`, line);
    const [name, evr, sourceRpm, arch] = f as [string, string, string, string];
    if (name === '') throw badLine(i + 1, 'empty package name', line);
    const m = /^(\d+):([^-\s]+)-([^-\s]+)$/.exec(evr);
    if (!m) throw badLine(i + 1, `version ${JSON.stringify(evr)} is not EPOCH:VERSION-RELEASE`, line);
    const epoch = m[1]!;
    const versionRelease = `${m[2]!}-${m[3]!}`;
    const version = Number(epoch) === 0 ? versionRelease : `${epoch}:${versionRelease}`;
    const source = parseSourceRpm(sourceRpm);
    packages.push({
      name,
      version,
      sourceName: source?.name ?? name,
      sourceVersion: source?.version ?? version,
      // gpg-pubkey has no arch: rpm prints "(none)".
      arch: arch === '(none)' ? '' : arch,
      manager: 'rpm',
    });
  }
  return [...byKey.values()];
}

function badLine(lineNo: number, why: string, line: string): PfError {
  return new PfError(Errors.BAD_INPUT, `rpm -qa output line ${lineNo}: ${why}: ${JSON.stringify(line.slice(0, 200))}`, { line: lineNo });
}

/**
 * Lists the packages in the rpm database by running `rpm -qa` (no shell).
 * Fails with PF_ERR_COLLECT_FAILED when rpm cannot run or exits non-zero, and
 * PF_ERR_BAD_INPUT on output it cannot parse.
 */
export async function listRpmPackages(rpm = 'rpm', timeoutMs = 60_000): Promise<Package[]> {
  const r = await runCommand(rpm, ['-qa', '--qf', RPM_QUERY_FORMAT], { timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.code !== 0) {
    throw new PfError(Errors.COLLECT_FAILED, `rpm -qa exited with ${r.code ?? 'a signal'}: ${r.stderr.trim().slice(0, 300)}`);
  }
  return parseRpmQuery(r.stdout);
}
