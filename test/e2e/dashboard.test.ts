/**
 * The web dashboard in a real browser (Debian's Chromium through
 * playwright-core) against a real controller process: people of each role
 * sign in through the sign-in form; the help desk finds a host by its IP
 * address and reads its missing patches, sees no admin pages or buttons and
 * has a direct write refused; an operator pauses a rollout; an admin edits a
 * ring's maintenance window. Every page is checked with axe-core (serious or
 * critical violations fail) and photographed into test-artifacts/screenshots/.
 *
 * Sign-in needs the controller's cookie sessions (/api/v1/auth/...). Against
 * a controller without them the browser stands in for those four routes
 * (standInSessions) and sends an API token of the person's role instead of
 * the cookie: the form, the pages, the buttons shown and the API's refusals
 * are then still the real ones, the session and CSRF checks are not.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makeFrame } from '@patchfleet/shared';
import { ADVISORIES } from '../support/advisories';
import { agentSession, ubuntuPackages } from '../support/agent-session';
import { api, type Bootstrap } from '../support/api';
import { chromiumAvailable, launchChromium, newPersonContext, screenshot, seriousViolations } from '../support/browser';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { sampleHost } from '../support/inventory';
import { runCli, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';
import type { RawClient } from '../support/ws-client';

const HOST_IP = '10.61.7.42';
const HOSTNAME = 'dash-web-1';
/** People made through the API; the admin's first sign-in uses the bootstrap password when the controller writes one. */
const PEOPLE = {
  helpdesk: { name: 'helen-helpdesk', role: 'helpdesk', password: 'helpdesk-pass-7c1e9a42' },
  operator: { name: 'oscar-operator', role: 'operator', password: 'operator-pass-3b8d0f17' },
  admin: { name: 'ada-admin', role: 'admin', password: 'admin-pass-91f2c6d8e0' },
} as const;

let dir: string;
let dropDb: () => Promise<void>;
let controller: ControllerProcess;
let boot: Bootstrap & { adminPassword?: string };
let agent: { c: RawClient; agentId: string };
let browser: Browser;
/** Whether this controller has cookie sessions (GET /api/v1/auth/me is a route). */
let sessions = false;
/** Without sessions: an API token per person, for the stand-in. */
const tokens = new Map<string, string>();
let rolloutId: string;

type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

/**
 * For a controller without /api/v1/auth: answers those routes in the browser
 * for `person` and puts the person's API token on every request, so the
 * dashboard runs against the real API with that role.
 */
async function standInSessions(context: BrowserContext, person: Person): Promise<void> {
  let signedIn = false;
  const body = () => JSON.stringify({ user: { id: `stand-in-${person.role}`, name: person.name, role: person.role }, csrfToken: 'stand-in' });
  const refused = JSON.stringify({ error: { code: 'PF_ERR_UNAUTHORIZED', message: 'not signed in', requestId: 'stand-in', retryable: false } });
  await context.setExtraHTTPHeaders({ authorization: `Bearer ${tokens.get(person.name)}` });
  await context.route('**/api/v1/auth/**', async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path.endsWith('/sign-in')) {
      const { name, password } = route.request().postDataJSON() as { name: string; password: string };
      signedIn = name === person.name && password === person.password;
    } else if (path.endsWith('/sign-out')) signedIn = false;
    await route.fulfill({ status: signedIn ? 200 : 401, contentType: 'application/json', body: signedIn ? body() : refused });
  });
}

/** A fresh browser context (own cookies) for one person, and a page in it. */
async function openAs(person: Person): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newPersonContext(browser);
  if (!sessions) await standInSessions(context, person);
  return { context, page: await context.newPage() };
}

/** Checks the page with axe-core and keeps a screenshot of it. */
async function check(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await screenshot(page, name);
  expect(await seriousViolations(page), `axe-core on ${name}`).toEqual([]);
}

async function signIn(page: Page, name: string, password: string): Promise<void> {
  await page.goto(`${controller.url}/`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-dashboard-e2e-'));
  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  const dataDir = join(dir, 'controller');
  if (db.url === undefined) await seedPgliteDataDir(dataDir);
  const imported = await runCli('controller', ['catalog', 'import', ...(db.url ? ['--database-url', db.url] : ['--data-dir', dataDir]), '--usn-osv', join(ADVISORIES, 'usn')], { timeoutMs: 120_000 });
  expect(imported.code, imported.stderr).toBe(0);
  controller = await startControllerProcess({ dataDir, databaseUrl: db.url });
  boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap & { adminPassword?: string };

  // One Ubuntu host with a known address and two missing USNs.
  const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
  const stateDir = join(dir, 'agent');
  const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  agent = await agentSession(boot, stateDir);
  const host = sampleHost({ hostname: HOSTNAME, fqdn: `${HOSTNAME}.corp.test`, network: [{ iface: 'eth0', mac: '52:54:00:61:07:42', ipv4: [HOST_IP], ipv6: [], internal: false }] });
  const packages = ubuntuPackages();
  agent.c.send(makeFrame('inventory', { seq: 1, kind: 'full', part: 0, parts: 1, packageCount: packages.length, collectedAt: Date.now(), host, packages }, Date.now()));
  expect(await agent.c.next()).toMatchObject({ type: 'ack', seq: 1 });
  await waitFor(async () => ((await api<{ missing?: unknown[] }>(boot, 'GET', `/api/v1/hosts/${agent.agentId}/patches`)).body.missing?.length ?? 0) > 0, 'the host to be assessed', 30_000);

  const rollout = await api<{ id: string }>(boot, 'POST', '/api/v1/rollouts', { name: 'sudo fix', patches: ['USN-7604-1'] });
  expect(rollout.status, JSON.stringify(rollout.body)).toBe(201);
  rolloutId = rollout.body.id;

  const me = await api<{ error?: { code: string } }>(boot, 'GET', '/api/v1/auth/me', undefined, '');
  sessions = !(me.status === 404 && me.body.error?.code === 'PF_ERR_ROUTE_NOT_FOUND');
  for (const p of Object.values(PEOPLE)) {
    if (sessions) {
      const made = await api(boot, 'POST', '/api/v1/users', p);
      expect(made.status, `create ${p.role} ${p.name}: ${JSON.stringify(made.body)}`).toBeLessThan(300);
    } else {
      const made = await api<{ token: string }>(boot, 'POST', '/api/v1/api-tokens', { name: `${p.name}-dashboard`, role: p.role, person: p.name });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      tokens.set(p.name, made.body.token);
    }
  }
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  agent?.c.close();
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!chromiumAvailable() && !process.env.CI)('web dashboard in Chromium', () => {
  it('serves the sign-in page at /, accessible on a laptop and a phone, and refuses a wrong password', { timeout: 60_000 }, async () => {
    const { context, page } = await openAs(PEOPLE.helpdesk);
    const res = await page.goto(`${controller.url}/hosts/${agent.agentId}`);
    expect(res?.status(), 'the dashboard is built (pnpm build)').toBe(200);
    await page.getByRole('heading', { name: 'Sign in to Patchfleet' }).waitFor();
    await check(page, 'sign-in');
    await page.getByLabel('Name').fill(PEOPLE.helpdesk.name);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/do not match/);
    await check(page, 'sign-in-refused');
    await page.setViewportSize({ width: 390, height: 844 });
    await check(page, 'sign-in-phone');
    await context.close();
  });

  it('lets the help desk find a host by IP address and read its missing patches', { timeout: 90_000 }, async () => {
    const { context, page } = await openAs(PEOPLE.helpdesk);
    await signIn(page, PEOPLE.helpdesk.name, PEOPLE.helpdesk.password);
    await expect.poll(() => page.getByText('Hosts', { exact: true }).first().isVisible()).toBe(true);
    await check(page, 'overview-helpdesk');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' }).click();
    await page.getByLabel('Find a host').fill(HOST_IP);
    await page.getByLabel('Find a host').press('Enter');
    await page.getByRole('heading', { name: `1 host matching “${HOST_IP}”` }).waitFor();
    expect(page.url()).toContain(`/hosts?q=${encodeURIComponent(HOST_IP)}`);
    await check(page, 'hosts-search');

    await page.getByRole('link', { name: HOSTNAME }).click();
    await page.getByRole('heading', { name: HOSTNAME, level: 1 }).waitFor();
    const missing = page.getByRole('table', { name: /Missing patches/ });
    await missing.waitFor();
    const rows = await missing.getByRole('row').allTextContents();
    expect(rows.join('\n')).toContain('USN-7604-1');
    expect(rows.join('\n')).toContain('USN-6756-1');
    expect(await page.getByText(HOST_IP).first().isVisible()).toBe(true);
    await check(page, 'host');
    await page.setViewportSize({ width: 390, height: 844 });
    await check(page, 'host-phone');

    await page.getByRole('link', { name: 'USN-7604-1' }).click();
    await page.getByRole('heading', { name: 'Hosts missing it' }).waitFor();
    await page.setViewportSize({ width: 1280, height: 860 });
    await check(page, 'patch');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patches' }).click();
    await page.getByRole('link', { name: 'USN-7604-1' }).waitFor();
    await check(page, 'patches');
    await context.close();
  });

  it('shows the help desk no admin pages or buttons, and the API refuses its direct writes', { timeout: 90_000 }, async () => {
    const { context, page } = await openAs(PEOPLE.helpdesk);
    await signIn(page, PEOPLE.helpdesk.name, PEOPLE.helpdesk.password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Overview', 'Hosts', 'Patches', 'Rollouts', 'Rings']);

    await page.goto(`${controller.url}/audit`);
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await check(page, 'audit-refused-helpdesk');

    await page.goto(`${controller.url}/rollouts/${rolloutId}`);
    await page.getByRole('heading', { name: 'Rings' }).waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await check(page, 'rollout-helpdesk');

    await page.goto(`${controller.url}/rings/rg_first`);
    await page.getByText('Only admins change rings.').waitFor();
    expect(await page.getByRole('button', { name: 'Save windows' }).count()).toBe(0);

    // The same writes straight at the API, with the session cookie and its CSRF token: refused for the role.
    const results = await page.evaluate(async (rollout) => {
      const me = (await (await fetch('/api/v1/auth/me')).json()) as { csrfToken: string };
      const write = async (method: string, url: string, body: unknown, csrf = true) => {
        const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': me.csrfToken } : {}) }, body: JSON.stringify(body) });
        return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
      };
      return {
        ring: await write('PATCH', '/api/v1/rings/rg_first', { windows: [{ cron: '0 1 * * *', timeZone: 'UTC', durationMin: 60 }] }),
        pause: await write('POST', `/api/v1/rollouts/${rollout}/pause`, {}),
        noCsrf: await write('POST', `/api/v1/rollouts/${rollout}/pause`, {}, false),
      };
    }, rolloutId);
    expect(results.ring).toEqual({ status: 403, code: 'PF_ERR_FORBIDDEN' });
    expect(results.pause).toEqual({ status: 403, code: 'PF_ERR_FORBIDDEN' });
    expect(results.noCsrf.status).toBeGreaterThanOrEqual(400);
    expect((await api<{ windows: unknown[] }>(boot, 'GET', '/api/v1/rings/rg_first')).body.windows).toEqual([]);
    expect((await api<{ state: string }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}`)).body.state).toBe('active');
    await context.close();
  });

  it('gives an operator pause and resume but not roll back', { timeout: 90_000 }, async () => {
    const { context, page } = await openAs(PEOPLE.operator);
    await signIn(page, PEOPLE.operator.name, PEOPLE.operator.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rollouts' }).click();
    await page.getByRole('link', { name: 'sudo fix' }).click();
    await page.getByRole('heading', { name: 'Steer this rollout' }).waitFor();
    expect(await page.getByRole('button', { name: 'Roll back' }).count()).toBe(0);
    await check(page, 'rollout-operator');
    await page.getByLabel(/Reason/).fill('dashboard test: pause');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    expect((await api<{ state: string; stateReason: string }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}`)).body).toMatchObject({ state: 'paused', stateReason: 'dashboard test: pause' });
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect((await api<{ state: string }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}`)).body.state).toBe('active');
    await context.close();
  });

  it("lets an admin edit a ring's maintenance window and read the audit log", { timeout: 90_000 }, async () => {
    const { context, page } = await openAs(PEOPLE.admin);
    // The first admin signs in with the password the controller wrote to bootstrap.json, when it writes one.
    if (boot.adminPassword) await signIn(page, 'admin', boot.adminPassword);
    else await signIn(page, PEOPLE.admin.name, PEOPLE.admin.password);
    await check(page, 'overview-admin');

    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Rings' }).click();
    await page.getByRole('link', { name: /^First/ }).waitFor();
    await check(page, 'rings');
    await page.getByRole('link', { name: /^First/ }).click();
    await page.getByRole('heading', { name: 'Maintenance windows' }).waitFor();
    await page.getByRole('button', { name: 'Add a window' }).click();
    await page.getByLabel('Starts (cron)').fill('0 3 * * 6');
    await page.getByLabel('Time zone').fill('Europe/Paris');
    await page.getByLabel('Length (minutes)').fill('180');
    await page.getByRole('button', { name: 'Save windows' }).click();
    await page.getByText('Saved: cron 0 3 * * 6, 3 h, Europe/Paris.').waitFor();
    await check(page, 'ring-edit');
    expect((await api<{ windows: unknown[] }>(boot, 'GET', '/api/v1/rings/rg_first')).body.windows).toEqual([{ cron: '0 3 * * 6', timeZone: 'Europe/Paris', durationMin: 180 }]);

    await nav.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByRole('link', { name: 'sudo fix' }).waitFor();
    await check(page, 'rollouts');
    await page.getByRole('link', { name: 'sudo fix' }).click();
    await page.getByRole('button', { name: 'Roll back' }).waitFor();
    await check(page, 'rollout-admin');

    await nav.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('cell', { name: 'ring.update' }).first().waitFor();
    await check(page, 'audit');

    await page.getByRole('link', { name: /\(admin\)/ }).click();
    await page.getByRole('heading', { name: 'Change your password' }).waitFor();
    await check(page, 'account');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Patchfleet' }).waitFor();
    expect((await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status))).toBe(401);
    await context.close();
  });
});
