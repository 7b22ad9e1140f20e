/**
 * The release public key pinned into the agent at build time (esbuild
 * `define`): agents install only releases whose metadata it signed.
 *
 * A real key comes from PATCHFLEET_RELEASE_PUBLIC_KEY (base64 of the raw
 * 32-byte Ed25519 public key) or PATCHFLEET_RELEASE_PUBLIC_KEY_FILE (a file
 * holding it). Without either the build makes, once, a TEST release key pair
 * in `<cacheDir>/test-release-key/release-key.json` (mode 0600) and pins its
 * public key, so CI signs and verifies releases the way production would.
 * The private half of a real key stays offline: the build never needs it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePublicKey, nodeEd25519, type KeyPair } from '@patchfleet/shared/crypto';

export interface ReleaseKey {
  publicKey: string;
  /** The test key pair file (test keys only): what signs test releases. */
  testKeyFile?: string;
}

/** The test release key pair in `dir`, made when missing. */
export function testReleaseKey(dir: string): { file: string; pair: KeyPair } {
  const file = join(dir, 'release-key.json');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pair = nodeEd25519.generateKeyPair();
    writeFileSync(file, `${JSON.stringify({ note: 'TEST release key: trusted by test builds only', ...pair }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyPair;
  return { file, pair: { publicKey: parsed.publicKey, secretKey: parsed.secretKey } };
}

/** The configured release public key, else the test one in `cacheDir`. Throws on a malformed key. */
export function releaseKey(cacheDir: string, env: NodeJS.ProcessEnv = process.env): ReleaseKey {
  const fromFile = env.PATCHFLEET_RELEASE_PUBLIC_KEY_FILE ? readFileSync(env.PATCHFLEET_RELEASE_PUBLIC_KEY_FILE, 'utf8').trim() : undefined;
  const configured = env.PATCHFLEET_RELEASE_PUBLIC_KEY?.trim() || fromFile;
  if (configured) {
    try {
      decodePublicKey(configured, { subgroup: true });
    } catch (err) {
      throw new Error(`PATCHFLEET_RELEASE_PUBLIC_KEY(_FILE) is not an Ed25519 public key: ${(err as Error).message}`);
    }
    return { publicKey: configured };
  }
  const { file, pair } = testReleaseKey(join(cacheDir, 'test-release-key'));
  return { publicKey: pair.publicKey, testKeyFile: file };
}

/** The esbuild `define` that pins the key and the version into the bundle (see src/version.ts). */
export function buildDefines(publicKey: string, version: string | undefined): Record<string, string> {
  return {
    __PF_RELEASE_PUBLIC_KEY__: JSON.stringify(publicKey),
    ...(version ? { __PF_AGENT_VERSION__: JSON.stringify(version) } : {}),
  };
}
