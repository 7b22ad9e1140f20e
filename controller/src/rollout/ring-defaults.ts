/**
 * The default rings, modelled on Windows Autopatch: Test (hand-picked), First 1%, Fast 9%, Broad 90%.
 * Seeds `rings`, which ring-store.ts owns.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index';
import { rings } from '../db/schema/index';

type RingRow = typeof rings.$inferInsert;

/** The four default rings, without timestamps. Fixed ids, so concurrent seeding by replicas collides harmlessly. */
export const DEFAULT_RINGS: readonly Omit<RingRow, 'createdAt' | 'updatedAt'>[] = [
  { id: 'rg_test', name: 'Test', position: 0, percent: null, deferralDays: 0, deadlineDays: 0, graceDays: 0, windows: [], waveSize: 0, maxConcurrent: 0, soakHours: 24, promotion: { minHostsDone: 1, maxFailureRate: 0 }, reboot: { policy: 'when-required', deadlineHours: 4 }, approvalRequired: false },
  { id: 'rg_first', name: 'First', position: 1, percent: 1, deferralDays: 1, deadlineDays: 2, graceDays: 2, windows: [], waveSize: 0, maxConcurrent: 0, soakHours: 24, promotion: { minHostsDone: 1, maxFailureRate: 0.05 }, reboot: { policy: 'when-required', deadlineHours: 24 }, approvalRequired: false },
  { id: 'rg_fast', name: 'Fast', position: 2, percent: 9, deferralDays: 6, deadlineDays: 2, graceDays: 2, windows: [], waveSize: 0, maxConcurrent: 0, soakHours: 48, promotion: { minHostsDone: 1, maxFailureRate: 0.05 }, reboot: { policy: 'when-required', deadlineHours: 24 }, approvalRequired: false },
  { id: 'rg_broad', name: 'Broad', position: 3, percent: 90, deferralDays: 9, deadlineDays: 5, graceDays: 2, windows: [], waveSize: 0, maxConcurrent: 0, soakHours: 0, promotion: { minHostsDone: 0, maxFailureRate: 0.05 }, reboot: { policy: 'when-required', deadlineHours: 48 }, approvalRequired: false },
];

/**
 * Creates the default rings when there are no rings at all. Only then: an
 * admin who deleted or renamed a default ring does not get it back on restart.
 */
export async function ensureDefaultRings(db: Db, now: Date): Promise<void> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(rings);
  if ((row?.n ?? 0) > 0) return;
  await db
    .insert(rings)
    .values(DEFAULT_RINGS.map((r) => ({ ...r, createdAt: now, updatedAt: now })))
    .onConflictDoNothing();
}
