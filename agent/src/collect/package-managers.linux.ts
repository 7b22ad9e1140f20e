import type { Package } from '@patchfleet/shared/protocol';
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
 * (Debian ships an `rpm` package for building rpms).
 */
export async function detectPackageSources(timeoutMs: number): Promise<PackageSource[]> {
  const [dpkgQuery, rpm] = await Promise.all([findExecutable('dpkg-query'), findExecutable('rpm')]);
  const sources: PackageSource[] = [];
  if (dpkgQuery) sources.push({ manager: 'dpkg', list: () => listDpkgPackages(dpkgQuery, timeoutMs) });
  if (rpm) sources.push({ manager: 'rpm', list: () => listRpmPackages(rpm, timeoutMs) });
  return sources;
}
