/**
 * The agent's state directory: identity.json (the private key: mode 0600),
 * the durable outbox, and the last state reported. The directory itself is
 * 0700 so only root (the agent's user) can read it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeFingerprint, writeFileAtomic } from '@patchfleet/shared';
import { Errors, PfError } from '@patchfleet/shared/errors';

export interface Identity {
  agentId: string;
  /** wss:// URL of the controller's agent endpoint */
  wsUrl: string;
  /**
   * wss:// URLs of other replicas of the same controller (same certificate and
   * command key, one database), tried in turn when the current one is
   * unreachable, gone or full.
   */
  failoverUrls?: string[];
  /** https:// base URL of the controller */
  serverUrl: string;
  /** pinned SHA-256 (hex) of the controller's TLS certificate */
  caFingerprint: string;
  /** pinned base64 Ed25519 key the controller signs commands with */
  commandKey: string;
  publicKey: string;
  secretKey: string;
  enrolledAt: string;
  labels: Record<string, string>;
}

export function identityPath(stateDir: string): string {
  return join(stateDir, 'identity.json');
}

export function ensureStateDir(stateDir: string): void {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    chmodSync(stateDir, 0o700);
  } catch (err) {
    throw new PfError(Errors.STATE_DIR, `cannot prepare state directory ${stateDir}: ${(err as Error).message}`);
  }
}

export function readIdentity(stateDir: string): Identity {
  const path = identityPath(stateDir);
  if (!existsSync(path)) throw new PfError(Errors.NOT_ENROLLED, `no identity in ${stateDir}: run \`patchfleet-agent enroll\` first`);
  try {
    const id = JSON.parse(readFileSync(path, 'utf8')) as Identity;
    for (const field of ['agentId', 'wsUrl', 'caFingerprint', 'commandKey', 'publicKey', 'secretKey'] as const) {
      if (typeof id[field] !== 'string' || !id[field]) throw new Error(`field ${field} is missing`);
    }
    if (id.failoverUrls !== undefined && (!Array.isArray(id.failoverUrls) || !id.failoverUrls.every((u) => typeof u === 'string' && u.startsWith('wss://')))) {
      throw new Error('field failoverUrls must be a list of wss:// URLs');
    }
    return { ...id, caFingerprint: normalizeFingerprint(id.caFingerprint) };
  } catch (err) {
    throw new PfError(Errors.STATE_DIR, `identity file ${path} is damaged: ${(err as Error).message}`);
  }
}

export function writeIdentity(stateDir: string, identity: Identity): void {
  ensureStateDir(stateDir);
  writeFileAtomic(identityPath(stateDir), `${JSON.stringify(identity, null, 2)}\n`, 0o600);
}
