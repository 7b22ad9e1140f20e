/**
 * Agent enrollment: an enrollment token buys a host record and the agent's
 * public key on file. The agent gets its id and the controller's
 * command-signing key (over the TLS session it has pinned).
 *
 * Owns the table `agent_keys`, and creates `hosts` rows (enrollment/ owns
 * `hosts`: inventory/ writes its report columns, gateway/last-seen.ts its
 * last_seen_at, revoke-host.ts its status).
 */
import { createHash, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { decodeKey, decodePublicKey } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { agentKeys, hosts } from '../db/schema/index';
import type { Db } from '../db/index';
import { audit } from '../audit/audit';
import { consumeEnrollmentToken } from './tokens';

export interface EnrollRequest {
  token: string;
  publicKey: string;
  hostname: string;
  platform: string;
  agentVersion: string;
}

export interface EnrollResult {
  agentId: string;
  labels: Record<string, string>;
}

/**
 * The agent id a key gets in simulation mode: a UUID (version 8, RFC 9562)
 * from the SHA-256 of the public key. A simulator that derives its hosts'
 * keys from its seed then gets the same ids every run, and everything keyed
 * by host id (ring placement, the cohorts' hash samples) comes out the same.
 * Keys are unique per host (a second enrollment of a key is refused), so
 * the ids are too.
 */
export function agentIdFromKey(publicKey: string): string {
  const h = createHash('sha256').update(`patchfleet/agent-id/1:${publicKey}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Enrolls an agent; `opts.idFromKey` (simulation mode only) derives its id from its key instead of drawing one. */
export async function enrollAgent(db: Db, req: EnrollRequest, now: Date, requestId?: string, opts: { idFromKey?: boolean } = {}): Promise<EnrollResult> {
  try {
    decodeKey(req.publicKey, 32, 'public key');
  } catch (err) {
    throw new PfError(Errors.VALIDATION, `publicKey: ${(err as Error).message}`);
  }
  try {
    // Small-order and non-canonical keys let forged signatures verify (see shared/src/crypto/key-checks.ts).
    decodePublicKey(req.publicKey);
  } catch (err) {
    throw new PfError(Errors.BAD_AGENT_KEY, `publicKey: ${(err as Error).message}`);
  }
  return db.transaction(async (tx) => {
    const token = await consumeEnrollmentToken(tx, req.token, now);
    const [existing] = await tx.select({ hostId: agentKeys.hostId }).from(agentKeys).where(eq(agentKeys.publicKey, req.publicKey)).limit(1);
    if (existing) throw new PfError(Errors.AGENT_KEY_IN_USE, undefined, { hostId: existing.hostId });
    const agentId = opts.idFromKey === true ? agentIdFromKey(req.publicKey) : randomUUID();
    await tx.insert(hosts).values({
      id: agentId,
      hostname: req.hostname,
      osPlatform: req.platform,
      labels: token.labels,
      enrollmentTokenId: token.id,
      enrolledAt: now,
    });
    await tx.insert(agentKeys).values({ publicKey: req.publicKey, hostId: agentId, createdAt: now });
    await audit(tx, now, {
      actor: `enroll-token:${token.id}`,
      action: 'agent.enroll',
      targetType: 'host',
      targetId: agentId,
      details: { hostname: req.hostname, platform: req.platform, agentVersion: req.agentVersion },
      requestId,
    });
    return { agentId, labels: token.labels };
  });
}
