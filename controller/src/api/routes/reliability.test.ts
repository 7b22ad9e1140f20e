/** Reliability and mitigations through the REST API on a real database: roles, validation, the urgency rule, expiry and revocation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, notInArray } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { ManualClock } from '@patchfleet/shared';
import { Errors } from '@patchfleet/shared/errors';
import { ADVISORIES, cvrfPath } from '@patchfleet/test/support/advisories';
import { join } from 'node:path';
import { readCvrfFile } from '../../catalog/feeds/msrc-cvrf';
import { importKnownIssues } from '../../catalog/known-issues';
import { saveCatalogFeeds } from '../../catalog/store';
import type { Db } from '../../db/index';
import { auditLog, catalogKbs, hostPatchState, hosts, rolloutHosts, rollouts } from '../../db/schema/index';
import { refreshScores } from '../../reliability/score-service';
import { errorOf, openRouteKit, roleTokens, type Method, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2025-09-20T12:00:00Z');
const DAY = 86_400_000;
const URGENT = 'KB5065426';

describe('reliability and mitigations API', () => {
  let kit: RouteKit;
  let db: Db;
  let calm: string;
  const clock = new ManualClock(T0);
  const tokens = { admin: '', operator: '', helpdesk: '' };
  const call = (method: Method, url: string, token: string | undefined, body?: unknown): Promise<LightMyRequestResponse> => kit.call(method, url, token, body);
  const code = errorOf;

  beforeAll(async () => {
    kit = await openRouteKit(clock);
    db = kit.db;
    const now = new Date(T0);
    Object.assign(tokens, await roleTokens(db, now));
    await saveCatalogFeeds(db, { cvrf: [await readCvrfFile(cvrfPath('Sep'))] });
    // HPC Pack's fix has no KB in CVRF (its release notes name KB5065994); a catalog row for it lets the vendor mitigation show.
    await db.insert(catalogKbs).values({ id: 'KB5065994', month: '2025-09', title: 'HPC Pack 2019 Update 3 QFE', cves: ['CVE-2025-55232'], supersedes: [], hotpatch: false });
    await importKnownIssues(db, join(ADVISORIES, 'known-issues', 'windows-2025.jsonl'), { clock, actor: 'cli:test' });
    calm = (await db.select({ id: catalogKbs.id }).from(catalogKbs).where(notInArray(catalogKbs.id, [URGENT, 'KB5065994'])).limit(1))[0]!.id;
    await db.insert(hosts).values([
      { id: 'h_ber', hostname: 'ber-1', enrolledAt: now, labels: { site: 'berlin' }, osId: 'windows', osVersion: '11' },
      { id: 'h_par', hostname: 'par-1', enrolledAt: now, labels: { site: 'paris' }, osId: 'windows', osVersion: '11' },
    ]);
    const missing = (hostId: string, patchId: string, tier: 'critical' | 'medium') => ({
      hostId,
      patchId,
      kind: 'kb' as const,
      status: 'missing' as const,
      title: patchId,
      score: tier === 'critical' ? 85 : 40,
      tier,
      dueBy: new Date(T0 + 2 * DAY),
      assessedAt: now,
    });
    await db.insert(hostPatchState).values([missing('h_ber', URGENT, 'critical'), missing('h_par', URGENT, 'critical'), missing('h_ber', calm, 'medium'), missing('h_ber', 'KB5065994', 'critical')]);
  });

  afterAll(async () => {
    await kit?.close();
  });

  it('shows the reliability of a patch with its decision and reasons to every role', async () => {
    const res = await call('GET', `/api/v1/patches/${URGENT}/reliability`, tokens.helpdesk);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { decision: string; score: number; tier: string; reasons: string[]; classes: unknown[]; history: { hostClass: string }[] };
    expect(body).toMatchObject({ patchId: URGENT, decision: 'hold', tier: 'critical', classes: [] });
    expect(body.reasons).toContain('Microsoft confirms a known issue: PowerShell Direct connections fail between hotpatched and non-hotpatched hosts and guests (Windows 11 24H2, Windows Server 2025)');
    expect(body.reasons.some((r) => r.startsWith('urgent but held'))).toBe(true);
    expect(body.history).toEqual([expect.objectContaining({ hostClass: '', score: body.score })]);
    expect(code(await call('GET', '/api/v1/patches/KB1234567/reliability', tokens.helpdesk))).toMatchObject({ code: Errors.NOT_FOUND.code });
    expect((await call('GET', `/api/v1/patches/${URGENT}/reliability`, 'nope')).statusCode).toBe(401);
  });

  it('shows the decision on every patch of the list and of the detail', async () => {
    const list = (await call('GET', '/api/v1/patches?affected=true', tokens.helpdesk)).json() as { items: { id: string; decision: { decision: string; reasons: string[] } }[] };
    expect(list.items.find((i) => i.id === URGENT)?.decision.decision).toBe('hold');
    expect(list.items.every((i) => i.decision.reasons.length > 0)).toBe(true);
    const one = (await call('GET', `/api/v1/patches/${URGENT}`, tokens.helpdesk)).json() as { decision: { decision: string } };
    expect(one.decision.decision).toBe('hold');
  });

  it("lists the vendor's mitigations for a patch's CVEs", async () => {
    const res = await call('GET', '/api/v1/patches/KB5065994/mitigations', tokens.helpdesk);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ patchId: 'KB5065994', vendor: [{ cve: 'CVE-2025-55232', type: 'Mitigation', description: expect.stringContaining('TCP port 5999') }], accepted: [] });
  });

  it('records a mitigation only from an admin, with a valid body, for an urgent held patch', async () => {
    const body = { patchId: URGENT, description: 'PowerShell Direct disabled by GPO', owner: 'infra-team', expiresAt: new Date(T0 + 7 * DAY).toISOString(), scope: { labels: { site: 'berlin' } } };
    expect((await call('POST', '/api/v1/mitigations', tokens.operator, body)).statusCode).toBe(403);
    expect((await call('POST', '/api/v1/mitigations', tokens.helpdesk, body)).statusCode).toBe(403);
    const noOwner = await call('POST', '/api/v1/mitigations', tokens.admin, { ...body, owner: undefined });
    expect([noOwner.statusCode, code(noOwner).code]).toEqual([400, Errors.VALIDATION.code]);
    const past = await call('POST', '/api/v1/mitigations', tokens.admin, { ...body, expiresAt: new Date(T0 - DAY).toISOString() });
    expect([past.statusCode, code(past).code]).toEqual([400, Errors.VALIDATION.code]);
    const empty = await call('POST', '/api/v1/mitigations', tokens.admin, { ...body, scope: {} });
    expect(code(empty)).toMatchObject({ code: Errors.VALIDATION.code, message: 'scope names no hosts: give hostIds, labels or both' });
    const ghost = await call('POST', '/api/v1/mitigations', tokens.admin, { ...body, scope: { hostIds: ['h_nope'] } });
    expect(code(ghost)).toMatchObject({ code: Errors.VALIDATION.code, message: 'unknown hosts in scope: h_nope' });
    const notUrgent = await call('POST', '/api/v1/mitigations', tokens.admin, { ...body, patchId: calm });
    expect([notUrgent.statusCode, code(notUrgent).code]).toEqual([409, Errors.MITIGATION_NOT_ALLOWED.code]);
    const ok = await call('POST', '/api/v1/mitigations', tokens.admin, body);
    expect(ok.statusCode).toBe(201);
    const made = ok.json() as { id: string; state: string };
    expect(made.state).toBe('active');
    const audits = await db.select().from(auditLog).where(and(eq(auditLog.action, 'mitigation.create'), eq(auditLog.targetId, made.id)));
    expect(audits).toHaveLength(1);
  });

  it('shows covered hosts as "mitigated, not patched" until the mitigation expires, then as overdue', async () => {
    const ber = (await call('GET', '/api/v1/hosts/h_ber/patches', tokens.helpdesk)).json() as { missing: { id: string; state: string; overdue: boolean; mitigation: { owner: string } | null }[]; summary: { mitigated: number } };
    expect(ber.missing.find((m) => m.id === URGENT)).toMatchObject({ state: 'mitigated, not patched', overdue: false, mitigation: { owner: 'infra-team' } });
    expect(ber.summary.mitigated).toBe(1);
    const par = (await call('GET', '/api/v1/hosts/h_par/patches', tokens.helpdesk)).json() as { missing: { id: string; state: string; mitigation: unknown }[] };
    expect(par.missing.find((m) => m.id === URGENT)).toMatchObject({ state: 'missing', mitigation: null });
    const detail = (await call('GET', `/api/v1/patches/${URGENT}`, tokens.helpdesk)).json() as { hosts: { hostId: string; state: string }[] };
    expect(detail.hosts.map((h) => [h.hostId, h.state]).sort()).toEqual([
      ['h_ber', 'mitigated, not patched'],
      ['h_par', 'missing'],
    ]);
    expect(((await call('GET', '/api/v1/mitigations?state=active', tokens.helpdesk)).json() as { items: unknown[] }).items).toHaveLength(1);

    clock.advance(8 * DAY);
    const later = (await call('GET', '/api/v1/hosts/h_ber/patches', tokens.helpdesk)).json() as { missing: { id: string; state: string; overdue: boolean; mitigation: { state: string } }[] };
    expect(later.missing.find((m) => m.id === URGENT)).toMatchObject({ state: 'missing', overdue: true, mitigation: { state: 'mitigation expired' } });
    expect(((await call('GET', '/api/v1/mitigations?state=active', tokens.helpdesk)).json() as { items: unknown[] }).items).toHaveLength(0);
    expect(((await call('GET', '/api/v1/mitigations?state=expired', tokens.helpdesk)).json() as { items: { state: string }[] }).items).toMatchObject([{ state: 'expired' }]);
    expect((await call('GET', '/api/v1/mitigations?state=soon', tokens.helpdesk)).statusCode).toBe(400);
  });

  it('imports a known-issues file uploaded by an admin, refusing a bad line by name', async () => {
    const line = '{"patchId":"KB5065426","status":"reported","symptom":"printers vanish","scope":"Windows 11 24H2"}';
    expect((await call('POST', '/api/v1/catalog/known-issues', tokens.operator, { name: 'ki.jsonl', content: line })).statusCode).toBe(403);
    const bad = await call('POST', '/api/v1/catalog/known-issues', tokens.admin, { name: 'ki.jsonl', content: `${line}\n{"patchId":"KB5065426"}` });
    expect([bad.statusCode, code(bad).code]).toEqual([400, Errors.FEED_PARSE.code]);
    expect(code(bad).message).toMatch(/^upload:ki\.jsonl: line 2: /);
    const before = ((await call('GET', `/api/v1/patches/${URGENT}/reliability`, tokens.helpdesk)).json() as { score: number }).score;
    const ok = await call('POST', '/api/v1/catalog/known-issues', tokens.admin, { name: 'ki.jsonl', content: line });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ records: 1, knownIssues: { inserted: 1 }, rescored: [URGENT] });
    const after = (await call('GET', `/api/v1/patches/${URGENT}/reliability`, tokens.helpdesk)).json() as { score: number; history: unknown[] };
    expect(after.score).toBeLessThan(before);
    expect(after.history).toHaveLength(2);
  });

  it('revokes a mitigation once, admins only, audited', async () => {
    const [m] = ((await call('GET', `/api/v1/patches/${URGENT}/mitigations`, tokens.helpdesk)).json() as { accepted: { id: string }[] }).accepted;
    expect((await call('DELETE', `/api/v1/mitigations/${m!.id}`, tokens.operator)).statusCode).toBe(403);
    const res = await call('DELETE', `/api/v1/mitigations/${m!.id}`, tokens.admin);
    expect(res.json()).toMatchObject({ id: m!.id, state: 'revoked' });
    const again = await call('DELETE', `/api/v1/mitigations/${m!.id}`, tokens.admin);
    expect([again.statusCode, code(again).code]).toEqual([409, Errors.MITIGATION_REVOKED.code]);
    expect(code(await call('DELETE', '/api/v1/mitigations/mit_none', tokens.admin))).toMatchObject({ code: Errors.NOT_FOUND.code });
    expect(await db.select().from(auditLog).where(eq(auditLog.action, 'mitigation.revoke'))).toHaveLength(1);
  });

  it("counts each class's hosts with an outcome and those harmed", async () => {
    const now = new Date(T0);
    await db.insert(rollouts).values({ id: 'ro_rel', name: 'calm', content: { patches: [calm], packages: [] }, state: 'active', releasedAt: now, createdBy: 'system', createdAt: now, updatedAt: now });
    await db.insert(rolloutHosts).values([
      { rolloutId: 'ro_rel', hostId: 'h_ber', ringId: 'rg_test', state: 'failed', stateAt: now },
      { rolloutId: 'ro_rel', hostId: 'h_par', ringId: 'rg_test', state: 'succeeded', stateAt: now, installedAt: now },
    ]);
    await db.transaction((tx) => refreshScores(tx, [calm], now));
    const body = (await call('GET', `/api/v1/patches/${calm}/reliability`, tokens.helpdesk)).json() as { classes: { trials: number; harmed: number; label: string }[] };
    expect(body.classes.length).toBeGreaterThan(0);
    expect(body.classes.reduce((n, c) => n + c.trials, 0)).toBe(2);
    expect(body.classes.reduce((n, c) => n + c.harmed, 0)).toBe(1);
  });
});
