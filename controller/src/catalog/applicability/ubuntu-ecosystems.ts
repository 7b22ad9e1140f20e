/**
 * Which Ubuntu OSV ecosystems describe fixes for a host's release.
 */

/** The ecosystems of one Ubuntu release, standard archive first. */
export interface UbuntuReleaseEcosystems {
  /** e.g. `24.04` */
  release: string;
  /** `Ubuntu:24.04:LTS`, or `Ubuntu:25.04` for an interim release. */
  standard: string;
  /** `Ubuntu:Pro:24.04:LTS`, or null: Ubuntu Pro (ESM) only covers LTS releases. */
  pro: string | null;
}

const RELEASE = /^(\d{2})\.(\d{2})(?:\.\d+)?$/;

/**
 * Ubuntu releases are LTS when the year is even and the month is April
 * (the data agrees: `Ubuntu:26.04:LTS`, but `Ubuntu:25.04` and `Ubuntu:25.10`).
 */
export function isUbuntuLts(release: string): boolean {
  const m = RELEASE.exec(release);
  return m !== null && Number(m[1]) % 2 === 0 && m[2] === '04';
}

/**
 * The standard and Pro ecosystems of a release, or null when the host is not
 * Ubuntu or the version is not `YY.MM` (a point release such as `24.04.1` maps to `24.04`).
 */
export function ubuntuReleaseEcosystems(osId: string, versionId: string): UbuntuReleaseEcosystems | null {
  if (osId.toLowerCase() !== 'ubuntu') return null;
  const m = RELEASE.exec(versionId.trim());
  if (m === null) return null;
  const release = `${m[1]}.${m[2]}`;
  if (!isUbuntuLts(release)) return { release, standard: `Ubuntu:${release}`, pro: null };
  return { release, standard: `Ubuntu:${release}:LTS`, pro: `Ubuntu:Pro:${release}:LTS` };
}

/**
 * OSV ecosystems whose fixes can apply to a host (`ubuntu`, `24.04` ->
 * `Ubuntu:24.04:LTS`, `Ubuntu:Pro:24.04:LTS`); [] for other systems.
 *
 * Pro services with their own package builds (`Ubuntu:Pro:FIPS-updates:22.04:LTS`)
 * are left out: their fixes only concern hosts running the FIPS packages,
 * which a host report does not tell apart.
 */
export function ubuntuEcosystems(osId: string, versionId: string): string[] {
  const eco = ubuntuReleaseEcosystems(osId, versionId);
  if (eco === null) return [];
  return eco.pro === null ? [eco.standard] : [eco.standard, eco.pro];
}
