/**
 * Signed agent release metadata (`agent-release.json`, DESIGN.md "Packaging
 * and updates"): the canonical JSON of a {@link ReleaseSigned} signed with the
 * offline Ed25519 release key whose public key is pinned in every agent at
 * build time. Not TUF: one role, one key, but the same refusals that matter
 * here: bad signature, stale metadata (expiry), downgrade, wrong file.
 */
import { createHash } from 'node:crypto';
import { canonicalBytes } from '../crypto/canonical-json';
import { nodeEd25519, type Ed25519 } from '../crypto/ed25519';
import { Errors, PfError } from '../errors/index';

/** Domain separation: a release signature can never pass for a command or an auth answer. */
export const RELEASE_PURPOSE = 'patchfleet/agent-release/1';
/** The file name the metadata is published under (controller releases folder, `/downloads/<name>`). */
export const RELEASE_METADATA_FILE = 'agent-release.json';
/** Platforms an agent executable is built for. */
export const RELEASE_PLATFORMS = ['linux-x64', 'win-x64'] as const;
export type ReleasePlatform = (typeof RELEASE_PLATFORMS)[number];
/** Agent versions: MAJOR.MINOR.PATCH, numbers only (no pre-releases: ordering stays obvious). */
export const AGENT_VERSION_RE = /^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$/;
/** Names a release file may have: what `GET /downloads/:name` serves (no path separators, no leading dot). */
export const RELEASE_FILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** One executable of a release. */
export interface ReleaseFile {
  platform: ReleasePlatform;
  /** File name in the releases folder (RELEASE_FILE_NAME_RE). */
  name: string;
  /** Lower-case hex SHA-256 of the file. */
  sha256: string;
  size: number;
}

/** The signed part of the metadata. */
export interface ReleaseSigned {
  purpose: typeof RELEASE_PURPOSE;
  version: string;
  /** ISO 8601; the metadata is refused after it. */
  expires: string;
  files: ReleaseFile[];
}

/** `agent-release.json`. */
export interface ReleaseMetadata {
  signed: ReleaseSigned;
  signatures: { keyid: string; sig: string }[];
}

/** The key id of a release public key: hex SHA-256 of its raw bytes (as TUF names keys). */
export function releaseKeyId(publicKey: string): string {
  return createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('hex');
}

/** Orders two MAJOR.MINOR.PATCH versions (negative, 0, positive). Throws on a malformed one. */
export function compareAgentVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] as number) - (pb[i] as number);
  return 0;
}

function parseVersion(v: string): number[] {
  const m = AGENT_VERSION_RE.exec(v);
  if (!m) throw new PfError(Errors.VALIDATION, `"${String(v).slice(0, 40)}" is not an agent version (MAJOR.MINOR.PATCH)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Signs release metadata with the release secret key (base64 seed). */
export function signRelease(signed: ReleaseSigned, secretKey: string, impl: Ed25519 = nodeEd25519): ReleaseMetadata {
  const problem = signedProblem(signed);
  if (problem) throw new PfError(Errors.VALIDATION, `release metadata: ${problem}`);
  const publicKey = impl.publicKeyOf(secretKey);
  return { signed, signatures: [{ keyid: releaseKeyId(publicKey), sig: impl.sign(canonicalBytes(signed), secretKey) }] };
}

/** What a verification checks against. */
export interface ReleaseCheck {
  /** The pinned release public key (base64). */
  publicKey: string;
  now: number;
  /** The running agent's version: the release must be newer. Omit to skip (the controller listing releases). */
  runningVersion?: string;
  /** With `runningVersion`: the version the command asked for; the metadata must name exactly it. */
  expectedVersion?: string;
}

/**
 * Parses and verifies `agent-release.json` text. Throws PfError
 * RELEASE_SIGNATURE (malformed, unsigned, not by the pinned key, or bad
 * signature), RELEASE_EXPIRED, RELEASE_DOWNGRADE. Returns the signed part.
 */
export function verifyReleaseMetadata(text: string, check: ReleaseCheck, impl: Ed25519 = nodeEd25519): ReleaseSigned {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PfError(Errors.RELEASE_SIGNATURE, `release metadata is not JSON: ${(err as Error).message}`);
  }
  const meta = parsed as Partial<ReleaseMetadata> | null;
  if (!meta || typeof meta !== 'object' || !Array.isArray(meta.signatures) || typeof meta.signed !== 'object' || meta.signed === null) {
    throw new PfError(Errors.RELEASE_SIGNATURE, 'release metadata needs {signed, signatures}');
  }
  const keyid = releaseKeyId(check.publicKey);
  const mine = meta.signatures.filter((s) => s && typeof s === 'object' && s.keyid === keyid);
  if (mine.length === 0) throw new PfError(Errors.RELEASE_SIGNATURE, `release metadata carries no signature by the pinned release key ${keyid.slice(0, 16)}`);
  // Signature first: nothing of an unsigned document is believed, not even whether it is well formed.
  const valid = mine.some((s) => {
    try {
      return typeof s.sig === 'string' && impl.verify(canonicalBytes(meta.signed), s.sig, check.publicKey);
    } catch {
      return false; // a malformed signature or a value canonical JSON refuses is simply not valid
    }
  });
  if (!valid) throw new PfError(Errors.RELEASE_SIGNATURE, 'the release metadata signature does not verify with the pinned release key');
  const signed = meta.signed as ReleaseSigned;
  const problem = signedProblem(signed);
  if (problem) throw new PfError(Errors.RELEASE_SIGNATURE, `signed release metadata is malformed: ${problem}`);
  if (Date.parse(signed.expires) <= check.now) throw new PfError(Errors.RELEASE_EXPIRED, `release metadata for ${signed.version} expired at ${signed.expires}`);
  if (check.runningVersion !== undefined && compareAgentVersions(signed.version, check.runningVersion) <= 0) {
    throw new PfError(Errors.RELEASE_DOWNGRADE, `release ${signed.version} is not newer than the running agent ${check.runningVersion}`);
  }
  if (check.expectedVersion !== undefined && signed.version !== check.expectedVersion) {
    throw new PfError(Errors.RELEASE_DOWNGRADE, `the release metadata is for ${signed.version}, the command asked for ${check.expectedVersion}`);
  }
  return signed;
}

/** The file of `platform` in verified metadata; RELEASE_HASH when there is none. */
export function releaseFileFor(signed: ReleaseSigned, platform: ReleasePlatform): ReleaseFile {
  const file = signed.files.find((f) => f.platform === platform);
  if (!file) throw new PfError(Errors.RELEASE_HASH, `release ${signed.version} has no file for ${platform}`);
  return file;
}

/** Checks downloaded bytes against the signed entry: RELEASE_HASH on a size or SHA-256 mismatch. */
export function verifyReleaseFile(file: ReleaseFile, bytes: Uint8Array): void {
  if (bytes.length !== file.size) throw new PfError(Errors.RELEASE_HASH, `${file.name}: ${bytes.length} bytes, the signed metadata says ${file.size}`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== file.sha256) throw new PfError(Errors.RELEASE_HASH, `${file.name}: SHA-256 ${sha} differs from the signed ${file.sha256}`);
}

/** Why `signed` is not well-formed release metadata, or undefined. */
export function signedProblem(signed: ReleaseSigned): string | undefined {
  if (signed.purpose !== RELEASE_PURPOSE) return `purpose must be ${RELEASE_PURPOSE}`;
  if (typeof signed.version !== 'string' || !AGENT_VERSION_RE.test(signed.version)) return 'version must be MAJOR.MINOR.PATCH';
  if (typeof signed.expires !== 'string' || Number.isNaN(Date.parse(signed.expires))) return 'expires must be an ISO 8601 time';
  if (!Array.isArray(signed.files) || signed.files.length === 0 || signed.files.length > RELEASE_PLATFORMS.length) return 'files must list one file per platform';
  const seen = new Set<string>();
  for (const f of signed.files) {
    if (!f || typeof f !== 'object') return 'a file entry is not an object';
    if (!(RELEASE_PLATFORMS as readonly string[]).includes(f.platform)) return `unknown platform ${String(f.platform).slice(0, 20)}`;
    if (seen.has(f.platform)) return `platform ${f.platform} listed twice`;
    seen.add(f.platform);
    if (typeof f.name !== 'string' || !RELEASE_FILE_NAME_RE.test(f.name) || f.name === RELEASE_METADATA_FILE) return 'a file name is not allowed';
    if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) return 'sha256 must be 64 lower-case hex digits';
    if (!Number.isSafeInteger(f.size) || f.size <= 0) return 'size must be a positive integer';
  }
  return undefined;
}

/** The platform name of this process (`linux-x64`, `win-x64`), or undefined when no release is built for it. */
export function currentReleasePlatform(platform: string = process.platform, arch: string = process.arch): ReleasePlatform | undefined {
  if (arch !== 'x64') return undefined;
  if (platform === 'linux') return 'linux-x64';
  if (platform === 'win32') return 'win-x64';
  return undefined;
}
