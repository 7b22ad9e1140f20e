import type { Package } from '@patchfleet/shared/protocol';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { findExecutable } from './find-executable';
import { listDpkgPackages } from './packages.dpkg';
import { listRpmPackages } from './packages.rpm';

/** A package manager found on this host and how to list its packages. */
export interface PackageSource {
  manager: 'dpkg' | 'rpm';
  list: () => Promise<Package[]>;
}

/**
 * The package managers installed here, dpkg first. Both may be present
 * (Debian ships an `rpm` package for building rpms). With `dpkgRoot` the
 * only source is that isolated dpkg root's database: it stands for the whole
 * host, so the machine's rpm database is not its own. Throws
 * PF_ERR_COLLECT_FAILED when a root is given but dpkg-query is missing.
 */
export async function detectPackageSources(timeoutMs: number, dpkgRoot?: string): Promise<PackageSource[]> {
  if (dpkgRoot !== undefined) {
    const dpkgQuery = await findExecutable('dpkg-query');
    if (!dpkgQuery) throw new PfError(Errors.COLLECT_FAILED, `dpkg-query not found: cannot list the packages of dpkg root ${dpkgRoot}`);
    return [{ manager: 'dpkg', list: () => listDpkgPackages(dpkgQuery, timeoutMs, dpkgRoot) }];
  }
  const [dpkgQuery, rpm] = await Promise.all([findExecutable('dpkg-query'), findExecutable('rpm')]);
  const sources: PackageSource[] = [];
  if (dpkgQuery) sources.push({ manager: 'dpkg', list: () => listDpkgPackages(dpkgQuery, timeoutMs) });
  if (rpm) sources.push({ manager: 'rpm', list: () => listRpmPackages(rpm, timeoutMs) });
  return sources;
}
