/**
 * The REST API through fastify's inject(): authentication, roles, the error
 * envelope, enrollment tokens, agent enrollment, host search and the audit
 * log, on a real (PGlite or PostgreSQL) database.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { hashToken, ManualClock, nodeEd25519 } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { sampleHost, samplePackages } from '@patchfleet/test/support/inventory';
import { buildApp } from './app';
import { loadConfig } from './config';
import type { ControllerContext } from './context';
import type { Db } from './db/index';
import { apiTokens, auditLog } from './db/schema/index';
import { applyReport } from './inventory/inventory-store';
import { createApiToken } from './keys/api-tokens';
import { createLogger } from './logger';
import { RefusalAudit } from './audit/refusal-audit';

const T0 = Date.parse('2026-11-23T12:00:00Z');

interface Envelope {
  error: { code: string; message: string; requestId: string; retryable: boolean };
}

/** Every secret handed out or tried in this file; none may reach the audit log. */
const secrets: string[] = [];

describe('controller REST API', () => {
  let tdb: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let ctx: ControllerContext;
  const clock = new ManualClock(T0);
  let refusals: RefusalAudit;
  const tokens = { admin: '', adminId: '', operator: '', helpdesk: '' };

  const call = (method: 'GET' | 'POST', url: string, opts: { token?: string | undefined; body?: unknown; headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> =>
    app.inject({
      method,
      url,
      headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
      ...(opts.body !== undefined ? { payload: opts.body as Record<string, unknown> } : {}),
    });

  function expectError(res: LightMyRequestResponse, status: number, code: string): Envelope['error'] {
    expect({ status: res.statusCode, body: res.json() as unknown }).toMatchObject({ status, body: { error: { code } } });
    const { error } = res.json() as Envelope;
    expect(Object.keys(res.json() as object)).toEqual(['error']);
    expect(error.message).toEqual(expect.any(String));
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.requestId).toMatch(/^[0-9a-f]{16}$/);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    return error;
  }

  async function createEnrollToken(body: Record<string, unknown> = {}): Promise<{ token: string; id: string }> {
    const res = await call('POST', '/api/v1/enrollment-tokens', { token: tokens.admin, body });
    expect(res.statusCode).toBe(201);
    const created = res.json() as { token: string; id: string };
    secrets.push(created.token);
    return created;
  }

  async function enroll(token: string, hostname: string) {
    secrets.push(token);
    return call('POST', '/api/v1/agents/enroll', { body: { token, publicKey: nodeEd25519.generateKeyPair().publicKey, hostname, platform: 'linux', agentVersion: '0.1.0' } });
  }

  async function auditRows() {
    return db.select().from(auditLog);
  }

  /** The aggregated refusal rows, written now rather than when their minute closes. */
  async function refusalRows(action: string) {
    await refusals.flush({ all: true });
    return (await auditRows()).filter((r) => r.action === action);
  }

  const requestIdsOf = (row: { details: Record<string, unknown> }) => (row.details.requestIds ?? []) as string[];

  beforeAll(async () => {
    tdb = await openTestDatabase();
    db = tdb.database.db;
    ctx = {
      config: loadConfig({ dataDir: tdb.dataDir }, {}),
      db,
      dbKind: tdb.database.kind,
      bus: tdb.database.bus,
      clock,
      log: createLogger({ level: 'silent' }),
      controllerId: 'ctl_test',
      commandPublicKey: nodeEd25519.generateKeyPair().publicKey,
    };
    refusals = new RefusalAudit(db, clock, ctx.log);
    app = await buildApp(ctx, { tls: undefined, refusals });
    await app.ready();
    const now = new Date(T0);
    const admin = await createApiToken(db, 'admin', 'admin', now);
    tokens.admin = admin.token;
    tokens.adminId = admin.id;
    tokens.operator = (await createApiToken(db, 'operator', 'operator', now)).token;
    tokens.helpdesk = (await createApiToken(db, 'helpdesk', 'helpdesk', now)).token;
    secrets.push(tokens.admin, tokens.operator, tokens.helpdesk);
  });

  afterAll(async () => {
    await app?.close();
    await tdb?.cleanup();
  });

  describe('authentication and roles', () => {
    it('answers 401 PF_ERR_UNAUTHORIZED in the error envelope without a token', async () => {
      const error = expectError(await call('GET', '/api/v1/hosts'), 401, 'PF_ERR_UNAUTHORIZED');
      expect(error.message).toMatch(/Bearer/);
    });

    it('answers 401 to an unknown token and to a non-Bearer scheme', async () => {
      expectError(await call('GET', '/api/v1/hosts', { token: 'pfa_not-a-real-token' }), 401, 'PF_ERR_UNAUTHORIZED');
      expectError(await call('GET', '/api/v1/hosts', { headers: { authorization: `Basic ${tokens.admin}` } }), 401, 'PF_ERR_UNAUTHORIZED');
      expectError(await call('GET', '/api/v1/hosts', { headers: { authorization: 'Bearer' } }), 401, 'PF_ERR_UNAUTHORIZED');
    });

    it('answers 401 to a revoked token', async () => {
      const revoked = await createApiToken(db, 'old', 'admin', new Date(T0));
      secrets.push(revoked.token);
      expect((await call('GET', '/api/v1/hosts', { token: revoked.token })).statusCode).toBe(200);
      await db.update(apiTokens).set({ revokedAt: new Date(T0) }).where(eq(apiTokens.id, revoked.id));
      expectError(await call('GET', '/api/v1/hosts', { token: revoked.token }), 401, 'PF_ERR_UNAUTHORIZED');
    });

    it('lets helpdesk read hosts but not create enrollment tokens, list them or read the audit log', async () => {
      expect((await call('GET', '/api/v1/hosts', { token: tokens.helpdesk })).statusCode).toBe(200);
      const error = expectError(await call('POST', '/api/v1/enrollment-tokens', { token: tokens.helpdesk, body: {} }), 403, 'PF_ERR_FORBIDDEN');
      expect(error.message).toMatch(/admin/);
      expectError(await call('GET', '/api/v1/enrollment-tokens', { token: tokens.helpdesk }), 403, 'PF_ERR_FORBIDDEN');
      expectError(await call('GET', '/api/v1/audit', { token: tokens.helpdesk }), 403, 'PF_ERR_FORBIDDEN');
    });

    it('lets an operator list enrollment tokens but not create or revoke them', async () => {
      expect((await call('GET', '/api/v1/enrollment-tokens', { token: tokens.operator })).statusCode).toBe(200);
      expectError(await call('POST', '/api/v1/enrollment-tokens', { token: tokens.operator, body: {} }), 403, 'PF_ERR_FORBIDDEN');
      expectError(await call('POST', '/api/v1/enrollment-tokens/et_x/revoke', { token: tokens.operator }), 403, 'PF_ERR_FORBIDDEN');
    });

    it('records when a token was last used', async () => {
      const t = await createApiToken(db, 'probe', 'helpdesk', new Date(T0));
      secrets.push(t.token);
      await call('GET', '/api/v1/hosts', { token: t.token });
      const [row] = await db.select({ lastUsedAt: apiTokens.lastUsedAt }).from(apiTokens).where(eq(apiTokens.id, t.id));
      expect(row?.lastUsedAt).toEqual(new Date(clock.now()));
    });

    it('serves /healthz and the OpenAPI document without a token', async () => {
      const health = await call('GET', '/healthz');
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({ status: 'ok', database: tdb.database.kind, controllerId: 'ctl_test' });

      const res = await call('GET', '/api/v1/openapi.json');
      expect(res.statusCode).toBe(200);
      const doc = res.json() as { openapi: string; paths: Record<string, unknown> };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/hosts', '/api/v1/hosts/{id}', '/api/v1/enrollment-tokens', '/api/v1/agents/enroll', '/api/v1/audit']));
    });
  });

  describe('errors', () => {
    it('answers an unknown route with 404 PF_ERR_ROUTE_NOT_FOUND, with or without a token', async () => {
      const error = expectError(await call('GET', '/api/v1/nope?x=1'), 404, 'PF_ERR_ROUTE_NOT_FOUND');
      expect(error.message).toBe('no route GET /api/v1/nope');
      expectError(await call('POST', '/api/v1/hosts', { token: tokens.admin, body: {} }), 404, 'PF_ERR_ROUTE_NOT_FOUND');
    });

    it.each([
      ['uses below 1', { uses: 0 }],
      ['an unknown field', { use: 3 }],
      ['a bad label key', { labels: { 'bad key!': 'x' } }],
      ['a ttl that is not a duration', { ttl: 'soon' }],
      ['a ttl over a year', { ttl: '400d' }],
      ['a description too long', { description: 'd'.repeat(257) }],
    ])('refuses an enrollment token with %s: 400 PF_ERR_VALIDATION', async (_what, body) => {
      expectError(await call('POST', '/api/v1/enrollment-tokens', { token: tokens.admin, body }), 400, 'PF_ERR_VALIDATION');
    });

    it('refuses a body that is not JSON with 400 PF_ERR_VALIDATION', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/enrollment-tokens', headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' }, payload: '{"uses":' });
      expectError(res, 400, 'PF_ERR_VALIDATION');
    });

    it('refuses bad query parameters with 400 PF_ERR_VALIDATION', async () => {
      expectError(await call('GET', '/api/v1/hosts?limit=1000', { token: tokens.helpdesk }), 400, 'PF_ERR_VALIDATION');
      expectError(await call('GET', '/api/v1/hosts?limit=abc', { token: tokens.helpdesk }), 400, 'PF_ERR_VALIDATION');
      expectError(await call('GET', '/api/v1/hosts?sort=name', { token: tokens.helpdesk }), 400, 'PF_ERR_VALIDATION');
    });
  });

  describe('enrollment tokens', () => {
    it('creates a token (secret returned once), lists it without the secret, revokes it, and audits both', async () => {
      const res = await call('POST', '/api/v1/enrollment-tokens', { token: tokens.admin, body: { uses: 5, ttl: '2h', labels: { ring: 'first' }, description: 'lab' } });
      expect(res.statusCode).toBe(201);
      const created = res.json() as Record<string, unknown> & { token: string; id: string };
      secrets.push(created.token);
      expect(created).toMatchObject({ maxUses: 5, uses: 0, labels: { ring: 'first' }, description: 'lab', state: 'active', revokedAt: null, createdBy: `token:${tokens.adminId}`, expiresAt: new Date(T0 + 7_200_000).toISOString() });
      expect(created.token).toMatch(/^pfe_/);
      expect(created.id).toMatch(/^et_/);

      const list = await call('GET', '/api/v1/enrollment-tokens', { token: tokens.admin });
      expect(list.statusCode).toBe(200);
      const items = (list.json() as { items: Record<string, unknown>[] }).items;
      expect(items.find((t) => t.id === created.id)).toMatchObject({ id: created.id, state: 'active', maxUses: 5 });
      expect(list.body).not.toContain(created.token);
      expect(list.body).not.toContain(hashToken(created.token));

      const revoked = await call('POST', `/api/v1/enrollment-tokens/${created.id}/revoke`, { token: tokens.admin });
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json()).toMatchObject({ id: created.id, state: 'revoked', revokedAt: new Date(T0).toISOString() });
      expect(revoked.body).not.toContain(created.token);

      const audit = await call('GET', `/api/v1/audit?targetType=enroll-token&targetId=${created.id}`, { token: tokens.admin });
      expect(audit.statusCode).toBe(200);
      const entries = (audit.json() as { items: Record<string, unknown>[] }).items;
      expect(entries).toEqual([
        expect.objectContaining({ action: 'enroll-token.revoke', actor: `token:${tokens.adminId}`, targetId: created.id, at: new Date(T0).toISOString(), requestId: expect.stringMatching(/^[0-9a-f]{16}$/) }),
        expect.objectContaining({ action: 'enroll-token.create', actor: `token:${tokens.adminId}`, targetId: created.id, details: { maxUses: 5, expiresAt: new Date(T0 + 7_200_000).toISOString(), labels: { ring: 'first' } } }),
      ]);
      expect(audit.body).not.toContain(created.token);
    });

    it('defaults to one use for one hour', async () => {
      const res = await call('POST', '/api/v1/enrollment-tokens', { token: tokens.admin, body: {} });
      expect(res.statusCode).toBe(201);
      secrets.push((res.json() as { token: string }).token);
      expect(res.json()).toMatchObject({ maxUses: 1, labels: {}, description: '', expiresAt: new Date(T0 + 3_600_000).toISOString() });
    });

    it('answers 404 PF_ERR_NOT_FOUND when revoking an unknown token, and audits nothing', async () => {
      expectError(await call('POST', '/api/v1/enrollment-tokens/et_unknown/revoke', { token: tokens.admin }), 404, 'PF_ERR_NOT_FOUND');
      expect((await auditRows()).filter((r) => r.targetId === 'et_unknown')).toEqual([]);
    });

    it('pages the audit log newest first with before', async () => {
      await createEnrollToken();
      await createEnrollToken();
      const first = (await call('GET', '/api/v1/audit?limit=2', { token: tokens.admin })).json() as { items: { id: number }[] };
      expect(first.items).toHaveLength(2);
      expect(first.items[0]!.id).toBeGreaterThan(first.items[1]!.id);
      const next = (await call('GET', `/api/v1/audit?limit=2&before=${first.items[1]!.id}`, { token: tokens.admin })).json() as { items: { id: number }[] };
      expect(next.items[0]!.id).toBeLessThan(first.items[1]!.id);
    });
  });

  describe('agent enrollment', () => {
    it('enrolls with a good token and returns the agent id, command key, labels and ws path', async () => {
      const { token } = await createEnrollToken({ labels: { ring: 'test' } });
      const res = await enroll(token, 'enroll-good');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ agentId: expect.stringMatching(/^[0-9a-f-]{36}$/), commandKey: ctx.commandPublicKey, heartbeatSec: ctx.config.heartbeatSec, labels: { ring: 'test' }, wsPath: '/api/v1/agent/ws' });
      const { agentId } = res.json() as { agentId: string };
      const host = await call('GET', `/api/v1/hosts/${agentId}`, { token: tokens.helpdesk });
      expect(host.json()).toMatchObject({ id: agentId, hostname: 'enroll-good', labels: { ring: 'test' }, online: false, lastSeq: 0 });
    });

    it('refuses an unknown token with 401 and audits the refusal without the token', async () => {
      const bogus = 'pfe_this-token-was-never-issued-by-anyone';
      const res = await enroll(bogus, 'enroll-bad');
      const error = expectError(res, 401, 'PF_ERR_ENROLL_TOKEN_INVALID');
      const refused = (await refusalRows('agent.enroll.refused')).filter((r) => requestIdsOf(r).includes(error.requestId));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ actor: 'anonymous', targetType: 'address', targetId: '127.0.0.1', details: { count: 1, codes: { PF_ERR_ENROLL_TOKEN_INVALID: 1 }, hostnames: ['enroll-bad'] } });
      expect(JSON.stringify(refused[0])).not.toContain(bogus);
    });

    it('refuses an exhausted token with 401 PF_ERR_ENROLL_TOKEN_EXHAUSTED and audits it against the token', async () => {
      const { token, id } = await createEnrollToken({ uses: 1 });
      expect((await enroll(token, 'enroll-once')).statusCode).toBe(200);
      const error = expectError(await enroll(token, 'enroll-twice'), 401, 'PF_ERR_ENROLL_TOKEN_EXHAUSTED');
      const [row] = (await refusalRows('agent.enroll.refused')).filter((r) => requestIdsOf(r).includes(error.requestId));
      expect(row).toMatchObject({ targetType: 'address', details: { codes: { PF_ERR_ENROLL_TOKEN_EXHAUSTED: 1 }, tokenIds: [id], hostnames: ['enroll-twice'] } });
    });

    it('refuses revoked and expired tokens with their own codes', async () => {
      const revoked = await createEnrollToken({ uses: 3 });
      await call('POST', `/api/v1/enrollment-tokens/${revoked.id}/revoke`, { token: tokens.admin });
      expectError(await enroll(revoked.token, 'enroll-revoked'), 401, 'PF_ERR_ENROLL_TOKEN_REVOKED');

      const expiring = await createEnrollToken({ uses: 3, ttl: '1m' });
      clock.advance(61_000);
      expectError(await enroll(expiring.token, 'enroll-expired'), 401, 'PF_ERR_ENROLL_TOKEN_EXPIRED');
    });

    it('refuses a malformed request with 400 PF_ERR_VALIDATION', async () => {
      const { token } = await createEnrollToken();
      expectError(await call('POST', '/api/v1/agents/enroll', { body: { token, hostname: 'x', platform: 'linux', agentVersion: '1' } }), 400, 'PF_ERR_VALIDATION');
      const badKey = await call('POST', '/api/v1/agents/enroll', { body: { token, publicKey: 'A'.repeat(40), hostname: 'x', platform: 'linux', agentVersion: '1' } });
      expectError(badKey, 400, 'PF_ERR_VALIDATION');
      // the token was not used up by the refused requests
      expect((await enroll(token, 'enroll-after-bad')).statusCode).toBe(200);
    });

    it('audits 50 refused enrollments with NUL hostnames as one row per address and minute, and limits the rate', async () => {
      const from = '192.0.2.50';
      const attempt = (i: number) =>
        app.inject({ method: 'POST', url: '/api/v1/agents/enroll', remoteAddress: from, payload: { token: `pfe_guess-${i}-aaaaaaaaaaaa`, publicKey: nodeEd25519.generateKeyPair().publicKey, hostname: `evil\u0000host-${i % 3}`, platform: 'linux', agentVersion: '0.1.0' } });
      for (let i = 0; i < 50; i++) expect((await attempt(i)).statusCode).toBeGreaterThanOrEqual(400);
      // Nothing is written per attempt: an unauthenticated caller cannot grow the database.
      expect((await auditRows()).filter((r) => r.targetId === from)).toEqual([]);
      // Past enrollRatePerMin (60) the address gets 429 with Retry-After, counted in the same row.
      const statuses: number[] = [];
      for (let i = 50; i < 65; i++) {
        const res = await attempt(i);
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          expectError(res, 429, 'PF_ERR_RATE_LIMITED');
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        }
      }
      expect(statuses.slice(0, 10).every((s) => s !== 429)).toBe(true);
      expect(statuses.slice(10)).toEqual([429, 429, 429, 429, 429]);
      const rows = (await refusalRows('agent.enroll.refused')).filter((r) => r.targetId === from);
      expect(rows).toHaveLength(1);
      const details = rows[0]!.details as { count: number; codes: Record<string, number>; hostnames: string[]; window: { start: string; end: string } };
      expect(details.count).toBe(65);
      expect(details.codes.PF_ERR_RATE_LIMITED).toBe(5);
      expect(Object.values(details.codes).reduce((a, b) => a + b, 0)).toBe(65);
      // The NUL is stored escaped, never raw (jsonb refuses U+0000).
      expect(details.hostnames.sort()).toEqual(['evil\\x00host-0', 'evil\\x00host-1', 'evil\\x00host-2']);
      expect(Date.parse(details.window.end) - Date.parse(details.window.start)).toBe(60_000);
      expect(rows[0]!.actor).toBe('anonymous');
    });

    it('counts refused API tokens per address: past authFailuresPerMin the address gets 429 before any lookup, audited as one row', async () => {
      const from = '192.0.2.51';
      const get = (token: string) => app.inject({ method: 'GET', url: '/api/v1/hosts', remoteAddress: from, headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < ctx.config.authFailuresPerMin; i++) expectError(await get(`pfa_wrong-${i}`), 401, 'PF_ERR_UNAUTHORIZED');
      // Even a good token is refused from this address for the rest of the minute; other addresses are not affected.
      expectError(await get(tokens.admin), 429, 'PF_ERR_RATE_LIMITED');
      expect((await app.inject({ method: 'GET', url: '/api/v1/hosts', remoteAddress: '192.0.2.52', headers: { authorization: `Bearer ${tokens.admin}` } })).statusCode).toBe(200);
      const rows = (await refusalRows('api.request.refused')).filter((r) => r.targetId === from);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.details).toMatchObject({ count: ctx.config.authFailuresPerMin + 1, codes: { PF_ERR_UNAUTHORIZED: ctx.config.authFailuresPerMin, PF_ERR_RATE_LIMITED: 1 }, routes: ['GET /api/v1/hosts'] });
      expect(JSON.stringify(rows)).not.toContain(tokens.admin);
    });
  });

  describe('hosts', () => {
    let seq = 0;
    async function hostWith(hostname: string, ipv4: string[], serial = 'SN-X', extra: { users?: string[]; labels?: Record<string, string> } = {}): Promise<string> {
      const { token } = await createEnrollToken(extra.labels ? { labels: extra.labels } : {});
      const { agentId } = (await enroll(token, hostname)).json() as { agentId: string };
      const facts = sampleHost({
        hostname,
        fqdn: `${hostname}.corp.test`,
        hardware: { vendor: 'Dell Inc.', model: 'PowerEdge R650', serial },
        network: [{ iface: 'eth0', mac: '52:54:00:00:00:01', ipv4, ipv6: [], internal: false }],
        ...(extra.users ? { users: extra.users.map((user) => ({ user })) } : {}),
      });
      await applyReport(db, agentId, { seq: ++seq, kind: 'full', baseSeq: undefined, collectedAt: T0, host: facts, packages: samplePackages(3), removed: [], lastFrameId: 'f' }, new Date(clock.now()));
      return agentId;
    }

    type Page = { items: { id: string; hostname: string; addresses: string[]; packageCount: number }[]; total: number; limit: number; offset: number };
    const search = async (query: string): Promise<Page> => {
      const res = await call('GET', `/api/v1/hosts?${query}`, { token: tokens.helpdesk });
      expect(res.statusCode).toBe(200);
      return res.json() as Page;
    };

    let ids: Record<string, string>;
    beforeAll(async () => {
      ids = {
        a: await hostWith('srch-alpha-db', ['10.77.1.10'], 'SERIAL-AAA', { users: ['CORP\\Zelda.Quux', 'root'], labels: { site: 'lyon', role: 'db' } }),
        b: await hostWith('srch-beta-web', ['10.77.1.20', '192.168.5.5'], 'SN-X', { users: ['zed'], labels: { site: 'paris' } }),
        c: await hostWith('srch-gamma-web', ['10.78.0.1']),
        d: await hostWith('srch_delta', ['172.16.0.9']),
      };
    });

    it('finds hosts by hostname substring, case-insensitively, sorted by name', async () => {
      const page = await search('q=WEB');
      expect(page.items.map((h) => h.hostname)).toEqual(['srch-beta-web', 'srch-gamma-web']);
      expect(page.total).toBe(2);
      expect(page.items[0]).toMatchObject({ id: ids.b, packageCount: 3, addresses: ['10.77.1.20', '192.168.5.5'] });
    });

    it('finds hosts by address prefix and by exact address', async () => {
      expect((await search('q=10.77.1.')).items.map((h) => h.id)).toEqual([ids.a, ids.b]);
      expect((await search('q=192.168.5.5')).items.map((h) => h.id)).toEqual([ids.b]);
      expect((await search('q=10.78.')).items.map((h) => h.id)).toEqual([ids.c]);
    });

    it('finds hosts by serial, FQDN and id', async () => {
      expect((await search('q=serial-aaa')).items.map((h) => h.id)).toEqual([ids.a]);
      expect((await search('q=srch-gamma-web.corp')).items.map((h) => h.id)).toEqual([ids.c]);
      expect((await search(`q=${ids.d}`)).items.map((h) => h.id)).toEqual([ids.d]);
    });

    it('finds hosts by a logged-in user (prefix, also after a Windows domain) and by label (key=value or a value)', async () => {
      expect((await search('q=zelda')).items.map((h) => h.id)).toEqual([ids.a]);
      expect((await search('q=CORP%5Czelda')).items.map((h) => h.id)).toEqual([ids.a]);
      expect((await search('q=ze')).items.map((h) => h.id)).toEqual([ids.a, ids.b]);
      expect((await search('q=quux')).total).toBe(0);
      expect((await search('q=site%3Dlyon')).items.map((h) => h.id)).toEqual([ids.a]);
      expect((await search('q=site%3DLyon')).total).toBe(0);
      expect((await search('q=PARIS')).items.map((h) => h.id)).toEqual([ids.b]);
      expect((await search('q=role%3Dweb')).total).toBe(0);
      const page = await search('q=zelda');
      expect(page.items[0]).toMatchObject({ users: ['CORP\\Zelda.Quux', 'root'], labels: { site: 'lyon', role: 'db' } });
    });

    it('treats LIKE wildcards in the query literally', async () => {
      expect((await search('q=srch_')).items.map((h) => h.id)).toEqual([ids.d]);
      expect((await search('q=%25')).total).toBe(0);
    });

    it('pages with limit and offset and reports the total', async () => {
      const first = await search('q=srch&limit=3');
      expect(first).toMatchObject({ total: 4, limit: 3, offset: 0 });
      expect(first.items.map((h) => h.hostname)).toEqual(['srch-alpha-db', 'srch-beta-web', 'srch-gamma-web']);
      const second = await search('q=srch&limit=3&offset=3');
      expect(second).toMatchObject({ total: 4, limit: 3, offset: 3 });
      expect(second.items.map((h) => h.hostname)).toEqual(['srch_delta']);
      expect((await search('q=srch&offset=10')).items).toEqual([]);
    });

    it('lists every host without a query', async () => {
      const page = await search('limit=500');
      expect(page.total).toBeGreaterThanOrEqual(4);
      expect(page.items.length).toBe(page.total);
      expect(page.limit).toBe(500);
    });

    it('shows one host with its facts, and answers 404 PF_ERR_NOT_FOUND for an unknown id', async () => {
      const res = await call('GET', `/api/v1/hosts/${ids.a}`, { token: tokens.helpdesk });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        id: ids.a,
        hostname: 'srch-alpha-db',
        fqdn: 'srch-alpha-db.corp.test',
        os: { platform: 'linux', id: 'ubuntu', version: '24.04' },
        hardware: { vendor: 'Dell Inc.', model: 'PowerEdge R650', serial: 'SERIAL-AAA' },
        facts: { hostname: 'srch-alpha-db' },
        packageCount: 3,
        sessions: [],
        online: false,
      });
      expectError(await call('GET', '/api/v1/hosts/00000000-0000-0000-0000-000000000000', { token: tokens.helpdesk }), 404, 'PF_ERR_NOT_FOUND');
    });

    it("lists a host's packages", async () => {
      const res = await call('GET', `/api/v1/hosts/${ids.b}/packages?q=pkg-00001`, { token: tokens.helpdesk });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ total: 1, items: [{ name: 'pkg-00001', manager: 'dpkg' }] });
      expectError(await call('GET', '/api/v1/hosts/nope/packages', { token: tokens.helpdesk }), 404, 'PF_ERR_NOT_FOUND');
    });
  });

  it('never writes a secret (API or enrollment token, or its hash) into the audit log', async () => {
    // Exercise every audited path once more here so this check stands on its own.
    const { token, id } = await createEnrollToken({ uses: 1 });
    await enroll(token, 'secret-check');
    await enroll(token, 'secret-check-2'); // refused: exhausted
    await enroll(`${token}x`, 'secret-check-3'); // refused: unknown
    await call('POST', `/api/v1/enrollment-tokens/${id}/revoke`, { token: tokens.admin });

    await refusals.flush({ all: true });
    const rows = await auditRows();
    const actions = new Set(rows.map((r) => r.action));
    expect([...actions]).toEqual(expect.arrayContaining(['enroll-token.create', 'enroll-token.revoke', 'agent.enroll', 'agent.enroll.refused']));
    const text = JSON.stringify(rows);
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of new Set(secrets)) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(hashToken(secret));
      expect(text).not.toContain(secret.slice(4, 24)); // not even a fragment of the random part
    }
  });
});
