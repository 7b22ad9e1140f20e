/**
 * API tokens through the routes: signed-in users mint, list and revoke their
 * own; admins see and revoke everyone's and mint for service accounts. Every
 * refusal carries its stable code, and no secret or hash leaves the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { ManualClock } from '@patchfleet/shared';
import { eq } from 'drizzle-orm';
import { apiTokens, auditLog, people } from '../../db/schema/index';
import { samePersonForApproval } from '../../keys/people';
import { errorOf, openRouteKit, roleTokens, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-12-01T09:00:00Z');
const DAY = 86_400_000;

interface Browser {
  cookie: string;
  csrf: string;
}

interface Minted {
  id: string;
  name: string;
  role: string;
  person: string;
  expiresAt: string;
  token: string;
}

interface Listed {
  id: string;
  person: string;
  role: string;
  owner: string;
  state: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

describe('API tokens: own tokens for everyone, all tokens for admins', () => {
  let kit: RouteKit;
  let clock: ManualClock;
  let tokens: Awaited<ReturnType<typeof roleTokens>>;
  let helen: Browser;
  let hugo: Browser;
  let ada: Browser;
  let alan: Browser;

  const browse = (b: Browser, method: 'GET' | 'POST' | 'PATCH', url: string, body?: Record<string, unknown>): Promise<LightMyRequestResponse> =>
    kit.app.inject({ method, url, headers: { cookie: b.cookie, 'x-csrf-token': b.csrf }, ...(body !== undefined ? { payload: body } : {}) });
  async function user(name: string, role: string): Promise<{ id: string; b: Browser }> {
    const password = `${name} has a long password`;
    const made = await kit.call('POST', '/api/v1/users', tokens.admin, { name, role, password });
    expect(made.statusCode, made.body).toBe(201);
    const res = await kit.app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { name, password } });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = `pf_session=${res.cookies.find((c) => c.name === 'pf_session')?.value ?? ''}`;
    return { id: (made.json() as { id: string }).id, b: { cookie, csrf: (res.json() as { csrfToken: string }).csrfToken } };
  }
  const mint = async (b: Browser, body: Record<string, unknown>): Promise<Minted> => {
    const res = await browse(b, 'POST', '/api/v1/api-tokens', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const list = async (b: Browser, query = ''): Promise<Listed[]> => {
    const res = await browse(b, 'GET', `/api/v1/api-tokens${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: Listed[] }).items;
  };
  const audits = (action: string) => kit.db.select().from(auditLog).where(eq(auditLog.action, action));

  beforeAll(async () => {
    clock = new ManualClock(T0);
    kit = await openRouteKit(clock);
    tokens = await roleTokens(kit.db, new Date(T0));
    helen = (await user('helen', 'helpdesk')).b;
    hugo = (await user('hugo', 'helpdesk')).b;
    ada = (await user('ada', 'admin')).b;
    alan = (await user('alan', 'admin')).b;
  });
  afterAll(async () => kit.close());

  it('lets a help-desk user mint a help-desk token for herself that reads but cannot write, and audits it without the secret', async () => {
    const t = await mint(helen, { name: 'helen script', role: 'helpdesk', expires: '30d' });
    expect(t).toMatchObject({ name: 'helen script', role: 'helpdesk', person: 'helen' });
    expect(Date.parse(t.expiresAt)).toBe(T0 + 30 * DAY);
    expect(t.token).toMatch(/^pfa_/);
    expect((await kit.call('GET', '/api/v1/hosts', t.token)).statusCode).toBe(200);
    const write = await kit.call('POST', '/api/v1/users', t.token, { name: 'x', role: 'admin', password: 'a long enough password' });
    expect(write.statusCode).toBe(403);
    expect(errorOf(write).code).toBe('PF_ERR_FORBIDDEN');
    const [row] = await audits('api-token.create').then((rows) => rows.filter((r) => r.targetId === t.id));
    expect(row).toMatchObject({ actor: 'user:helen', details: { name: 'helen script', role: 'helpdesk', person: 'helen' } });
    const everything = JSON.stringify(await kit.db.select().from(auditLog));
    expect(everything).not.toContain(t.token);
    const [stored] = await kit.db.select().from(apiTokens).where(eq(apiTokens.id, t.id));
    expect(everything).not.toContain(stored!.tokenHash);
    // Neither the secret nor the hash is ever listed, to the owner or to an admin.
    for (const b of [helen, ada]) {
      const listed = JSON.stringify((await browse(b, 'GET', '/api/v1/api-tokens?include=all')).json());
      expect(listed).toContain(t.id);
      expect(listed).not.toContain(t.token);
      expect(listed).not.toContain(stored!.tokenHash);
    }
  });

  it('refuses a help-desk user an admin or operator token with PF_ERR_TOKEN_ROLE_TOO_HIGH, and mints nothing', async () => {
    const before = (await kit.db.select().from(apiTokens)).length;
    for (const role of ['admin', 'operator']) {
      const res = await browse(helen, 'POST', '/api/v1/api-tokens', { name: 'escalate', role });
      expect(res.statusCode).toBe(403);
      expect(errorOf(res).code).toBe('PF_ERR_TOKEN_ROLE_TOO_HIGH');
    }
    // The same through a help-desk token.
    const byToken = await kit.call('POST', '/api/v1/api-tokens', tokens.helpdesk, { name: 'escalate', role: 'admin' });
    expect(errorOf(byToken).code).toBe('PF_ERR_TOKEN_ROLE_TOO_HIGH');
    expect(await kit.db.select().from(apiTokens)).toHaveLength(before);
    expect((await audits('api-token.create')).some((r) => (r.details as { name: string }).name === 'escalate')).toBe(false);
  });

  it('needs an expiry of at most a year: never and 400 days are refused, 365 days is taken', async () => {
    for (const expires of ['never', '400d', '0']) {
      const res = await browse(helen, 'POST', '/api/v1/api-tokens', { name: 'long', role: 'helpdesk', expires });
      expect(res.statusCode, expires).toBe(400);
      expect(errorOf(res).code).toBe('PF_ERR_VALIDATION');
    }
    const year = await mint(helen, { name: 'yearly', role: 'helpdesk', expires: '365d' });
    expect(Date.parse(year.expiresAt)).toBe(T0 + 365 * DAY);
    const byDefault = await mint(helen, { name: 'default', role: 'helpdesk' });
    expect(Date.parse(byDefault.expiresAt)).toBe(T0 + 90 * DAY);
  });

  it("shows a non-admin only their own tokens, and refuses revoking another person's with PF_ERR_TOKEN_NOT_YOURS", async () => {
    const hugos = await mint(hugo, { name: 'hugo script', role: 'helpdesk' });
    const helens = await list(helen, '?mine=false&include=all');
    expect(helens.length).toBeGreaterThan(0);
    expect(new Set(helens.map((t) => t.person))).toEqual(new Set(['helen']));
    expect(helens.every((t) => t.owner === 'user')).toBe(true);
    const refused = await browse(helen, 'POST', `/api/v1/api-tokens/${hugos.id}/revoke`);
    expect(refused.statusCode).toBe(403);
    expect(errorOf(refused).code).toBe('PF_ERR_TOKEN_NOT_YOURS');
    // Nor an admin's token, nor through a token rather than a session.
    const adminToken = (await kit.call('GET', '/api/v1/api-tokens', tokens.admin)).json() as { items: Listed[] };
    const adminsId = adminToken.items.find((t) => t.person === 'admin')!.id;
    expect(errorOf(await kit.call('POST', `/api/v1/api-tokens/${adminsId}/revoke`, tokens.helpdesk)).code).toBe('PF_ERR_TOKEN_NOT_YOURS');
    expect((await kit.call('GET', '/api/v1/hosts', hugos.token)).statusCode).toBe(200);
    expect((await audits('api-token.revoke')).filter((r) => r.targetId === hugos.id)).toEqual([]);
  });

  it('lets a user revoke her own token (audited); it stops working and is listed as revoked', async () => {
    const t = await mint(helen, { name: 'short lived', role: 'helpdesk' });
    expect((await kit.call('GET', '/api/v1/hosts', t.token)).statusCode).toBe(200);
    const res = await browse(helen, 'POST', `/api/v1/api-tokens/${t.id}/revoke`);
    expect(res.json()).toEqual({ revoked: t.id });
    const after = await kit.call('GET', '/api/v1/hosts', t.token);
    expect(after.statusCode).toBe(401);
    expect(errorOf(after).message).toContain('revoked');
    expect((await audits('api-token.revoke')).filter((r) => r.targetId === t.id)).toMatchObject([{ actor: 'user:helen' }]);
    expect((await list(helen)).map((x) => x.id)).not.toContain(t.id);
    expect((await list(helen, '?include=all')).find((x) => x.id === t.id)).toMatchObject({ state: 'revoked', revokedAt: new Date(T0).toISOString() });
  });

  it("shows an admin everyone's tokens with owner, state and last use, and lets them revoke any", async () => {
    const hugos = await mint(hugo, { name: 'hugo second', role: 'helpdesk' });
    clock.advance(60_000);
    expect((await kit.call('GET', '/api/v1/hosts', hugos.token)).statusCode).toBe(200);
    const all = await list(ada);
    expect(new Set(all.map((t) => t.person))).toEqual(new Set(['admin', 'operator', 'helpdesk', 'helen', 'hugo']));
    expect(all.find((t) => t.id === hugos.id)).toMatchObject({ person: 'hugo', owner: 'user', state: 'live', lastUsedAt: new Date(T0 + 60_000).toISOString() });
    expect(all.find((t) => t.person === 'operator')).toMatchObject({ owner: 'service' });
    expect((await list(ada, '?mine=true')).map((t) => t.person)).toEqual([]);
    expect((await browse(ada, 'POST', `/api/v1/api-tokens/${hugos.id}/revoke`)).statusCode).toBe(200);
    expect((await kit.call('GET', '/api/v1/hosts', hugos.token)).statusCode).toBe(401);
    expect((await audits('api-token.revoke')).filter((r) => r.targetId === hugos.id)).toMatchObject([{ actor: 'user:ada' }]);
  });

  it('lets an admin user mint for a service account she registers; nobody else mints for it, and it never counts as a second person beside her', async () => {
    const bot = await mint(ada, { name: 'nightly', role: 'operator', person: 'backup-bot', expires: '180d' });
    expect(bot).toMatchObject({ person: 'backup-bot', role: 'operator' });
    const [botPerson] = await kit.db.select().from(people).where(eq(people.name, 'backup-bot'));
    const [adaPerson] = await kit.db.select().from(people).where(eq(people.name, 'ada'));
    expect(botPerson).toMatchObject({ role: null, registeredBy: adaPerson!.id });
    expect((await audits('person.register')).filter((r) => r.targetId === botPerson!.id)).toMatchObject([{ actor: 'user:ada', details: { name: 'backup-bot' } }]);
    // Ada mints a second one for it; another admin, a help-desk user, a token-only admin and a user's name are refused.
    expect((await mint(ada, { name: 'weekly', role: 'helpdesk', person: 'backup-bot' })).person).toBe('backup-bot');
    for (const [b, body] of [
      [alan, { name: 'steal', role: 'operator', person: 'backup-bot' }],
      [helen, { name: 'svc', role: 'helpdesk', person: 'desk-bot' }],
      [ada, { name: 'as-hugo', role: 'helpdesk', person: 'hugo' }],
    ] as const) {
      const res = await browse(b, 'POST', '/api/v1/api-tokens', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(403);
      expect(errorOf(res).code).toBe('PF_ERR_FORBIDDEN');
    }
    expect(errorOf(await kit.call('POST', '/api/v1/api-tokens', tokens.admin, { name: 'svc', role: 'helpdesk', person: 'other-bot' })).code).toBe('PF_ERR_FORBIDDEN');
    expect((await list(ada)).find((t) => t.id === bot.id)).toMatchObject({ person: 'backup-bot', owner: 'service' });
    expect(await samePersonForApproval(kit.db, adaPerson!.id, botPerson!.id)).toBe(true);
  });

  it("demotes a user's tokens with the user, and stops them while the user is disabled", async () => {
    const olga = await user('olga', 'operator');
    const t = await mint(olga.b, { name: 'olga ops', role: 'operator' });
    const whoAmI = async () => (await kit.call('GET', '/api/v1/auth/me', t.token)).json() as { user: { role: string } };
    expect((await whoAmI()).user.role).toBe('operator');
    expect((await kit.call('PATCH', `/api/v1/users/${olga.id}`, tokens.admin, { role: 'helpdesk' })).statusCode).toBe(200);
    expect((await whoAmI()).user.role).toBe('helpdesk');
    expect((await kit.call('PATCH', `/api/v1/users/${olga.id}`, tokens.admin, { disabled: true })).statusCode).toBe(200);
    const off = await kit.call('GET', '/api/v1/hosts', t.token);
    expect(off.statusCode).toBe(401);
    expect(errorOf(off).message).toContain('disabled user');
  });
});
