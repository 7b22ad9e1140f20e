import type { Inventory, Package } from '@patchfleet/shared/protocol';
import { isPfError } from '@patchfleet/shared/errors';
import { collectLinuxHostFacts } from './host.linux';
import { detectPackageSources, type PackageSource } from './package-managers.linux';
import type { WarnFn } from './with-timeout';

export interface LinuxInventoryOptions {
  now: () => number;
  /** Limit for each host probe; see collectLinuxHostFacts. */
  timeoutMs: number;
  /** Limit for one package listing (rpm -qa can take a while on a cold cache). */
  packageTimeoutMs: number;
  warn: WarnFn;
  /** List the packages of this isolated dpkg root instead of the machine's; host facts stay the machine's. */
  dpkgRoot?: string;
}

/**
 * Host facts and installed packages of this Linux host, collected in
 * parallel. The first package manager found (dpkg before rpm) must list its
 * packages or the whole collection fails: a report with a missing package set
 * would read as every package removed. A second manager that fails or holds
 * no packages (Debian's `rpm` tool with an empty database) is left out with a
 * warning.
 */
export async function collectLinuxInventory(opts: LinuxInventoryOptions): Promise<Inventory> {
  const sources = await detectPackageSources(opts.packageTimeoutMs, opts.dpkgRoot);
  if (sources.length === 0) opts.warn('no supported package manager (dpkg, rpm) found: no packages reported');
  const [host, listed] = await Promise.all([
    collectLinuxHostFacts({ ...opts, packageManagers: sources.map((s) => s.manager) }),
    listPackageSources(sources, opts.warn),
  ]);
  // Host facts ran before the listings finished: name only the managers whose packages are here.
  return { host: { ...host, packageManagers: listed.managers }, packages: listed.packages };
}

/**
 * Lists every source's packages in parallel. The first source is the
 * primary: its failure fails the call. A later source that fails with a
 * PfError or lists nothing is left out, with a warning for the failure.
 */
export async function listPackageSources(
  sources: readonly PackageSource[],
  warn: WarnFn,
): Promise<{ managers: PackageSource['manager'][]; packages: Package[] }> {
  const lists = await Promise.all(sources.map((s, i) => listSource(s, i === 0, warn)));
  const kept = lists.filter((l, i): l is NonNullable<typeof l> => l !== undefined && (i === 0 || l.packages.length > 0));
  return { managers: kept.map((l) => l.manager), packages: kept.flatMap((l) => l.packages) };
}

async function listSource(source: PackageSource, primary: boolean, warn: WarnFn): Promise<{ manager: PackageSource['manager']; packages: Package[] } | undefined> {
  try {
    return { manager: source.manager, packages: await source.list() };
  } catch (err) {
    // Only a secondary manager's own collection errors are tolerated; see collectLinuxInventory.
    if (primary || !isPfError(err)) throw err;
    warn(`${source.manager} packages not listed`, err);
    return undefined;
  }
}
