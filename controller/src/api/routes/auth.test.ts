import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { ManualClock } from '@patchfleet/shared';
import { desc, eq } from 'drizzle-orm';
import { auditLog, people, userSessions } from '../../db/schema/index';
import { createBootstrapToken } from '../../keys/api-tokens';
import { FIRST_LOCK_SEC, FREE_FAILURES } from '../../keys/users';
import { SESSION_IDLE_SEC } from '../../keys/sessions';
import { errorOf, openRouteKit, roleTokens, type RouteKit } from './route-kit.test-support';

const T0 = Date.parse('2026-12-01T09:00:00Z');

/** A browser's view of a session: its cookie and CSRF token. */
interface Browser {
  cookie: string;
  csrf: string;
}

describe('accounts: sign-in sessions, CSRF, back-off, roles', () => {
  let kit: RouteKit;
  let clock: ManualClock;
  let tokens: Awaited<ReturnType<typeof roleTokens>>;

  const signIn = (name: string, password: string): Promise<LightMyRequestResponse> => kit.app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { name, password } });
  const browse = (b: Browser, method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, csrf = b.csrf): Promise<LightMyRequestResponse> =>
    kit.app.inject({ method, url, headers: { cookie: b.cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) }, ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}) });
  async function session(name: string, password: string): Promise<Browser> {
    const res = await signIn(name, password);
    expect(res.statusCode, res.body).toBe(200);
    const set = res.cookies.find((c) => c.name === 'pf_session');
    return { cookie: `pf_session=${set?.value ?? ''}`, csrf: (res.json() as { csrfToken: string }).csrfToken };
  }
  async function makeUser(name: string, role: string, password: string | null): Promise<string> {
    const res = await kit.call('POST', '/api/v1/users', tokens.admin, { name, role, password });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  }

  beforeAll(async () => {
    clock = new ManualClock(T0);
    kit = await openRouteKit(clock);
    tokens = await roleTokens(kit.db, new Date(T0));
  });
  afterAll(async () => kit.close());

  it('signs a user in with an HttpOnly, Secure, SameSite=Strict cookie and serves their role', async () => {
    await makeUser('hannah', 'helpdesk', 'correct horse battery');
    const res = await signIn('hannah', 'correct horse battery');
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'pf_session');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.value).toMatch(/^pfs_[A-Za-z0-9_-]{43}$/);
    const b: Browser = { cookie: `pf_session=${cookie?.value ?? ''}`, csrf: (res.json() as { csrfToken: string }).csrfToken };
    const me = await browse(b, 'GET', '/api/v1/auth/me');
    expect(me.json()).toMatchObject({ user: { name: 'hannah', role: 'helpdesk' }, via: 'session', csrfToken: b.csrf });
    expect((await browse(b, 'GET', '/api/v1/hosts')).statusCode).toBe(200);
    // A help-desk user may not read admin routes.
    const audit = await browse(b, 'GET', '/api/v1/audit');
    expect(audit.statusCode).toBe(403);
    expect(errorOf(audit).message).toContain('user hannah is helpdesk');
    // The session row keeps only the secret's hash.
    const rows = await kit.db.select().from(userSessions);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(cookie?.value ?? 'x');
  });

  it('refuses a signed-in write without the CSRF header, and takes it with', async () => {
    await makeUser('olga', 'operator', 'operator password 1');
    const b = await session('olga', 'operator password 1');
    const without = await browse(b, 'POST', '/api/v1/auth/password', { current: 'operator password 1', next: 'operator password 2' }, '');
    expect(without.statusCode).toBe(403);
    expect(errorOf(without).code).toBe('PF_ERR_CSRF');
    // One character changed (never to itself: a token ending in "A" made this "wrong" token the right one, 1 run in 64).
    const wrongToken = `${b.csrf.slice(0, -1)}${b.csrf.endsWith('A') ? 'B' : 'A'}`;
    expect(wrongToken).not.toBe(b.csrf);
    const wrong = await browse(b, 'POST', '/api/v1/auth/password', { current: 'operator password 1', next: 'operator password 2' }, wrongToken);
    expect(wrong.statusCode).toBe(403);
    expect(errorOf(wrong).code).toBe('PF_ERR_CSRF');
    const ok = await browse(b, 'POST', '/api/v1/auth/password', { current: 'operator password 1', next: 'operator password 2' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await signIn('olga', 'operator password 1')).statusCode).toBe(401);
    expect((await signIn('olga', 'operator password 2')).statusCode).toBe(200);
  });

  it('answers a wrong password and an unknown name alike, then backs off, and audits each attempt', async () => {
    await makeUser('bob', 'operator', 'bobs good password');
    const unknown = await signIn('nobody', 'whatever at all');
    const wrong = await signIn('bob', 'not his password');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(errorOf(unknown).message).toBe(errorOf(wrong).message);
    for (let i = 1; i < FREE_FAILURES; i++) expect((await signIn('bob', `wrong ${i} password`)).statusCode).toBe(401);
    // Locked now, even with the right password; Retry-After says for how long.
    const locked = await signIn('bob', 'bobs good password');
    expect(locked.statusCode).toBe(429);
    expect(errorOf(locked).code).toBe('PF_ERR_SIGN_IN_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBe(FIRST_LOCK_SEC);
    clock.advance(FIRST_LOCK_SEC * 1000 + 1);
    // One more failure after the lock doubles it.
    expect((await signIn('bob', 'still wrong password')).statusCode).toBe(401);
    const again = await signIn('bob', 'bobs good password');
    expect(Number(again.headers['retry-after'])).toBe(2 * FIRST_LOCK_SEC);
    clock.advance(2 * FIRST_LOCK_SEC * 1000 + 1);
    expect((await signIn('bob', 'bobs good password')).statusCode).toBe(200);
    const [bob] = await kit.db.select().from(people).where(eq(people.name, 'bob'));
    expect(bob).toMatchObject({ failedSignIns: 0, lockedUntil: null });
    const entries = await kit.db.select({ action: auditLog.action, details: auditLog.details }).from(auditLog).where(eq(auditLog.targetId, bob!.id)).orderBy(auditLog.id);
    const actions = entries.map((r) => r.action);
    const reasons = entries.filter((r) => r.action === 'auth.sign-in-failed').map((r) => (r.details as { reason: string }).reason);
    expect(reasons.filter((r) => r === 'bad-password')).toHaveLength(FREE_FAILURES + 1);
    expect(reasons.filter((r) => r === 'locked')).toHaveLength(2);
    expect(actions.filter((a) => a === 'auth.locked')).toHaveLength(2);
    expect(actions.at(-1)).toBe('auth.sign-in');
    const all = JSON.stringify(await kit.db.select().from(auditLog));
    expect(all).not.toContain('bobs good password');
    expect(all).not.toContain('scrypt$');
  });

  it('ends a session on sign-out and after inactivity', async () => {
    await makeUser('sam', 'helpdesk', 'sams long password');
    const b = await session('sam', 'sams long password');
    expect((await browse(b, 'POST', '/api/v1/auth/sign-out', {})).statusCode).toBe(200);
    const after = await browse(b, 'GET', '/api/v1/auth/me');
    expect(after.statusCode).toBe(401);
    expect(errorOf(after).message).toContain('signed out');
    const idle = await session('sam', 'sams long password');
    clock.advance(SESSION_IDLE_SEC * 1000 + 1000);
    expect(errorOf(await browse(idle, 'GET', '/api/v1/auth/me')).message).toContain('inactivity');
  });

  it('audits role changes, ends the sessions made under the old role, and keeps one admin', async () => {
    const id = await makeUser('ada', 'admin', 'ada admin password');
    const b = await session('ada', 'ada admin password');
    expect((await browse(b, 'GET', '/api/v1/users')).statusCode).toBe(200);
    const listed = JSON.stringify((await browse(b, 'GET', '/api/v1/users')).json());
    expect(listed).toContain('"name":"ada"');
    expect(listed).not.toContain('scrypt');
    // ada is the only admin user: she stays one until there is another.
    const only = await kit.call('PATCH', `/api/v1/users/${id}`, tokens.admin, { role: 'operator' });
    expect(only.statusCode).toBe(409);
    expect(errorOf(only).code).toBe('PF_ERR_LAST_ADMIN');
    const root = await makeUser('root', 'admin', 'root admin password');
    const demote = await kit.call('PATCH', `/api/v1/users/${id}`, tokens.admin, { role: 'operator' });
    expect(demote.json()).toMatchObject({ role: 'operator' });
    expect((await browse(b, 'GET', '/api/v1/auth/me')).statusCode).toBe(401);
    const [row] = await kit.db.select().from(auditLog).where(eq(auditLog.action, 'user.role-change')).orderBy(desc(auditLog.id)).limit(1);
    expect(row?.details).toMatchObject({ name: 'ada', from: 'admin', to: 'operator' });
    // root is now the last admin user: disabling root is refused.
    const last = await kit.call('PATCH', `/api/v1/users/${root}`, tokens.admin, { disabled: true });
    expect(last.statusCode).toBe(409);
    expect(errorOf(last).code).toBe('PF_ERR_LAST_ADMIN');
  });

  it('refuses weak passwords, taken names, and a token minted in a user account\'s name', async () => {
    const weak = await kit.call('POST', '/api/v1/users', tokens.admin, { name: 'wes', role: 'helpdesk', password: 'short' });
    expect(errorOf(weak).code).toBe('PF_ERR_WEAK_PASSWORD');
    const taken = await kit.call('POST', '/api/v1/users', tokens.admin, { name: 'HANNAH', role: 'helpdesk', password: 'another good password' });
    expect(errorOf(taken).code).toBe('PF_ERR_USER_NAME_TAKEN');
    const extra = await kit.call('POST', '/api/v1/users', tokens.admin, { name: 'eve', role: 'admin', password: 'eve admin password', isAdmin: true });
    expect(errorOf(extra).code).toBe('PF_ERR_VALIDATION');
    // Even the registrar (who may name token-only people) cannot mint a token that counts as another user.
    const registrar = await kit.db.transaction((tx) => createBootstrapToken(tx, new Date(clock.now())));
    const forged = await kit.call('POST', '/api/v1/api-tokens', registrar.token, { name: 'as hannah', role: 'helpdesk', person: 'hannah' });
    expect(forged.statusCode).toBe(403);
    expect(errorOf(forged).message).toContain('hannah is a user account');
    const service = await kit.call('POST', '/api/v1/api-tokens', registrar.token, { name: 'backup job', role: 'helpdesk', person: 'backup service' });
    expect(service.statusCode, service.body).toBe(201);
    // Only admins manage users.
    expect((await kit.call('GET', '/api/v1/users', tokens.operator)).statusCode).toBe(403);
  });
});
