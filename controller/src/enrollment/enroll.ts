/**
 * Agent enrollment: an enrollment token buys a host record and the agent's
 * public key on file. The agent gets its id and the controller's
 * command-signing key (over the TLS session it has pinned).
 *
 * Owns the table `agent_keys`, and creates `hosts` rows (enrollment/ owns
 * `hosts`: inventory/ writes its report columns, gateway/last-seen.ts its
 * last_seen_at, revoke-host.ts its status).
 */
import { randomUUID } from 'node:crypto';
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

export async function enrollAgent(db: Db, req: EnrollRequest, now: Date, requestId?: string): Promise<EnrollResult> {
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
    const agentId = randomUUID();
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
