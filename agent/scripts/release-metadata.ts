/**
 * Signs agent release metadata (`agent-release.json`, shared/src/release)
 * with the offline release key, for the controller's releases folder
 * (PATCHFLEET_RELEASES_DIR), which serves it and the executables under
 * `/downloads/<name>`. Run it where the private key lives, never on the
 * controller:
 *
 *   pnpm --filter @patchfleet/agent exec tsx scripts/release-metadata.ts \
 *     --version 0.2.0 --file linux-x64=dist/bin/patchfleet-agent-linux-x64 \
 *     --file win-x64=dist/bin/patchfleet-agent-win-x64.exe \
 *     --key release-key.json --out /srv/releases [--expires-in-days 30] [--copy]
 *
 * The key file is JSON `{ "secretKey": base64 seed }` (the test key of
 * agent/.cache/test-release-key/release-key.json has that shape).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@patchfleet/shared';
import { RELEASE_METADATA_FILE, RELEASE_PLATFORMS, RELEASE_PURPOSE, signRelease, type ReleaseFile, type ReleasePlatform } from '@patchfleet/shared/release';

export interface SignReleaseInput {
  version: string;
  files: { platform: ReleasePlatform; path: string; name?: string }[];
  outDir: string;
  /** JSON file holding `secretKey` (base64 Ed25519 seed). */
  privateKeyPath: string;
  /** Default 30. */
  expiresInDays?: number;
  /** Copy each file into outDir under its name (default: the name is the file's basename and it must already be there). */
  copy?: boolean;
  /** Default agent-release.json. */
  fileName?: string;
  /** Time the expiry counts from (tests). */
  now?: number;
}

/** Hashes the files, signs the metadata and writes it into outDir. Returns the path written. */
export function signReleaseMetadata(input: SignReleaseInput): string {
  const { secretKey } = JSON.parse(readFileSync(input.privateKeyPath, 'utf8')) as { secretKey?: string };
  if (typeof secretKey !== 'string') throw new Error(`${input.privateKeyPath} holds no secretKey`);
  mkdirSync(input.outDir, { recursive: true });
  const files: ReleaseFile[] = input.files.map((f) => {
    const name = f.name ?? basename(f.path);
    const bytes = readFileSync(f.path);
    if (input.copy) copyFileSync(f.path, join(input.outDir, name));
    return { platform: f.platform, name, sha256: createHash('sha256').update(bytes).digest('hex'), size: statSync(f.path).size };
  });
  const days = input.expiresInDays ?? 30;
  const expires = new Date((input.now ?? Date.now()) + days * 86_400_000).toISOString();
  const metadata = signRelease({ purpose: RELEASE_PURPOSE, version: input.version, expires, files }, secretKey);
  const out = join(input.outDir, input.fileName ?? RELEASE_METADATA_FILE);
  writeFileAtomic(out, `${JSON.stringify(metadata, null, 2)}\n`, 0o644);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      version: { type: 'string' },
      file: { type: 'string', multiple: true },
      key: { type: 'string' },
      out: { type: 'string' },
      'expires-in-days': { type: 'string' },
      copy: { type: 'boolean' },
      name: { type: 'string' },
    },
  });
  if (!values.version || !values.file?.length || !values.key || !values.out) {
    process.stderr.write('usage: release-metadata.ts --version V --file PLATFORM=PATH ... --key KEY.json --out DIR [--expires-in-days N] [--copy] [--name agent-release.json]\n');
    process.exit(2);
  }
  const files = values.file.map((spec) => {
    const [platform, path] = [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)];
    if (!(RELEASE_PLATFORMS as readonly string[]).includes(platform) || !path) throw new Error(`--file ${spec}: expected PLATFORM=PATH with PLATFORM one of ${RELEASE_PLATFORMS.join(', ')}`);
    return { platform: platform as ReleasePlatform, path };
  });
  const out = signReleaseMetadata({
    version: values.version,
    files,
    outDir: values.out,
    privateKeyPath: values.key,
    ...(values['expires-in-days'] ? { expiresInDays: Number(values['expires-in-days']) } : {}),
    ...(values.copy ? { copy: true } : {}),
    ...(values.name ? { fileName: values.name } : {}),
  });
  process.stderr.write(`wrote ${out}\n`);
}
