/**
 * The command-signing key pair (Ed25519). Separate from the TLS key so a
 * leaked TLS key cannot forge commands. Agents pin the public half at
 * enrollment. Kept in <data-dir>/keys/command-key.json, mode 0600.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeEd25519, writeFileAtomic, type KeyPair } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';

export function loadOrCreateCommandKey(dataDir: string): KeyPair {
  const dir = join(dataDir, 'keys');
  const path = join(dir, 'command-key.json');
  if (existsSync(path)) {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as KeyPair;
      if (nodeEd25519.publicKeyOf(parsed.secretKey) !== parsed.publicKey) throw new Error('public key does not match the secret key');
      return parsed;
    } catch (err) {
      throw new PfError(Errors.CONFIG, `command key ${path} is unreadable or damaged: ${(err as Error).message}`);
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = nodeEd25519.generateKeyPair();
  writeFileAtomic(path, JSON.stringify(pair), 0o600);
  return pair;
}
