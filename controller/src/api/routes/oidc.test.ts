/**
 * Single sign-on against a real OpenID Connect provider (oidc-provider over
 * HTTPS on 127.0.0.1, trusted through oidcCaFile), driven like a browser:
 * the controller's start route, the provider's login and consent pages, the
 * controller's callback; then the session it made, on real routes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { and, desc, eq } from 'drizzle-orm';
import { ManualClock } from '@patchfleet/shared';
import { auditLog, people, userSessions } from '../../db/schema/index';
import { signInWithOidc } from '../../keys/oidc';
import { OidcClient, oidcSettingsOf } from '../../oidc/client';
import { parseRoleMap } from '../../oidc/role-map';
import { browseToCallback, startTestProvider, type TestProvider } from '../../oidc/test-provider.test-support';
import { errorOf, openRouteKit, roleTokens, type RouteKit } from './route-kit.test-support';

const REDIRECT = 'https://pf.example.test/api/v1/auth/oidc/callback';
const ROLE_MAP = 'pf-admins=admin,pf-ops=operator,pf-helpdesk=helpdesk';

interface Browser {
  cookie: string;
  csrf: string;
}

describe('single sign-on (OIDC) with a real provider', () => {
  let idp: TestProvider;
  let kit: RouteKit;
  let dir: string;
  let tokens: Awaited<ReturnType<typeof roleTokens>>;
  let clock: ManualClock;
  // Each sign-on comes from its own address, so the per-address limits of the sign-on routes stay out of the way.
  let addressN = 10;

  /** The start of a sign-on: the provider URL and the flow cookie. */
  async function start(address: string): Promise<{ location: string; flow: string }> {
    const res = await kit.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start', remoteAddress: address });
    expect(res.statusCode, res.body).toBe(302);
    const flow = res.cookies.find((c) => c.name === 'pf_oidc');
    expect(flow).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/api/v1/auth/oidc' });
    return { location: String(res.headers.location), flow: flow!.value };
  }

  const callback = (back: URL, flow: string | undefined, address: string): Promise<LightMyRequestResponse> =>
    kit.app.inject({ method: 'GET', url: `${back.pathname}${back.search}`, remoteAddress: address, ...(flow !== undefined ? { cookies: { pf_oidc: flow } } : {}) });

  /** A whole sign-on as `login`: the callback's response. */
  async function signOn(login: string): Promise<LightMyRequestResponse> {
    const address = `192.0.2.${addressN++}`;
    const { location, flow } = await start(address);
    return callback(await browseToCallback(idp, location, login, REDIRECT), flow, address);
  }

  /** The browser after a successful sign-on: its session cookie and CSRF token. */
  async function signedIn(login: string): Promise<Browser> {
    const res = await signOn(login);
    expect(res.statusCode, res.body).toBe(302);
    expect(res.headers.location).toBe('/');
    const session = res.cookies.find((c) => c.name === 'pf_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    const cookie = `pf_session=${session!.value}`;
    const me = await kit.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } });
    return { cookie, csrf: (me.json() as { csrfToken: string }).csrfToken };
  }

  const browse = (b: Browser, method: 'GET' | 'POST' | 'PATCH', url: string, body?: Record<string, unknown>): Promise<LightMyRequestResponse> =>
    kit.app.inject({ method, url, headers: { cookie: b.cookie, 'x-csrf-token': b.csrf }, ...(body ? { payload: body } : {}) });

  const lastAudit = async (action: string) => (await kit.db.select().from(auditLog).where(eq(auditLog.action, action)).orderBy(desc(auditLog.id)).limit(1))[0];

  beforeAll(async () => {
    idp = await startTestProvider(REDIRECT);
    dir = mkdtempSync(join(tmpdir(), 'pf-oidc-'));
    writeFileSync(join(dir, 'idp-ca.pem'), idp.caPem);
    // The provider's tokens carry real time; so does this controller's clock, moved by hand only for its own timers.
    clock = new ManualClock(Date.now());
    kit = await openRouteKit(clock, {
      oidcIssuer: idp.issuer,
      oidcClientId: idp.clientId,
      oidcClientSecret: idp.clientSecret,
      oidcRedirectUrl: REDIRECT,
      oidcScopes: 'openid profile email groups',
      oidcRoleMap: ROLE_MAP,
      oidcCaFile: join(dir, 'idp-ca.pem'),
      oidcName: 'Example SSO',
    });
    tokens = await roleTokens(kit.db, new Date(clock.now()));
  });
  afterAll(async () => {
    await kit?.close();
    await idp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells the dashboard that single sign-on is there, and sends the browser to the provider with PKCE, state and nonce', async () => {
    expect((await kit.app.inject({ method: 'GET', url: '/api/v1/auth/oidc' })).json()).toEqual({ enabled: true, name: 'Example SSO' });
    const { location, flow } = await start('192.0.2.1');
    const url = new URL(location);
    expect(url.origin).toBe(idp.issuer);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ client_id: idp.clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge_method: 'S256', scope: 'openid profile email groups' });
    for (const p of ['state', 'nonce', 'code_challenge']) expect(url.searchParams.get(p)).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // The flow cookie is sealed: neither state nor verifier can be read from it.
    expect(flow).not.toContain(url.searchParams.get('state'));
  });

  it('gives a user with the admin group an admin session (method oidc) that works on admin routes, creating the user on first sign-in', async () => {
    idp.accounts.set('alice', { groups: ['staff', 'pf-admins'] });
    const alice = await signedIn('alice');
    const me = await browse(alice, 'GET', '/api/v1/auth/me');
    expect(me.json()).toMatchObject({ user: { name: 'alice', role: 'admin' }, via: 'session' });
    expect((await browse(alice, 'GET', '/api/v1/audit')).statusCode).toBe(200);
    // An admin write, with the session's CSRF token.
    const made = await browse(alice, 'POST', '/api/v1/users', { name: 'root', role: 'admin', password: 'root admin password' });
    expect(made.statusCode, made.body).toBe(201);
    const [row] = await kit.db.select().from(people).where(eq(people.name, 'alice'));
    expect(row).toMatchObject({ role: 'admin', oidcIssuer: idp.issuer, oidcSubject: 'alice', passwordHash: null });
    const sessions = await kit.db.select().from(userSessions).where(eq(userSessions.personId, row!.id));
    expect(sessions.map((s) => s.method)).toEqual(['oidc']);
    const [created] = await kit.db.select().from(auditLog).where(and(eq(auditLog.action, 'user.create'), eq(auditLog.targetId, row!.id)));
    expect(created).toMatchObject({ actor: `oidc:${idp.issuer}`, details: { name: 'alice', role: 'admin', signIn: 'oidc', firstSignIn: true } });
    expect((await lastAudit('auth.sign-in'))).toMatchObject({ actor: 'user:alice', targetId: row!.id, details: { method: 'oidc', issuer: idp.issuer } });
    const users = (await browse(alice, 'GET', '/api/v1/users')).json() as { items: Array<{ name: string; signIn: string[] }> };
    expect(users.items.find((u) => u.name === 'alice')?.signIn).toEqual(['oidc']);
  });

  it('refuses a user whose groups map to no role, with a clear error and an audit row, and creates nobody', async () => {
    idp.accounts.set('mallory', { groups: ['staff', 'PF-ADMINS'] });
    const res = await signOn('mallory');
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).code).toBe('PF_ERR_OIDC_NO_ROLE');
    expect(errorOf(res).message).toContain('groups claim (staff, PF-ADMINS) maps to no Patchfleet role');
    expect(res.cookies.find((c) => c.name === 'pf_session')).toBeUndefined();
    expect(await kit.db.select().from(people).where(eq(people.name, 'mallory'))).toEqual([]);
    expect((await lastAudit('auth.sign-in-failed'))?.details).toMatchObject({ method: 'oidc', reason: 'no-role', name: 'mallory', subject: 'mallory' });
  });

  it('applies a changed group at the next sign-in (audited as user.role-change), but never demotes the last admin', async () => {
    idp.accounts.set('bob', { groups: ['pf-admins'] });
    const bobAdmin = await signedIn('bob');
    expect((await browse(bobAdmin, 'GET', '/api/v1/audit')).statusCode).toBe(200);
    idp.accounts.set('bob', { groups: ['pf-ops', 'staff'] });
    const bobOperator = await signedIn('bob');
    expect((await browse(bobOperator, 'GET', '/api/v1/auth/me')).json()).toMatchObject({ user: { name: 'bob', role: 'operator' } });
    expect((await browse(bobOperator, 'GET', '/api/v1/audit')).statusCode).toBe(403);
    // The session made while bob was an admin ended with the change.
    expect((await browse(bobAdmin, 'GET', '/api/v1/auth/me')).statusCode).toBe(401);
    expect(await lastAudit('user.role-change')).toMatchObject({ actor: `oidc:${idp.issuer}`, details: { name: 'bob', from: 'admin', to: 'operator', via: 'oidc', claim: 'groups', sessionsEnded: 1 } });

    // The last admin who can sign in is kept: disable the other admins, then let the provider demote carol, the only one left.
    idp.accounts.set('carol', { groups: ['pf-admins'] });
    const carol = await signedIn('carol');
    for (const name of ['alice', 'root']) {
      const [p] = await kit.db.select({ id: people.id }).from(people).where(eq(people.name, name));
      const res = await browse(carol, 'PATCH', `/api/v1/users/${p!.id}`, { disabled: true });
      expect(res.statusCode, res.body).toBe(200);
    }
    idp.accounts.set('carol', { groups: ['pf-helpdesk'] });
    const demoted = await signOn('carol');
    expect(demoted.statusCode).toBe(409);
    expect(errorOf(demoted).code).toBe('PF_ERR_LAST_ADMIN');
    expect((await lastAudit('auth.sign-in-failed'))?.details).toMatchObject({ method: 'oidc', reason: 'last-admin', name: 'carol' });
    const [c] = await kit.db.select().from(people).where(eq(people.name, 'carol'));
    expect(c?.role).toBe('admin');
  });

  it('refuses a disabled user', async () => {
    // alice was disabled above; her groups still map to admin.
    const res = await signOn('alice');
    expect(res.statusCode).toBe(403);
    expect(errorOf(res)).toMatchObject({ code: 'PF_ERR_FORBIDDEN', message: 'user alice is disabled; an admin can enable the account' });
    expect((await lastAudit('auth.sign-in-failed'))?.details).toMatchObject({ method: 'oidc', reason: 'disabled', name: 'alice' });
  });

  it('refuses a tampered state, a tampered or missing flow cookie, and a replayed answer', async () => {
    idp.accounts.set('dave', { groups: ['pf-helpdesk'] });
    const address = '192.0.2.200';
    const { location, flow } = await start(address);
    const back = await browseToCallback(idp, location, 'dave', REDIRECT);
    const state = back.searchParams.get('state')!;

    const tampered = new URL(back);
    tampered.searchParams.set('state', `${state.slice(0, -2)}xy`);
    const badState = await callback(tampered, flow, address);
    expect(badState.statusCode).toBe(400);
    expect(errorOf(badState).code).toBe('PF_ERR_OIDC_FLOW');
    expect(errorOf(badState).message).toContain('state differs');
    expect((await lastAudit('auth.sign-in-failed'))?.details).toMatchObject({ method: 'oidc', reason: 'state-mismatch' });
    // The refusal clears the flow cookie too.
    expect(badState.cookies.find((c) => c.name === 'pf_oidc')?.value).toBe('');

    const flipped = `${flow.slice(0, 10)}${flow[10] === 'A' ? 'B' : 'A'}${flow.slice(11)}`;
    expect(errorOf(await callback(back, flipped, address))).toMatchObject({ code: 'PF_ERR_OIDC_FLOW', message: expect.stringContaining('not one this controller made') });
    expect(errorOf(await callback(back, undefined, address))).toMatchObject({ code: 'PF_ERR_OIDC_FLOW', message: expect.stringContaining('flow cookie is missing') });

    // The untouched answer still works once; the code cannot be redeemed twice.
    const ok = await callback(back, flow, address);
    expect(ok.statusCode, ok.body).toBe(302);
    const again = await callback(back, flow, address);
    expect(again.statusCode).toBe(400);
    expect((await lastAudit('auth.sign-in-failed'))?.details).toMatchObject({ method: 'oidc', reason: 'code-refused' });
    const reasons = (await kit.db.select({ d: auditLog.details }).from(auditLog).where(eq(auditLog.action, 'auth.sign-in-failed'))).map((r) => (r.d as { reason: string }).reason);
    expect(reasons).toEqual(expect.arrayContaining(['state-mismatch', 'bad-flow-cookie', 'no-flow-cookie', 'code-refused']));
    // Neither the client secret nor a code or token reaches the audit log.
    const all = JSON.stringify(await kit.db.select().from(auditLog));
    expect(all).not.toContain(idp.clientSecret);
    expect(all).not.toContain(back.searchParams.get('code'));
  });

  it('refuses a flow cookie older than ten minutes', async () => {
    const address = '192.0.2.201';
    const { location, flow } = await start(address);
    const back = await browseToCallback(idp, location, 'dave', REDIRECT);
    clock.advance(601_000);
    const res = await callback(back, flow, address);
    expect(errorOf(res)).toMatchObject({ code: 'PF_ERR_OIDC_FLOW', message: 'the sign-on took too long; start it again' });
  });

  it('links an OIDC-only account an admin made, and refuses unknown identities when users are not created', async () => {
    const [root] = await kit.db.select({ id: people.id }).from(people).where(eq(people.name, 'root'));
    await kit.call('PATCH', `/api/v1/users/${root!.id}`, tokens.admin, { disabled: false });
    const made = await kit.call('POST', '/api/v1/users', tokens.admin, { name: 'erin', role: 'helpdesk', password: null });
    expect(made.statusCode, made.body).toBe(201);
    const policy = { roleClaim: 'groups', roleMap: parseRoleMap(ROLE_MAP), createUsers: false, nameClaim: 'preferred_username' };
    const meta = { address: '192.0.2.9', userAgent: 'test' };
    const at = new Date(clock.now());
    const erin = await signInWithOidc(kit.db, { issuer: idp.issuer, subject: 'erin-sub', claims: { sub: 'erin-sub', preferred_username: 'erin', groups: ['pf-ops'] } }, policy, at, meta);
    expect(erin.user).toMatchObject({ id: (made.json() as { id: string }).id, name: 'erin', role: 'operator' });
    expect((await lastAudit('user.oidc-link'))?.details).toMatchObject({ name: 'erin', subject: 'erin-sub' });
    // A password user of the same name is never linked, and with oidcCreateUsers off nobody is created.
    const err = await signInWithOidc(kit.db, { issuer: idp.issuer, subject: 'other', claims: { sub: 'other', preferred_username: 'root', groups: ['pf-admins'] } }, policy, at, meta).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PF_ERR_OIDC_NO_USER' });
    // With creation on, the new user gets a free name beside the password user's.
    const created = await signInWithOidc(kit.db, { issuer: idp.issuer, subject: 'other', claims: { sub: 'other', preferred_username: 'root', groups: ['pf-helpdesk'] } }, { ...policy, createUsers: true }, at, meta);
    expect(created.user).toMatchObject({ name: 'root-2', role: 'helpdesk' });
    // Two first sign-ons of one identity at once (two tabs): one user, two sessions.
    const twice = await Promise.all([1, 2].map(() => signInWithOidc(kit.db, { issuer: idp.issuer, subject: 'gina', claims: { sub: 'gina', preferred_username: 'gina', groups: ['pf-ops'] } }, { ...policy, createUsers: true }, at, meta)));
    const [one, two] = twice;
    expect(one!.user.id).toBe(two!.user.id);
    expect(one!.session.id).not.toBe(two!.session.id);
    expect(await kit.db.select().from(people).where(eq(people.oidcSubject, 'gina'))).toHaveLength(1);
  });
});

describe('single sign-on with the groups only in userinfo', () => {
  let idp: TestProvider;
  let kit: RouteKit;
  let dir: string;
  beforeAll(async () => {
    idp = await startTestProvider(REDIRECT, 'userinfo');
    dir = mkdtempSync(join(tmpdir(), 'pf-oidc-'));
    writeFileSync(join(dir, 'idp-ca.pem'), idp.caPem);
    kit = await openRouteKit(new ManualClock(Date.now()), {
      oidcIssuer: idp.issuer,
      oidcClientId: idp.clientId,
      oidcClientSecret: idp.clientSecret,
      oidcRedirectUrl: REDIRECT,
      oidcScopes: 'openid groups',
      oidcRoleMap: ROLE_MAP,
      oidcCaFile: join(dir, 'idp-ca.pem'),
    });
  });
  afterAll(async () => {
    await kit?.close();
    await idp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the role claim from userinfo when the ID token lacks it, and names the user from the subject without a name claim', async () => {
    idp.accounts.set('frank', { groups: ['pf-ops'] });
    const start = await kit.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    const flow = start.cookies.find((c) => c.name === 'pf_oidc')!.value;
    const back = await browseToCallback(idp, String(start.headers.location), 'frank', REDIRECT);
    const res = await kit.app.inject({ method: 'GET', url: `${back.pathname}${back.search}`, cookies: { pf_oidc: flow } });
    expect(res.statusCode, res.body).toBe(302);
    const [frank] = await kit.db.select().from(people).where(eq(people.oidcSubject, 'frank'));
    // Only `openid groups` was asked for: no preferred_username or email, so the name comes from the subject.
    expect(frank).toMatchObject({ role: 'operator', name: expect.stringMatching(/^oidc-[0-9a-f]{12}$/) });
  });

  it('does not trust the provider without its CA: PF_ERR_OIDC_PROVIDER (502), and tries discovery again next time', async () => {
    const settings = oidcSettingsOf(kit.ctx.config)!;
    const client = new OidcClient({ ...settings, ca: undefined });
    const err = await client.start(Date.now()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PF_ERR_OIDC_PROVIDER', status: 502, message: expect.stringContaining('during discovery') });
    // The failure is not kept: once the CA is there (here: put in place), the next start discovers.
    client.settings.ca = idp.caPem;
    expect((await client.start(Date.now())).url).toContain(idp.issuer);
  });
});

describe('single sign-on not configured', () => {
  let kit: RouteKit;
  beforeAll(async () => {
    kit = await openRouteKit(new ManualClock(Date.now()));
  });
  afterAll(async () => kit.close());

  it('says so, and refuses to start', async () => {
    expect((await kit.call('GET', '/api/v1/auth/oidc', undefined)).json()).toEqual({ enabled: false, name: null });
    const res = await kit.call('GET', '/api/v1/auth/oidc/start', undefined);
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).code).toBe('PF_ERR_OIDC_DISABLED');
  });
});
