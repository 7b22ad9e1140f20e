/**
 * The dashboard's single sign-on and Tokens page in a real browser (Debian's
 * Chromium through playwright-core) against a real controller process set up
 * with PATCHFLEET_OIDC_* for a real OpenID Connect provider (oidc-provider
 * over HTTPS with its own self-signed certificate, as oidc.test.ts uses it).
 *
 * - OIDC sign-in: the sign-in page offers the provider; Chromium follows the
 *   link, signs in on the provider's own login and consent pages, and comes
 *   back signed in with the role its group maps to: an admin sees the admin
 *   pages, a help-desk user is shown "Not allowed" on them.
 * - Tokens: that help-desk user mints a token on the Tokens page (the secret
 *   shown once, copied with the copy button), reads hosts with it and has a
 *   write refused, then revokes it (after confirming) and it stops working.
 *   The admin sees the token under its owner.
 *
 * Both certificates are self-signed: the browser context ignores HTTPS errors
 * (newPersonContext), the controller trusts the provider through
 * PATCHFLEET_OIDC_CA_FILE, and the test's API client pins the controller.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestProvider, type TestProvider } from '@patchfleet/controller/src/oidc/test-provider.test-support';
import { api, type Bootstrap } from '../support/api';
import { checkPage } from '../support/dashboard-e2e';
import { launchChromium, newPersonContext, screenshot } from '../support/browser';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { freePort, startControllerProcess, type ControllerProcess } from '../support/processes';

const SSO_NAME = 'Example SSO';

let dir: string;
let dropDb: () => Promise<void>;
let idp: TestProvider;
let controller: ControllerProcess;
let boot: Bootstrap;
let browser: Browser;

/** Checks one of the dashboard's pages with axe-core and keeps a screenshot of it. */
async function check(page: Page, name: string): Promise<void> {
  await checkPage(page, name);
}

/**
 * Signs in as `login` through single sign-on, as a person would: the SSO link
 * on the sign-in page, the provider's login and consent pages (photographed,
 * not checked with axe: they are oidc-provider's, not ours), back to the overview.
 */
async function signOn(page: Page, login: string): Promise<void> {
  await page.goto(`${controller.url}/`);
  await page.getByRole('heading', { name: 'Sign in to Patchfleet' }).waitFor();
  const sso = page.getByRole('link', { name: `Sign in with ${SSO_NAME}` });
  await sso.waitFor();
  await check(page, `oidc-sign-in-${login}`);
  await sso.click();
  // The provider's development login page: any password goes, the login names the account.
  await page.waitForURL((u) => u.origin === idp.issuer);
  const loginBox = page.locator('input[name="login"]');
  await loginBox.waitFor();
  await screenshot(page, `oidc-provider-login-${login}`);
  await loginBox.fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  // Its consent page, then back to the controller's callback and on to the dashboard.
  const consent = page.locator('button[type="submit"]', { hasText: /continue/i });
  await consent.waitFor();
  await screenshot(page, `oidc-provider-consent-${login}`);
  await consent.click();
  await page.waitForURL((u) => u.origin === new URL(controller.url).origin);
  await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
}

async function openBrowser(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newPersonContext(browser);
  return { context, page: await context.newPage() };
}

describe('dashboard single sign-on and API tokens in Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pf-dashboard-oidc-'));
    const db = await createTestDatabaseUrl();
    dropDb = db.drop;
    const dataDir = join(dir, 'controller');
    if (db.url === undefined) await seedPgliteDataDir(dataDir);
    // The provider must know the callback URL before the controller runs: the controller gets a port chosen here.
    const port = await freePort();
    const origin = `https://127.0.0.1:${port}`;
    idp = await startTestProvider(`${origin}/api/v1/auth/oidc/callback`);
    idp.accounts.set('ivy', { groups: ['staff', 'pf-admins'] });
    idp.accounts.set('hal', { groups: ['staff', 'pf-helpdesk'] });
    writeFileSync(join(dir, 'idp-ca.pem'), idp.caPem);
    controller = await startControllerProcess({
      dataDir,
      databaseUrl: db.url,
      extraArgs: ['--port', String(port)],
      env: {
        PATCHFLEET_OIDC_ISSUER: idp.issuer,
        PATCHFLEET_OIDC_CLIENT_ID: idp.clientId,
        PATCHFLEET_OIDC_CLIENT_SECRET: idp.clientSecret,
        PATCHFLEET_OIDC_SCOPES: 'openid profile email groups',
        PATCHFLEET_OIDC_ROLE_MAP: 'pf-admins=admin,pf-ops=operator,pf-helpdesk=helpdesk',
        PATCHFLEET_OIDC_CA_FILE: join(dir, 'idp-ca.pem'),
        PATCHFLEET_OIDC_NAME: SSO_NAME,
      },
    });
    expect(controller.url).toBe(origin);
    boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await controller?.stop();
    await idp?.close();
    await dropDb?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('OIDC sign-in: an admin group comes back as an admin who can open the admin pages', { timeout: 120_000 }, async () => {
    const { context, page } = await openBrowser();
    await signOn(page, 'ivy');
    await expect.poll(() => page.locator('.who-name').textContent()).toBe('ivy (admin)');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Users' }).click();
    const users = page.getByRole('table');
    await users.waitFor();
    // The user single sign-on created, with its sign-in method.
    expect((await users.getByRole('row').filter({ hasText: 'ivy' }).textContent()) ?? '').toMatch(/admin/);
    await check(page, 'oidc-admin-users');
    // The session is the dashboard's own cookie, as with a password.
    const cookies = await context.cookies(controller.url);
    expect(cookies.find((c) => c.name === 'pf_session')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    await context.close();
  });

  it('OIDC sign-in: a help-desk group comes back as help desk, without the admin pages', { timeout: 120_000 }, async () => {
    const { context, page } = await openBrowser();
    await signOn(page, 'hal');
    await expect.poll(() => page.locator('.who-name').textContent()).toBe('hal (helpdesk)');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Hosts' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Audit' }).count()).toBe(0);
    await check(page, 'oidc-helpdesk-overview');
    await page.goto(`${controller.url}/users`);
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    expect(await page.getByText('This page needs the admin role; you are signed in as helpdesk.').isVisible()).toBe(true);
    await check(page, 'oidc-helpdesk-not-allowed');
    await context.close();
  });

  it('Tokens: a help-desk user mints a token that reads but cannot write, copies it once, revokes it, and it stops working', { timeout: 150_000 }, async () => {
    const { context, page } = await openBrowser();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: controller.url });
    await signOn(page, 'hal');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    await page.getByText('No tokens of yours yet.').waitFor();
    await check(page, 'tokens-helpdesk-empty');

    // Only roles up to her own are offered.
    const roles = await page.getByLabel('Role').locator('option').allTextContents();
    expect(roles).toEqual(['helpdesk']);
    expect(await page.getByLabel(/Service account/).count()).toBe(0);
    await page.getByLabel('What it is for').fill('hal laptop script');
    await page.getByLabel('Expires after').selectOption('7d');
    await page.getByRole('button', { name: 'Mint token' }).click();
    const secretBox = page.getByLabel('Secret of token hal laptop script');
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    expect(secret).toMatch(/^pfa_[A-Za-z0-9_-]{20,}$/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(secret);
    const row = page.getByRole('row').filter({ hasText: 'hal laptop script' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/helpdesk.*live/);
    await check(page, 'tokens-helpdesk-minted');
    // The secret is shown once: dismissed, it is gone from the page, and the list never carries it.
    await page.getByRole('button', { name: 'Done, hide the secret' }).click();
    expect(await page.getByLabel('Secret of token hal laptop script').count()).toBe(0);
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(secret);

    // The token works like curl would use it: reads are allowed, writes and a higher role refused.
    const read = await api<{ items: unknown[] }>(boot, 'GET', '/api/v1/hosts', undefined, secret);
    expect(read.status).toBe(200);
    expect(Array.isArray(read.body.items)).toBe(true);
    const write = await api<{ error: { code: string } }>(boot, 'POST', '/api/v1/enrollment-tokens', {}, secret);
    expect({ status: write.status, code: write.body.error.code }).toEqual({ status: 403, code: 'PF_ERR_FORBIDDEN' });
    const escalate = await api<{ error: { code: string } }>(boot, 'POST', '/api/v1/api-tokens', { name: 'hal admin', role: 'admin' }, secret);
    expect({ status: escalate.status, code: escalate.body.error.code }).toEqual({ status: 403, code: 'PF_ERR_TOKEN_ROLE_TOO_HIGH' });
    // Her list holds only her own token, not the bootstrap admin's.
    const own = await api<{ items: { person: string }[] }>(boot, 'GET', '/api/v1/api-tokens', undefined, secret);
    expect(own.body.items.map((t) => t.person)).toEqual(['hal']);

    // An admin sees it under its owner.
    const admin = await openBrowser();
    await signOn(admin.page, 'ivy');
    await admin.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).click();
    const halsRow = admin.page.getByRole('row').filter({ hasText: 'hal laptop script' });
    await halsRow.waitFor();
    expect(await halsRow.textContent()).toMatch(/hal.*helpdesk.*live/);
    expect(await admin.page.getByRole('row').filter({ hasText: 'bootstrap admin' }).count()).toBe(1);
    await check(admin.page, 'tokens-admin-all');
    await admin.context.close();

    // Revoking asks first; cancelling keeps the token.
    await row.getByRole('button', { name: 'Revoke hal laptop script' }).click();
    await row.getByRole('group', { name: 'Confirm revoking hal laptop script' }).waitFor();
    await check(page, 'tokens-helpdesk-confirm-revoke');
    await row.getByRole('button', { name: 'Cancel' }).click();
    expect((await api(boot, 'GET', '/api/v1/hosts', undefined, secret)).status).toBe(200);
    await row.getByRole('button', { name: 'Revoke hal laptop script' }).click();
    await row.getByRole('button', { name: 'Yes, revoke hal laptop script' }).click();
    await page.getByText('No tokens of yours yet.').waitFor();
    const after = await api<{ error: { code: string; message: string } }>(boot, 'GET', '/api/v1/hosts', undefined, secret);
    expect({ status: after.status, code: after.body.error.code }).toEqual({ status: 401, code: 'PF_ERR_UNAUTHORIZED' });
    expect(after.body.error.message).toContain('revoked');
    await page.getByLabel('Show revoked and expired tokens').check();
    const revokedRow = page.getByRole('row').filter({ hasText: 'hal laptop script' });
    await revokedRow.waitFor();
    expect(await revokedRow.textContent()).toContain('revoked');
    await check(page, 'tokens-helpdesk-revoked');
    // Both the mint and the revocation are in the audit log, by hal, without the secret.
    const audit = await api<{ items: { action: string; actor: string }[] }>(boot, 'GET', '/api/v1/audit?limit=200');
    expect(audit.body.items.filter((e) => e.action.startsWith('api-token.')).map((e) => `${e.action} ${e.actor}`)).toEqual(expect.arrayContaining(['api-token.create user:hal', 'api-token.revoke user:hal']));
    expect(JSON.stringify(audit.body)).not.toContain(secret);
    // Nor in the controller's logs.
    expect(controller.output()).toContain('api-tokens');
    expect(controller.output()).not.toContain(secret);
    await context.close();
  });
});
