/**
 * Enrollment tokens: random 256-bit secrets, stored as SHA-256, limited in
 * uses and time, optionally carrying labels for the hosts they enroll, and
 * revocable. Consuming a use is one conditional UPDATE, so concurrent
 * enrollments can never exceed the limit.
 *
 * Owns the table `enrollment_tokens`.
 */
import { randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { hashToken, randomToken } from '@patchfleet/shared';
import { PfError, Errors } from '@patchfleet/shared/errors';
import { enrollmentTokens } from '../db/schema/index';
import type { Db, Tx } from '../db/index';

export interface EnrollmentTokenView {
  id: string;
  description: string;
  labels: Record<string, string>;
  maxUses: number;
  uses: number;
  expiresAt: string;
  revokedAt: string | null;
  createdAt: string;
  createdBy: string;
  state: 'active' | 'expired' | 'exhausted' | 'revoked';
}

type Row = typeof enrollmentTokens.$inferSelect;

function stateOf(row: Row, now: Date): EnrollmentTokenView['state'] {
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (row.uses >= row.maxUses) return 'exhausted';
  return 'active';
}

export function viewOf(row: Row, now: Date): EnrollmentTokenView {
  return {
    id: row.id,
    description: row.description,
    labels: row.labels,
    maxUses: row.maxUses,
    uses: row.uses,
    expiresAt: row.expiresAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    state: stateOf(row, now),
  };
}

export async function createEnrollmentToken(
  db: Db | Tx,
  opts: { maxUses: number; ttlSec: number; labels: Record<string, string>; description: string; createdBy: string; now: Date },
): Promise<{ token: string; view: EnrollmentTokenView }> {
  const token = randomToken('pfe');
  const row = {
    id: `et_${randomBytes(8).toString('hex')}`,
    tokenHash: hashToken(token),
    description: opts.description,
    labels: opts.labels,
    maxUses: opts.maxUses,
    uses: 0,
    expiresAt: new Date(opts.now.getTime() + opts.ttlSec * 1000),
    revokedAt: null,
    createdAt: opts.now,
    createdBy: opts.createdBy,
  };
  await db.insert(enrollmentTokens).values(row);
  return { token, view: viewOf(row, opts.now) };
}

export async function listEnrollmentTokens(db: Db, now: Date): Promise<EnrollmentTokenView[]> {
  const rows = await db.select().from(enrollmentTokens).orderBy(desc(enrollmentTokens.createdAt)).limit(1000);
  return rows.map((r) => viewOf(r, now));
}

export async function revokeEnrollmentToken(db: Db | Tx, id: string, now: Date): Promise<EnrollmentTokenView> {
  const rows = await db
    .update(enrollmentTokens)
    .set({ revokedAt: sql`coalesce(${enrollmentTokens.revokedAt}, ${now.toISOString()}::timestamptz)` })
    .where(eq(enrollmentTokens.id, id))
    .returning();
  const row = rows[0];
  if (!row) throw new PfError(Errors.NOT_FOUND, `enrollment token ${id} not found`);
  return viewOf(row, now);
}

/**
 * Takes one use of the token, or throws the precise reason it cannot be used.
 * Must run inside the enrollment transaction so a failed enrollment gives the use back.
 */
export async function consumeEnrollmentToken(tx: Tx, token: string, now: Date): Promise<Row> {
  const hash = hashToken(token);
  const taken = await tx
    .update(enrollmentTokens)
    .set({ uses: sql`${enrollmentTokens.uses} + 1` })
    .where(
      and(
        eq(enrollmentTokens.tokenHash, hash),
        isNull(enrollmentTokens.revokedAt),
        gt(enrollmentTokens.expiresAt, now),
        lt(enrollmentTokens.uses, enrollmentTokens.maxUses),
      ),
    )
    .returning();
  if (taken[0]) return taken[0];
  const [row] = await tx.select().from(enrollmentTokens).where(eq(enrollmentTokens.tokenHash, hash)).limit(1);
  if (!row) throw new PfError(Errors.ENROLL_TOKEN_INVALID);
  const state = stateOf(row, now);
  if (state === 'revoked') throw new PfError(Errors.ENROLL_TOKEN_REVOKED, undefined, { tokenId: row.id });
  if (state === 'expired') throw new PfError(Errors.ENROLL_TOKEN_EXPIRED, undefined, { tokenId: row.id });
  throw new PfError(Errors.ENROLL_TOKEN_EXHAUSTED, `enrollment token has no uses left (${row.uses} of ${row.maxUses} used)`, { tokenId: row.id });
}
