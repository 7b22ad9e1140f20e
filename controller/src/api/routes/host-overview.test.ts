/** `GET /api/v1/hosts/:id/overview` on a real database: the groups, recent commands and timeline of one seeded host. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@patchfleet/shared';
import { sampleHost } from '@patchfleet/test/support/inventory';
import { auditLog, commands, hostPatchState, hosts, mitigations, ringAssignments, rolloutHosts, rolloutRings, rollouts } from '../../db/schema/index';
import { createRing } from '../../rollout/ring-store';
import { errorOf, openRouteKit, roleTokens, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const d = (iso: string) => new Date(iso);

interface Overview {
  host: { id: string; users: string[]; labels: Record<string, string> };
  ring: { name: string; reason: string } | null;
  patches: {
    missing: { id: string; overdue: boolean; priority: { tier: string }; decision: { decision: string; score: number | null; reasons: string[] } | null }[];
    mitigated: { id: string; mitigation: { mitigationId: string } }[];
    installed: string[];
    inProgress: { rolloutId: string; ringName: string | null }[];
    failed: { rolloutId: string; errorCode: string | null }[];
    rolledBack: { rolloutId: string }[];
    blocked: { rolloutId: string }[];
    pendingReboot: { reported: { required: boolean; reasons: string[] } | null; rollouts: { rolloutId: string }[] };
  };
  summary: Record<string, unknown>;
  commands: { id: string; state: string }[];
  timeline: { at: string; source: string; event: string; summary: string }[];
}

describe('GET /api/v1/hosts/:id/overview', () => {
  let kit: RouteKit;
  let tokens: { admin: string; operator: string; helpdesk: string };

  beforeAll(async () => {
    kit = await openRouteKit(new ManualClock(T0));
    const db = kit.db;
    tokens = await roleTokens(db, new Date(T0));
    const facts = sampleHost({ hostname: 'w1', users: [{ user: 'alice' }], pendingReboot: { required: true, reasons: ['/var/run/reboot-required'] } }) as unknown as Record<string, unknown>;
    await db.insert(hosts).values([
      { id: 'w1', hostname: 'w1', enrolledAt: d('2026-10-01T00:00:00Z'), labels: { role: 'web' }, loginUsers: ['alice'], facts },
      { id: 'w2', hostname: 'w2', enrolledAt: d('2026-10-01T00:00:00Z') },
    ]);
    const ring = await db.transaction((tx) => createRing(tx, { name: 'Pilot' }, new Date(T0)));
    await db.insert(ringAssignments).values({ hostId: 'w1', ringId: ring.id, reason: 'rule', assignedAt: d('2026-10-02T00:00:00Z') });
    const at = d('2026-11-23T00:00:00Z');
    const miss = (patchId: string, tier: 'critical' | 'high', dueBy: string, score: number) => ({ hostId: 'w1', patchId, kind: patchId.startsWith('KB') ? ('kb' as const) : ('usn' as const), status: 'missing' as const, tier, score, dueBy: d(dueBy), reasons: [`${tier} because`], cves: ['CVE-1', 'CVE-2'], assessedAt: at });
    await db.insert(hostPatchState).values([
      miss('KB5072033', 'critical', '2026-11-20T00:00:00Z', 90),
      miss('USN-2-1', 'high', '2026-11-30T00:00:00Z', 70),
      miss('USN-3-1', 'critical', '2026-11-21T00:00:00Z', 85),
      { hostId: 'w1', patchId: 'USN-1-1', kind: 'usn', status: 'installed', assessedAt: at },
    ]);
    await db.insert(mitigations).values({ id: 'mt_1', patchId: 'USN-3-1', description: 'port closed', owner: 'sec', scope: { hostIds: ['w1'] }, expiresAt: d('2026-12-31T00:00:00Z'), state: 'active', createdBy: 'token:x', createdAt: d('2026-11-22T00:00:00Z') });

    const ro = (id: string, state: (typeof rollouts.$inferInsert)['state'], created: string) => ({ id, name: `name-${id}`, content: { patches: ['KB5072033'], packages: [] }, state, releasedAt: d('2026-11-11T00:00:00Z'), createdBy: 'system', createdAt: d(created), updatedAt: d(created) });
    await db.insert(rollouts).values([ro('ro_live', 'active', '2026-11-20T00:00:00Z'), ro('ro_done', 'completed', '2026-11-12T00:00:00Z'), ro('ro_back', 'rolled-back', '2026-11-13T00:00:00Z'), ro('ro_boot', 'active', '2026-11-14T00:00:00Z'), ro('ro_halt', 'halted', '2026-11-15T00:00:00Z'), ro('ro_blk', 'active', '2026-11-16T00:00:00Z')]);
    await db.insert(rolloutRings).values({ rolloutId: 'ro_live', ringId: ring.id, ringName: 'Pilot', position: 0, state: 'installing', stateAt: d('2026-11-21T00:00:00Z'), eligibleAt: d('2026-11-21T00:00:00Z'), deadlineAt: d('2026-11-25T00:00:00Z'), graceEndsAt: d('2026-11-26T00:00:00Z') });
    type Rh = typeof rolloutHosts.$inferInsert;
    const rh = (rolloutId: string, state: Rh['state'], stateAt: string, extra: Partial<Rh> = {}): Rh => ({ rolloutId, hostId: 'w1', ringId: ring.id, state, stateAt: d(stateAt), kb: 'KB5072033', ...extra });
    await db.insert(rolloutHosts).values([
      rh('ro_live', 'installing', '2026-11-22T10:00:00Z', { tier: 'critical', dueBy: d('2026-11-20T00:00:00Z'), installCommandId: 'cm_ok' }),
      rh('ro_done', 'failed', '2026-11-12T06:00:00Z', { errorCode: 'PF_ERR_INSTALL_FAILED' }),
      rh('ro_back', 'rolled-back', '2026-11-13T09:00:00Z', { installedAt: d('2026-11-13T06:00:00Z') }),
      rh('ro_boot', 'succeeded', '2026-11-14T06:00:00Z', { installedAt: d('2026-11-14T06:00:00Z'), bootState: 'expected', rebootDueBy: d('2026-11-24T00:00:00Z') }),
      rh('ro_halt', 'pending', '2026-11-15T00:00:00Z'),
      rh('ro_blk', 'blocked', '2026-11-16T00:00:00Z'),
      { rolloutId: 'ro_live', hostId: 'w2', ringId: ring.id, state: 'failed', stateAt: d('2026-11-22T11:00:00Z') },
    ]);
    const cmd = (id: string, hostId: string, state: (typeof commands.$inferInsert)['state'], issued: string, extra: Partial<typeof commands.$inferInsert> = {}) => ({
      id,
      hostId,
      action: 'install' as const,
      target: 'KB5072033',
      params: { kb: 'KB5072033' } as never,
      issuedAt: d(issued),
      notAfter: d('2026-12-01T00:00:00Z'),
      signature: 'sig',
      state,
      stateAt: d(issued),
      createdBy: 'system',
      ...extra,
    });
    await db.insert(commands).values([
      cmd('cm_ok', 'w1', 'running', '2026-11-22T10:00:00Z', { rolloutId: 'ro_live' }),
      cmd('cm_bad', 'w1', 'failed', '2026-11-12T05:00:00Z', { finishedAt: d('2026-11-12T06:00:00Z'), errorCode: 'PF_ERR_INSTALL_FAILED', errorMessage: 'wusa exit 5' }),
      cmd('cm_other', 'w2', 'succeeded', '2026-11-22T10:00:00Z'),
    ]);
    const a = (action: string, targetType: string, targetId: string, when: string, details: Record<string, unknown> = {}) => ({ at: d(when), actor: 'token:ops', action, targetType, targetId, details });
    await db.insert(auditLog).values([
      a('ring.pin', 'host', 'w1', '2026-11-10T00:00:00Z', { ringName: 'Pilot' }),
      a('rollout.wave', 'rollout', 'ro_live', '2026-11-22T09:59:00Z', { hosts: ['w1', 'w2'] }),
      a('rollout.wave', 'rollout', 'ro_live', '2026-11-22T09:58:00Z', { hosts: ['w2'] }),
      a('command.cancel', 'command', 'cm_bad', '2026-11-12T05:30:00Z', { hostId: 'w1' }),
      a('command.issue', 'command', 'cm_ok', '2026-11-22T10:00:00Z'),
      a('host.revoke', 'host', 'w2', '2026-11-22T00:00:00Z'),
    ]);
  });

  afterAll(async () => {
    await kit?.close();
  });

  const get = async (id: string, token = tokens.helpdesk) => kit.call('GET', `/api/v1/hosts/${id}/overview`, token);

  it('groups the patch state: missing (overdue by deadline), mitigated, installed, and the rollout states', async () => {
    const res = await get('w1');
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json() as Overview;
    expect(o.host).toMatchObject({ id: 'w1', users: ['alice'], labels: { role: 'web' } });
    expect(o.ring).toMatchObject({ name: 'Pilot', reason: 'rule' });
    expect(o.patches.missing.map((m) => [m.id, m.priority.tier, m.overdue])).toEqual([
      ['KB5072033', 'critical', true],
      ['USN-2-1', 'high', false],
    ]);
    expect(o.patches.mitigated.map((m) => [m.id, m.mitigation.mitigationId])).toEqual([['USN-3-1', 'mt_1']]);
    expect(o.patches.installed).toEqual(['USN-1-1']);
    expect(o.patches.inProgress.map((e) => [e.rolloutId, e.ringName])).toEqual([['ro_live', 'Pilot']]);
    expect(o.patches.failed.map((e) => [e.rolloutId, e.errorCode])).toEqual([['ro_done', 'PF_ERR_INSTALL_FAILED']]);
    expect(o.patches.rolledBack.map((e) => e.rolloutId)).toEqual(['ro_back']);
    expect(o.patches.blocked.map((e) => e.rolloutId)).toEqual(['ro_blk']);
    expect(o.patches.pendingReboot).toEqual({ reported: { required: true, reasons: ['/var/run/reboot-required'] }, rollouts: [expect.objectContaining({ rolloutId: 'ro_boot' })] });
    expect(o.summary).toEqual({ missing: 2, overdue: 1, mitigated: 1, installed: 1, inProgress: 1, failed: 1, rolledBack: 1, blocked: 1, pendingReboot: 1, rebootReported: true, byTier: { critical: 2, high: 1, medium: 0, low: 0 } });
  });

  it('gives each missing patch its reliability score and decision, as the patch list shows them', async () => {
    const o = (await get('w1')).json() as Overview;
    const list = (await kit.call('GET', '/api/v1/patches?affected=true', tokens.helpdesk)).json() as { items: { id: string; decision: unknown }[] };
    for (const m of o.patches.missing) {
      expect(m.decision, m.id).toMatchObject({ decision: expect.stringMatching(/^(deploy-now|stage|hold|block)$/), reasons: expect.arrayContaining([expect.any(String)]) });
      const listed = list.items.find((i) => i.id === m.id);
      if (listed) expect(m.decision).toEqual(listed.decision);
    }
    expect(o.patches.missing.map((m) => m.decision?.score)).toEqual([expect.any(Number), expect.any(Number)]);
  });

  it("lists the host's own commands and a timeline of its changes, newest first, without other hosts' entries", async () => {
    const o = (await get('w1')).json() as Overview;
    expect(o.commands.map((c) => [c.id, c.state])).toEqual([
      ['cm_ok', 'running'],
      ['cm_bad', 'failed'],
    ]);
    const top = o.timeline.slice(0, 6).map((e) => [e.at.slice(0, 16), e.source, e.event]);
    expect(top).toEqual([
      ['2026-11-22T10:00', 'rollout', 'rollout.installing'],
      ['2026-11-22T10:00', 'command', 'command.issued'],
      ['2026-11-22T09:59', 'audit', 'rollout.wave'],
      ['2026-11-20T00:00', 'rollout', 'rollout.added'],
      ['2026-11-16T00:00', 'rollout', 'rollout.added'],
      ['2026-11-16T00:00', 'rollout', 'rollout.blocked'],
    ]);
    const events = o.timeline.map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['command.failed', 'command.cancel', 'ring.pin', 'rollout.installed', 'rollout.rolled-back', 'rollout.failed']));
    // The wave naming only w2, w2's revocation and the audit twin of a command's issue stay out.
    expect(o.timeline.filter((e) => e.event === 'rollout.wave')).toHaveLength(1);
    expect(events).not.toContain('host.revoke');
    expect(events).not.toContain('command.issue');
    expect(o.timeline.find((e) => e.event === 'command.failed')?.summary).toBe('install KB5072033 failed (PF_ERR_INSTALL_FAILED: wusa exit 5)');
  });

  it('answers 404 for an unknown host and 401 without a token', async () => {
    const res = await get('nope');
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).code).toBe('PF_ERR_NOT_FOUND');
    expect((await kit.call('GET', '/api/v1/hosts/w1/overview', undefined)).statusCode).toBe(401);
  });
});
