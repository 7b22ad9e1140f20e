/**
 * A small fleet whose KPIs are worked out by hand (the expected values sit
 * in KPI_EXPECTED, each with its arithmetic), for the service and route tests.
 * Now is T0; with days = 7 the current period is [Nov 16 12:00, Nov 23 12:00)
 * and the previous one [Nov 9 12:00, Nov 16 12:00).
 */
import type { Db } from '../db/index';
import { auditLog, catalogKbs, catalogUsns, hostPatchState, hostPatchSummary, hostSessions, hosts, patchBlocks, rolloutHosts, rollouts } from '../db/schema/index';

export const T0 = Date.parse('2026-11-23T12:00:00Z');
const d = (iso: string) => new Date(iso);
const OCT1 = d('2026-10-01T00:00:00Z');

export async function seedKpiFleet(db: Db): Promise<void> {
  const host = (id: string, extra: Partial<typeof hosts.$inferInsert> = {}) => ({ id, hostname: id, enrolledAt: OCT1, lastSeenAt: d('2026-11-23T11:00:00Z'), ...extra });
  await db.insert(hosts).values([
    host('h1'),
    host('h2'),
    host('h3'),
    host('h4'),
    host('h5', { enrolledAt: d('2026-11-18T12:00:00Z') }),
    host('h6', { lastSeenAt: null }),
    host('h7', { lastSeenAt: d('2026-11-10T00:00:00Z') }),
    host('h8', { enrolledAt: d('2026-11-20T12:00:00Z'), lastSeenAt: null }),
    host('h9', { status: 'revoked' }),
  ]);
  const session = (hostId: string, lastSeen: string) => ({ id: `s_${hostId}`, hostId, controllerId: 'c', connectedAt: OCT1, lastSeenAt: d(lastSeen) });
  await db.insert(hostSessions).values([...['h1', 'h2', 'h3', 'h4', 'h5'].map((h) => session(h, '2026-11-23T11:00:00Z')), session('h7', '2026-11-10T00:00:00Z')]);

  await db.insert(catalogUsns).values({ id: 'USN-1-1', title: 't', details: '', published: '2026-11-10T12:00:00Z', modified: '2026-11-10T12:00:00Z', cves: [], cveFacts: [], contentHash: 'x' } as typeof catalogUsns.$inferInsert);
  // Patch Tuesday of November 2026: the 10th, 17:00 UTC.
  await db.insert(catalogKbs).values({ id: 'KB5072033', month: '2026-11', title: 't', cves: [], supersedes: [], hotpatch: false });

  const at = d('2026-11-23T00:00:00Z');
  const missing = (hostId: string, patchId: string, tier: 'critical' | 'high' | 'medium', dueBy: string) => ({ hostId, patchId, kind: patchId.startsWith('KB') ? ('kb' as const) : ('usn' as const), status: 'missing' as const, tier, dueBy: d(dueBy), score: 50, assessedAt: at });
  const installed = (hostId: string, patchId: string) => ({ hostId, patchId, kind: 'usn' as const, status: 'installed' as const, assessedAt: at });
  await db.insert(hostPatchState).values([
    installed('h1', 'USN-1-1'),
    installed('h2', 'USN-1-1'),
    missing('h3', 'USN-1-1', 'high', '2026-11-17T12:00:00Z'),
    missing('h6', 'KB5072033', 'critical', '2026-11-12T17:00:00Z'),
    missing('h7', 'USN-2-1', 'medium', '2026-12-10T12:00:00Z'),
    missing('h8', 'USN-9-9', 'high', '2026-11-27T12:00:00Z'),
    missing('h9', 'KB5072033', 'critical', '2026-11-12T17:00:00Z'),
  ]);
  // What assess/host-state.ts writes beside those rows: the missing count and the earliest deadline.
  const summary = (hostId: string, missingCount: number, firstDueBy: string | null) => ({ hostId, missing: missingCount, firstDueBy: firstDueBy === null ? null : d(firstDueBy), assessedAt: at });
  await db.insert(hostPatchSummary).values([
    summary('h1', 0, null),
    summary('h2', 0, null),
    summary('h3', 1, '2026-11-17T12:00:00Z'),
    summary('h6', 1, '2026-11-12T17:00:00Z'),
    summary('h7', 1, '2026-12-10T12:00:00Z'),
    summary('h8', 1, '2026-11-27T12:00:00Z'),
    summary('h9', 1, '2026-11-12T17:00:00Z'),
  ]);

  const rollout = (id: string, releasedAt: string) => ({ id, name: id, content: { patches: [], packages: [] }, state: 'active' as const, releasedAt: d(releasedAt), createdBy: 'system', createdAt: OCT1, updatedAt: OCT1 });
  await db.insert(rollouts).values([rollout('ro_a', '2026-11-10T12:00:00Z'), rollout('ro_b', '2026-11-15T12:00:00Z')]);
  type Rh = typeof rolloutHosts.$inferInsert;
  const rh = (rolloutId: string, hostId: string, state: Rh['state'], stateAt: string, extra: Partial<Rh> = {}): Rh => ({ rolloutId, hostId, ringId: 'rg_test', state, stateAt: d(stateAt), ...extra });
  await db.insert(rolloutHosts).values([
    rh('ro_a', 'h1', 'succeeded', '2026-11-17T12:00:00Z', { tier: 'critical', dueBy: d('2026-11-12T12:00:00Z'), installedAt: d('2026-11-17T12:00:00Z') }),
    rh('ro_a', 'h2', 'succeeded', '2026-11-19T12:00:00Z', { tier: 'critical', dueBy: d('2026-11-18T12:00:00Z'), installedAt: d('2026-11-19T12:00:00Z') }),
    rh('ro_a', 'h3', 'rolled-back', '2026-11-13T12:00:00Z', { tier: 'high', dueBy: d('2026-11-17T12:00:00Z'), installedAt: d('2026-11-12T12:00:00Z') }),
    rh('ro_b', 'h4', 'rolled-back', '2026-11-19T00:00:00Z', { installedAt: d('2026-11-18T12:00:00Z') }),
    rh('ro_a', 'h5', 'succeeded', '2026-11-20T12:00:00Z', { tier: 'high', dueBy: d('2026-11-17T12:00:00Z'), installedAt: d('2026-11-20T12:00:00Z') }),
    rh('ro_a', 'h6', 'failed', '2026-11-20T00:00:00Z', { tier: 'critical', dueBy: d('2026-11-12T17:00:00Z') }),
    rh('ro_a', 'h7', 'failed', '2026-11-01T00:00:00Z', { tier: 'medium' }),
  ]);

  const a = (action: string, when: string) => ({ at: d(when), actor: 'system', action, targetType: 'rollout', targetId: 'ro_a', details: {} });
  await db.insert(auditLog).values([a('rollout.halted', '2026-11-20T00:00:00Z'), a('rollout.halted', '2026-11-12T00:00:00Z'), a('rollout.halted', '2026-11-01T00:00:00Z'), a('rollout.paused', '2026-11-20T00:00:00Z')]);
  const block = (id: string, when: string, hostClass: string | null) => ({ id, patchId: 'USN-1-1', hostClass, state: 'active' as const, reason: 'r', createdBy: 'system', createdAt: d(when) });
  await db.insert(patchBlocks).values([block('bk_1', '2026-11-18T00:00:00Z', '["ubuntu"]'), block('bk_2', '2026-11-21T00:00:00Z', null), block('bk_3', '2026-11-14T00:00:00Z', '["ubuntu"]')]);
}

/** The KPIs of seedKpiFleet at T0 over 7 days, by hand. */
export const KPI_EXPECTED = {
  mttp: {
    // h1 7 d, h2 9 d (from ro_a's release, Nov 10 12:00); h5 2 d (enrolled after the release: from Nov 18 12:00); h4 3 d (ro_b, untiered).
    critical: { current: { meanDays: 8, installs: 2 }, previous: { meanDays: null, installs: 0 } },
    high: { current: { meanDays: 2, installs: 1 }, previous: { meanDays: 2, installs: 1 } }, // previous: h3, 2 d
    medium: { current: { meanDays: null, installs: 0 }, previous: { meanDays: null, installs: 0 } },
    low: { current: { meanDays: null, installs: 0 }, previous: { meanDays: null, installs: 0 } },
    all: { current: { meanDays: (7 + 9 + 2 + 3) / 4, installs: 4 }, previous: { meanDays: 2, installs: 1 } },
  },
  // Now: assessed active hosts h1 h2 h3 h6 h7 h8; h3 (due Nov 17) and h6 (due Nov 12) overdue.
  // At Nov 16 12:00: h1 h2 h3 h6 h7 (h8 enrolled later); h6 overdue, h1 overdue (due Nov 12, installed by ro_a on Nov 17).
  withinSla: { current: { share: 4 / 6, within: 4, hosts: 6 }, previous: { share: 3 / 5, within: 3, hosts: 5 } },
  // h1 [Nov 10 12, Nov 17 12): 6 + 1; h2 [Nov 10 12, Nov 19 12): 6 + 3; h3 still missing from Nov 10 12: 6 + 7 (its rolled-back
  // rollout row adds nothing); h5 [Nov 18 12, Nov 20 12): 0 + 2; h6 missing since Patch Tuesday Nov 10 17:00: 5 d 19 h + 7;
  // h8 (no catalog date) since enrollment Nov 20 12: 0 + 3; h9 revoked; h7 medium.
  exposure: { current: { hostDays: 1 + 3 + 7 + 2 + 7 + 3 }, previous: { hostDays: 6 + 6 + 6 + 5 + 19 / 24 } },
  installs: {
    current: { successRate: 4 / 5, succeeded: 4, failed: 1, rollbackRate: 1 / 4, rolledBack: 1 },
    previous: { successRate: 1, succeeded: 1, failed: 0, rollbackRate: 1, rolledBack: 1 },
  },
  stops: { current: { halts: 1, blocks: 2, fleetWideBlocks: 1 }, previous: { halts: 1, blocks: 1, fleetWideBlocks: 0 } },
  // Now: h6 (never seen) and h7 (last seen Nov 10); h8 enrolled 3 days ago. At Nov 16 12:00: h6 only (h7's session reached
  // Nov 10), of h1-h4, h6, h7 (h5 and h8 enrolled later).
  staleHosts: { current: { count: 2, hosts: 8 }, previous: { count: 1, hosts: 6 } },
};
