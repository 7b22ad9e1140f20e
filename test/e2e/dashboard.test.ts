/**
 * The web dashboard in a real browser (Debian's Chromium through
 * playwright-core) against a real controller process: people of each role
 * sign in through the sign-in form; the help desk finds a host by its IP
 * address and reads its missing patches, sees no admin pages or buttons and
 * has a direct write refused; an operator pauses a rollout; an admin edits a
 * ring's maintenance window. Every page is checked with axe-core (serious or
 * critical violations fail) and photographed into test-artifacts/screenshots/.
 * People are made through the API with the bootstrap admin token; the first
 * admin signs in with the password the controller wrote to bootstrap.json.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makeFrame } from '@patchfleet/shared';
import { agentSession, ubuntuPackages } from '../support/agent-session';
import { api, type Bootstrap } from '../support/api';
import { checkPage, startDashboardController, type DashboardController, signInThroughForm } from '../support/dashboard-e2e';
import { launchChromium, newPersonContext } from '../support/browser';
import { sampleHost } from '../support/inventory';
import { runCli, waitFor, type ControllerProcess } from '../support/processes';
import type { RawClient } from '../support/ws-client';

const HOST_IP = '10.61.7.42';
const HOSTNAME = 'dash-web-1';
/** People made through the API; the admin's first sign-in uses the bootstrap password when the controller writes one. */
const PEOPLE = {
  helpdesk: { name: 'helen-helpdesk', role: 'helpdesk', password: 'helpdesk-pass-7c1e9a42' },
  operator: { name: 'oscar-operator', role: 'operator', password: 'operator-pass-3b8d0f17' },
  admin: { name: 'ada-admin', role: 'admin', password: 'admin-pass-91f2c6d8e0' },
  /** Only ever given wrong passwords, until locked out. */
  locked: { name: 'lena-locked', role: 'helpdesk', password: 'never-typed-5d2e8b' },
} as const;

let dir: string;
let dash: DashboardController | undefined;
let controller: ControllerProcess;
let boot: Bootstrap & { adminUser?: string; adminPassword?: string };
let agent: { c: RawClient; agentId: string };
let browser: Browser;
let rolloutId: string;

/** Checks the page with axe-core and keeps a screenshot of it. */
async function check(page: Page, name: string): Promise<void> {
  await checkPage(page, name);
}

/** Signs in through the sign-in form and waits for the overview. */
async function signIn(page: Page, name: string, password: string): Promise<void> {
  await signInThroughForm(page, controller.url, name, password);
}

/** A fresh browser context (own cookies: one person's browser) and a page in it. */
async function openBrowser(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newPersonContext(browser);
  return { context, page: await context.newPage() };
}

// Skipped without Chromium on a developer's machine; under CI=true a missing browser fails instead.
describe('web dashboard in Chromium', () => {
  beforeAll(async () => {
    dash = await startDashboardController('pf-dashboard-e2e');
    ({ dir, controller, boot } = dash);

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

    // Ring Fast needs an approval, so the rollout page has a ring to approve.
    expect((await api(boot, 'PATCH', '/api/v1/rings/rg_fast', { approvalRequired: true })).status).toBe(200);
    const rollout = await api<{ id: string }>(boot, 'POST', '/api/v1/rollouts', { name: 'sudo fix', patches: ['USN-7604-1'] });
    expect(rollout.status, JSON.stringify(rollout.body)).toBe(201);
    rolloutId = rollout.body.id;

    for (const p of Object.values(PEOPLE)) {
      const made = await api(boot, 'POST', '/api/v1/users', p);
      expect(made.status, `create ${p.role} ${p.name}: ${JSON.stringify(made.body)}`).toBe(201);
    }
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    agent?.c.close();
    await dash?.close();
  });

  it('serves the sign-in page at /, accessible on a laptop and a phone, and refuses a wrong password', { timeout: 60_000 }, async () => {
    const { context, page } = await openBrowser();
    const res = await page.goto(`${controller.url}/hosts/${agent.agentId}`);
    expect(res?.status(), 'the dashboard is built (pnpm build)').toBe(200);
    await page.getByRole('heading', { name: 'Sign in to Patchfleet' }).waitFor();
    await check(page, 'sign-in');
    const alert = page.getByRole('alert');
    /** One wrong password through the form; the controller's status, once the form shows what it means. */
    const attempt = async (): Promise<number> => {
      await page.getByLabel('Name').fill(PEOPLE.locked.name);
      await page.getByLabel('Password').fill('not-the-password');
      const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/sign-in'));
      await page.getByRole('button', { name: 'Sign in' }).click();
      const status = (await answered).status();
      await expect.poll(() => alert.textContent()).toMatch(status === 429 ? /Too many attempts: sign-in is locked for a while/ : /do not match/);
      return status;
    };
    expect(await attempt()).toBe(401);
    await check(page, 'sign-in-refused');
    // The controller locks the account after repeated failures (429): the form says so.
    let status = 401;
    for (let i = 0; i < 8 && status === 401; i++) status = await attempt();
    expect(status).toBe(429);
    await check(page, 'sign-in-locked');
    await page.setViewportSize({ width: 390, height: 844 });
    await check(page, 'sign-in-phone');
    await context.close();
  });

  it('lets the help desk find a host by IP address and read its missing patches', { timeout: 90_000 }, async () => {
    const { context, page } = await openBrowser();
    await signIn(page, PEOPLE.helpdesk.name, PEOPLE.helpdesk.password);
    // The session is a cookie scripts cannot read, sent only over TLS and only to this site.
    const [cookie, ...others] = await context.cookies();
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({ name: 'pf_session', httpOnly: true, secure: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe('');
    await expect.poll(() => page.getByText('Hosts', { exact: true }).first().isVisible()).toBe(true);
    await check(page, 'overview-helpdesk');

    // By keyboard: the first Tab reaches the skip link, which leads past the navigation to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).toBe('Skip to content');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' }).press('Enter');
    await page.getByLabel('Find a host').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).toBe('main');
    await page.keyboard.press('Tab');
    await page.keyboard.type(HOST_IP);
    await page.keyboard.press('Enter');
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
    // Who is signed in to the host (sampleHost's user), for the caller on the phone.
    expect(await page.getByText('ops', { exact: true }).isVisible()).toBe(true);
    // Its ring and its timeline of changes (GET /hosts/{id}/overview): the enrollment, and the rollout that took it in.
    const state = page.getByRole('region', { name: 'Patch state' });
    await state.getByRole('link', { name: 'First', exact: true }).waitFor();
    expect(await state.textContent()).toMatch(/Ring First \(auto, since .+\)/);
    const timeline = page.getByRole('region', { name: 'Timeline' }).getByRole('list', { name: `Changes on ${HOSTNAME}, newest first` });
    await timeline.waitFor();
    const changes = await timeline.getByRole('listitem').allTextContents();
    expect(changes.at(-1), 'the oldest change is its enrollment').toMatch(/agent\.enroll by enroll-token:/);
    expect(changes.join('\n')).toContain('taken into rollout sudo fix (ring First');
    // Each missing patch says why it has its priority, behind a disclosure the keyboard opens.
    const why = missing.getByRole('row').filter({ hasText: 'USN-7604-1' }).getByText('Why this priority');
    await why.focus();
    await page.keyboard.press('Enter');
    expect(await missing.getByRole('row').filter({ hasText: 'USN-7604-1' }).getByRole('listitem').first().isVisible()).toBe(true);
    expect(await page.getByRole('table', { name: /in rollouts/ }).getByRole('link', { name: 'sudo fix' }).isVisible()).toBe(true);
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
    const { context, page } = await openBrowser();
    await signIn(page, PEOPLE.helpdesk.name, PEOPLE.helpdesk.password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Overview', 'Hosts', 'Patches', 'Rollouts', 'Rings', 'Freezes', 'Tokens']);

    for (const adminPage of ['audit', 'users']) {
      await page.goto(`${controller.url}/${adminPage}`);
      await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    }
    await check(page, 'users-refused-helpdesk');

    await page.goto(`${controller.url}/rollouts/${rolloutId}`);
    await page.getByRole('heading', { name: 'Rings' }).waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await check(page, 'rollout-helpdesk');

    await page.goto(`${controller.url}/rings/rg_first`);
    await page.getByText('Only admins change rings.').waitFor();
    expect(await page.getByRole('button', { name: 'Save windows' }).count()).toBe(0);

    // The same writes straight at the API with the session cookie: refused for the role with the CSRF token, for the token without it.
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
    expect(results.noCsrf).toEqual({ status: 403, code: 'PF_ERR_CSRF' });
    expect((await api<{ windows: unknown[] }>(boot, 'GET', '/api/v1/rings/rg_first')).body.windows).toEqual([]);
    expect((await api<{ state: string }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}`)).body.state).toBe('active');
    await context.close();
  });

  it('gives an operator pause and resume but not roll back', { timeout: 90_000 }, async () => {
    const { context, page } = await openBrowser();
    await signIn(page, PEOPLE.operator.name, PEOPLE.operator.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rollouts' }).click();
    await page.getByRole('link', { name: 'sudo fix' }).click();
    await page.getByRole('heading', { name: 'Steer this rollout' }).waitFor();
    expect(await page.getByRole('button', { name: 'Roll back' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    await check(page, 'rollout-operator');
    await page.getByLabel(/Reason/).fill('dashboard test: pause');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    expect((await api<{ state: string; stateReason: string }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}`)).body).toMatchObject({ state: 'paused', stateReason: 'dashboard test: pause' });
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect((await api<{ state: string }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}`)).body.state).toBe('active');
    await page.getByText('Hosts of this rollout').click();
    await page.getByRole('link', { name: agent.agentId }).waitFor();
    await check(page, 'rollout-hosts');
    await context.close();
  });

  it("lets an admin edit a ring's maintenance window and another admin finds it in the audit log", { timeout: 90_000 }, async () => {
    const { context, page } = await openBrowser();
    // The first admin signs in with the password the controller wrote to bootstrap.json.
    expect(boot.adminPassword, 'bootstrap.json holds the first admin password').toEqual(expect.any(String));
    await signIn(page, boot.adminUser ?? 'admin', boot.adminPassword as string);
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
    await page.getByRole('button', { name: 'Approve ring Fast' }).click();
    await expect.poll(async () => (await api<{ rings: { ring: string; approvals: { by: string[] } }[] }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}`)).body.rings.find((r) => r.ring === 'Fast')?.approvals.by).toEqual([boot.adminUser ?? 'admin']);
    await page.getByText(`(${boot.adminUser ?? 'admin'})`).first().waitFor();

    await page.getByRole('link', { name: /\(admin\)/ }).click();
    await page.getByRole('heading', { name: 'Change your password' }).waitFor();
    await check(page, 'account');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Patchfleet' }).waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status)).toBe(401);

    // Another admin, in the same browser, finds the change in the audit log under the first admin's name.
    await signIn(page, PEOPLE.admin.name, PEOPLE.admin.password);
    await nav.getByRole('link', { name: 'Audit' }).click();
    const row = page.getByRole('row').filter({ hasText: 'ring.update' }).first();
    await row.waitFor();
    expect(await row.textContent()).toContain(`user:${boot.adminUser ?? 'admin'}`);
    await check(page, 'audit');

    // Admins add people from the Users page.
    await nav.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('cell', { name: PEOPLE.helpdesk.name, exact: true }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('uma-new');
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    await page.getByLabel(/Initial password/).fill('uma-initial-pass-4410');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('Added uma-new as operator.').waitFor();
    await page.getByRole('cell', { name: 'uma-new', exact: true }).waitFor();
    await check(page, 'users');
    const listed = await api<{ items: { name: string; role: string }[] }>(boot, 'GET', '/api/v1/users');
    expect(listed.body.items.find((u) => u.name === 'uma-new')).toMatchObject({ role: 'operator' });
    await context.close();
  });
});
