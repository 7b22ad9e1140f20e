import { randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { hashToken, randomToken } from '@patchfleet/shared';
import { apiTokens, type Role } from '../db/schema/index';
import type { Db, Tx } from '../db/index';

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

const ROLE_RANK: Record<Role, number> = { helpdesk: 0, operator: 1, admin: 2 };

/** True when `role` is at least `needed` (admin > operator > helpdesk). */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

/** Creates an API token; returns the secret once (only its hash is stored). */
export async function createApiToken(db: Db | Tx, name: string, role: Role, now: Date): Promise<{ id: string; token: string }> {
  const id = `at_${randomBytes(8).toString('hex')}`;
  const token = randomToken('pfa');
  await db.insert(apiTokens).values({ id, name, role, tokenHash: hashToken(token), createdAt: now });
  return { id, token };
}

/** Finds the live token with this secret. */
export async function findApiToken(db: Db, token: string): Promise<(Principal & { lastUsedAt: Date | null }) | undefined> {
  const rows = await db
    .select({ tokenId: apiTokens.id, name: apiTokens.name, role: apiTokens.role, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  return rows[0];
}
