/**
 * Input the database cannot take is refused with 400 PF_ERR_VALIDATION, not
 * 500, and changes nothing: a NUL (U+0000) in a description, a label, `q`
 * (hosts, packages, patches), the audit `action`, a host id or an enrollment
 * hostname; a bigint past 2^53 in the audit `before`; and, as a safety net
 * behind the schemas, PostgreSQL's own invalid-input errors. Real HTTP
 * requests to the app listening on 127.0.0.1, on PGlite or on PostgreSQL
 * (DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { ManualClock, nodeEd25519 } from '@patchfleet/shared';
import { openTestDatabase, type TestDatabase } from '@patchfleet/test/support/db';
import { sampleHost, samplePackages } from '@patchfleet/test/support/inventory';
import { buildApp } from '../app';
import { loadConfig } from '../config';
import type { ControllerContext } from '../context';
import type { Db } from '../db/index';
import { auditLog, enrollmentTokens, hosts, installedPackages } from '../db/schema/index';
import { applyReport } from '../inventory/inventory-store';
import { createApiToken } from '../keys/api-tokens';
import { createLogger } from '../logger';

const T0 = Date.parse('2026-11-23T12:00:00Z');

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; requestId: string; retryable: boolean } } & Record<string, unknown>;
}

describe('refusing input the database cannot store', () => {
  let tdb: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let base = '';
  let admin = '';
  let hostId = '';
  let enrollToken = '';
  const clock = new ManualClock(T0);

  async function call(method: 'GET' | 'POST', path: string, body?: unknown, token: string | undefined = admin): Promise<Answer> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  }

  /** What a refused request must leave alone. */
  async function snapshot() {
    const [tokens] = await db.select({ n: count() }).from(enrollmentTokens);
    const [hostRows] = await db.select({ n: count() }).from(hosts);
    const [audits] = await db.select({ n: count() }).from(auditLog);
    const [pkgs] = await db.select({ n: count() }).from(installedPackages);
    const [tok] = await db.select({ uses: enrollmentTokens.uses }).from(enrollmentTokens).where(eq(enrollmentTokens.id, enrollTokenId));
    const [host] = await db.select({ hostname: hosts.hostname, labels: hosts.labels }).from(hosts).where(eq(hosts.id, hostId));
    return { tokens: tokens?.n, hosts: hostRows?.n, audits: audits?.n, packages: pkgs?.n, uses: tok?.uses, host };
  }
  let enrollTokenId = '';

  async function expectRefused(method: 'GET' | 'POST', path: string, body?: unknown, token?: string): Promise<string> {
    const before = await snapshot();
    const res = await call(method, path, body, token ?? admin);
    expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 400, code: 'PF_ERR_VALIDATION' });
    expect(res.body.error?.retryable).toBe(false);
    expect(await snapshot()).toEqual(before);
    return res.body.error?.message ?? '';
  }

  beforeAll(async () => {
    tdb = await openTestDatabase();
    db = tdb.database.db;
    const ctx: ControllerContext = {
      config: loadConfig({ dataDir: tdb.dataDir }, {}),
      db,
      dbKind: tdb.database.kind,
      bus: tdb.database.bus,
      clock,
      log: createLogger({ level: 'silent' }),
      controllerId: 'ctl_test',
      commandPublicKey: nodeEd25519.generateKeyPair().publicKey,
    };
    app = await buildApp(ctx, { tls: undefined });
    // A route past every schema, so the database's own refusals reach the error handler (the safety net).
    app.get('/api/v1/test-only/cast', { config: { auth: 'public' } }, async (req) => {
      const { v, type } = req.query as { v: string; type: string };
      const value = Buffer.from(v, 'base64url').toString('utf8');
      if (type === 'bigint') await db.execute(sql`select ${value}::bigint`);
      else if (type === 'integer') await db.execute(sql`select ${value}::integer`);
      else if (type === 'date') await db.execute(sql`select ${value}::date`);
      else if (type === 'timestamptz') await db.execute(sql`select ${value}::timestamptz`);
      else await db.execute(sql`select ${value}::text`);
      return { ok: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    admin = (await createApiToken(db, 'admin', 'admin', new Date(T0))).token;

    const created = await call('POST', '/api/v1/enrollment-tokens', { uses: 5, labels: { site: 'paris' }, description: 'lab' });
    expect(created.status).toBe(201);
    enrollToken = String(created.body.token);
    enrollTokenId = String(created.body.id);
    const enrolled = await call('POST', '/api/v1/agents/enroll', { token: enrollToken, publicKey: nodeEd25519.generateKeyPair().publicKey, hostname: 'web-1', platform: 'linux', agentVersion: '0.1.0' }, undefined);
    expect(enrolled.status).toBe(200);
    hostId = String(enrolled.body.agentId);
    await applyReport(db, hostId, { seq: 1, kind: 'full', baseSeq: undefined, collectedAt: T0, host: sampleHost({ hostname: 'web-1' }), packages: samplePackages(3), removed: [], lastFrameId: 'f' }, new Date(T0));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await tdb?.cleanup();
  });

  it('refuses a NUL in an enrollment token description and in a label value or key', async () => {
    expect(await expectRefused('POST', '/api/v1/enrollment-tokens', { description: 'lab\u0000oratory' })).toMatch(/body: description must not contain NUL/);
    expect(await expectRefused('POST', '/api/v1/enrollment-tokens', { labels: { site: 'par\u0000is' } })).toMatch(/labels\.site/);
    await expectRefused('POST', '/api/v1/enrollment-tokens', { labels: { ['si\u0000te']: 'paris' } });
  });

  it('refuses a NUL in q when searching hosts, a host\'s packages and patches', async () => {
    await expectRefused('GET', '/api/v1/hosts?q=web%00');
    await expectRefused('GET', `/api/v1/hosts/${hostId}/packages?q=%00`);
    await expectRefused('GET', '/api/v1/patches?q=USN%00');
    // The same searches without the NUL work.
    expect((await call('GET', '/api/v1/hosts?q=web')).status).toBe(200);
    expect((await call('GET', '/api/v1/patches?q=USN')).status).toBe(200);
  });

  it('refuses a NUL in the audit action filter', async () => {
    expect(await expectRefused('GET', '/api/v1/audit?action=enroll%00')).toMatch(/querystring: action/);
    expect((await call('GET', '/api/v1/audit?action=agent.enroll')).status).toBe(200);
  });

  it('refuses a NUL in a host id in the path', async () => {
    expect(await expectRefused('GET', `/api/v1/hosts/${hostId.slice(0, 8)}%00`)).toMatch(/params: id/);
    await expectRefused('GET', '/api/v1/hosts/%00/packages');
    await expectRefused('GET', '/api/v1/hosts/%00/patches');
    expect((await call('GET', `/api/v1/hosts/${hostId}`)).status).toBe(200);
  });

  it('refuses a NUL in an enrollment hostname without using the token up', async () => {
    const body = { token: enrollToken, publicKey: nodeEd25519.generateKeyPair().publicKey, hostname: 'web-2\u0000', platform: 'linux', agentVersion: '0.1.0' };
    expect(await expectRefused('POST', '/api/v1/agents/enroll', body, '')).toMatch(/hostname/);
    await expectRefused('POST', '/api/v1/agents/enroll', { ...body, hostname: 'web-2', agentVersion: '\u0000' }, '');
  });

  it('refuses audit before past the largest exact integer (bigint overflow) and accepts it at the limit', async () => {
    await expectRefused('GET', '/api/v1/audit?before=9223372036854775808');
    await expectRefused('GET', '/api/v1/audit?before=9007199254740992');
    await expectRefused('GET', '/api/v1/audit?before=1e400');
    const atLimit = await call('GET', '/api/v1/audit?before=9007199254740991');
    expect(atLimit.status).toBe(200);
    expect((atLimit.body.items as unknown[]).length).toBeGreaterThan(0);
  });

  it('refuses out-of-range paging and numeric body fields with 400', async () => {
    await expectRefused('GET', '/api/v1/hosts?limit=9223372036854775808');
    await expectRefused('GET', '/api/v1/hosts?offset=-1');
    await expectRefused('GET', '/api/v1/patches?offset=99999999999999999999');
    await expectRefused('POST', '/api/v1/enrollment-tokens', { uses: 2 ** 63 });
  });

  it("maps PostgreSQL's invalid-input errors to 400 PF_ERR_VALIDATION (the safety net behind the schemas)", async () => {
    const cases: [string, string][] = [
      ['bigint', '9223372036854775808'], // 22003
      ['integer', 'twelve'], // 22P02
      ['date', '2026-02-30'], // 22008
      ['timestamptz', 'yesterday-ish'], // 22007
      ['text', 'xq\u0000zw'], // 22021 (postgres.js) / 22P05
    ];
    for (const [type, value] of cases) {
      const res = await call('GET', `/api/v1/test-only/cast?type=${type}&v=${Buffer.from(value).toString('base64url')}`, undefined, '');
      expect({ type, status: res.status, code: res.body.error?.code }).toEqual({ type, status: 400, code: 'PF_ERR_VALIDATION' });
      // Our words, never the query or its parameters.
      expect(res.body.error?.message).toMatch(/^request refused by the database: /);
      expect(res.body.error?.message).not.toContain(value.replace('\u0000', ''));
    }
    expect((await call('GET', `/api/v1/test-only/cast?type=bigint&v=${Buffer.from('42').toString('base64url')}`, undefined, '')).status).toBe(200);
  });
});
