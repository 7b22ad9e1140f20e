/**
 * The releases folder (config `releasesDir`, PATCHFLEET_RELEASES_DIR;
 * default `<dataDir>/releases`): agent executables and their signed
 * metadata (`agent-release.json`, or `agent-release-<anything>.json` when
 * several releases sit side by side), put there by whoever signs releases
 * (agent/scripts/release-metadata.ts). The controller never holds the
 * release key: it reads the metadata to list releases and to check that a
 * rollout names one, and serves the files as they are; agents verify them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Errors, PfError } from '@patchfleet/shared/errors';
import { compareAgentVersions, RELEASE_FILE_NAME_RE, signedProblem, type ReleaseFile, type ReleaseMetadata } from '@patchfleet/shared/release';

/** Metadata file names the controller reads. */
export const RELEASE_METADATA_NAME_RE = /^agent-release(-[A-Za-z0-9._-]{1,64})?\.json$/;
/** Larger files are not metadata (a few platforms' entries fit in a kilobyte). */
const MAX_METADATA_BYTES = 64 * 1024;

/** One release as the controller sees it (signatures unchecked: agents check them). */
export interface ReleaseListing {
  /** The metadata file's name (served at /downloads/<manifest>). */
  manifest: string;
  version: string;
  expires: string;
  expired: boolean;
  files: ReleaseFile[];
}

/** The configured releases folder. */
export function releasesDirOf(config: { dataDir: string; releasesDir?: string | undefined }): string {
  return config.releasesDir ?? join(config.dataDir, 'releases');
}

/** Every well-formed metadata file of `dir`, newest version first; a missing folder lists nothing. Malformed files are skipped (and logged). */
export function listReleases(dir: string, now: number, warn: (msg: string, fields: Record<string, unknown>) => void = () => undefined): ReleaseListing[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => RELEASE_METADATA_NAME_RE.test(n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PfError(Errors.INTERNAL, `cannot read the releases folder ${dir}: ${(err as Error).message}`);
  }
  const out: ReleaseListing[] = [];
  for (const manifest of names.sort()) {
    try {
      const text = readFileSync(join(dir, manifest), 'utf8');
      if (text.length > MAX_METADATA_BYTES) throw new Error('too large');
      const meta = JSON.parse(text) as ReleaseMetadata;
      const problem = meta && typeof meta.signed === 'object' && meta.signed !== null ? signedProblem(meta.signed) : 'no signed part';
      if (problem) throw new Error(problem);
      const { version, expires, files } = meta.signed;
      out.push({ manifest, version, expires, expired: Date.parse(expires) <= now, files });
    } catch (err) {
      warn('releases: metadata file skipped', { file: manifest, err: (err as Error).message });
    }
  }
  return out.sort((a, b) => compareAgentVersions(b.version, a.version));
}

/** The unexpired release of `version`: RELEASE_NOT_FOUND when none, RELEASE_EXPIRED when its metadata expired. */
export function findRelease(dir: string, version: string, now: number): ReleaseListing {
  const all = listReleases(dir, now).filter((r) => r.version === version);
  const live = all.find((r) => !r.expired);
  if (live) return live;
  if (all.length > 0) throw new PfError(Errors.RELEASE_EXPIRED, `the metadata of agent release ${version} (${all[0]?.manifest}) expired at ${all[0]?.expires}: sign it again`);
  throw new PfError(Errors.RELEASE_NOT_FOUND, `no agent release ${version} in ${dir} (agent-release*.json)`);
}

/** True for a name `GET /downloads/:name` may serve. */
export function isServableName(name: string): boolean {
  return RELEASE_FILE_NAME_RE.test(name) && !name.includes('..');
}
