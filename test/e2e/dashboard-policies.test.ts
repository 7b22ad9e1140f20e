/**
 * The dashboard's policy pages in a real browser (Debian's Chromium through
 * playwright-core) against a real controller process: an admin edits a
 * ring's maintenance window and watches the preview of its next openings
 * follow, sets two-person approval and an assignment rule, adds and deletes a
 * change freeze, filters the audit log by who and what (the rows are exactly
 * the matching ones, and the filtered view is a shareable URL), reads the
 * feeds and adds and edits a health probe on the settings page. The help desk
 * sees rings, rules and freezes read-only, no audit or settings page, and has
 * its direct writes refused. Every page is checked with axe-core (serious or
 * critical violations fail) and photographed into test-artifacts/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, type Bootstrap } from '../support/api';
import { checkPage, startDashboardController, type DashboardController, signInThroughForm } from '../support/dashboard-e2e';
import { launchChromium, newPersonContext } from '../support/browser';
import { type ControllerProcess } from '../support/processes';

const PEOPLE = {
  admin: { name: 'pia-policies', role: 'admin', password: 'admin-pass-policies-6d1f' },
  helpdesk: { name: 'hal-helpdesk', role: 'helpdesk', password: 'helpdesk-pass-policies-2b7e' },
} as const;

interface NextWindows {
  alwaysOpen: boolean;
  openings: { start: string; end: string; timeZone: string }[];
}
interface AuditEntry {
  actor: string;
  action: string;
  targetId: string;
}

let dash: DashboardController | undefined;
let controller: ControllerProcess;
let boot: Bootstrap;
let browser: Browser;

async function check(page: Page, name: string): Promise<void> {
  await checkPage(page, name);
}

async function signIn(page: Page, name: string, password: string): Promise<void> {
  await signInThroughForm(page, controller.url, name, password);
}

async function openBrowser(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newPersonContext(browser);
  return { context, page: await context.newPage() };
}

/** The preview's items as the page shows them. */
const previewItems = (page: Page) => page.getByRole('list', { name: "Next openings of this ring's windows" }).getByRole('listitem').allTextContents();

/** Local "Sat 28 Nov 2026, 03:00" of an instant, worked out here with Intl (not the dashboard's code). */
function localStart(iso: string, timeZone: string): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.weekday} ${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute}`;
}

describe('dashboard policy pages in Chromium', () => {
  beforeAll(async () => {
    dash = await startDashboardController('pf-dashboard-policies');
    ({ controller, boot } = dash);
    for (const p of Object.values(PEOPLE)) {
      const made = await api(boot, 'POST', '/api/v1/users', p);
      expect(made.status, `create ${p.name}: ${JSON.stringify(made.body)}`).toBe(201);
    }
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.close();
  });

  it("lets an admin edit a ring's window and see the next openings follow, set two-person approval and an assignment rule", { timeout: 120_000 }, async () => {
    const { context, page } = await openBrowser();
    await signIn(page, PEOPLE.admin.name, PEOPLE.admin.password);
    await page.goto(`${controller.url}/rings/rg_broad`);
    const preview = page.getByRole('region', { name: 'Next openings' });
    await preview.getByText('No maintenance window: installs may start at any time.').waitFor();
    await check(page, 'policies-ring-admin');

    // A Saturday-night window in Paris: five Saturdays, 03:00–06:00 Paris time.
    await page.getByRole('button', { name: 'Add a window' }).click();
    await page.getByLabel('Starts (cron)').fill('0 3 * * 6');
    await page.getByLabel('Time zone').fill('Europe/Paris');
    await page.getByLabel('Length (minutes)').fill('180');
    await page.getByRole('button', { name: 'Save windows' }).click();
    await page.getByText('Saved: cron 0 3 * * 6, 3 h, Europe/Paris.').waitFor();
    await expect.poll(() => previewItems(page)).toHaveLength(5);
    const saturdays = await previewItems(page);
    const next = (await api<NextWindows>(boot, 'GET', '/api/v1/rings/rg_broad/next-windows')).body;
    expect(next.openings).toHaveLength(5);
    expect(saturdays).toEqual(next.openings.map((o) => expect.stringContaining(`${localStart(o.start, 'Europe/Paris')}–06:00 Europe/Paris`)));
    for (const text of saturdays) expect(text).toMatch(/^Sat \d{1,2} \w{3} \d{4}, 03:00–06:00 Europe\/Paris \(window 1\)$/);
    // One week apart (give or take a DST hour), the first within the coming week.
    const starts = next.openings.map((o) => Date.parse(o.start));
    for (let i = 1; i < starts.length; i++) expect(Math.abs(starts[i]! - starts[i - 1]! - 7 * 86_400_000)).toBeLessThanOrEqual(3_600_000);
    expect(starts[0]! - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);

    // Move it to 22:30 UTC every day: the preview follows.
    await page.getByLabel('Starts (cron)').fill('30 22 * * *');
    await page.getByLabel('Time zone').fill('UTC');
    await page.getByLabel('Length (minutes)').fill('60');
    await page.getByRole('button', { name: 'Save windows' }).click();
    await page.getByText('Saved: cron 30 22 * * *, 1 h, UTC.').waitFor();
    await expect.poll(async () => (await previewItems(page)).every((t) => /, 22:30–23:30 UTC \(window 1\)$/.test(t))).toBe(true);
    const daily = await previewItems(page);
    expect(daily).toHaveLength(5);
    expect(new Set(daily).size).toBe(5);
    await check(page, 'policies-ring-windows');

    // Two-person approval: Broad holds 90 % of the fleet, so an approval needs two different admins.
    await page.getByLabel('Require approval before this ring installs').check();
    await page.getByLabel('Reboot', { exact: true }).selectOption('always');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Saved. Approval: 2 different admins (two-person rule) before this ring installs; 2 different admins (two-person rule) for an expedited rollout.').waitFor();
    const broad = (await api<{ approvalRequired: boolean; approvals: { rollout: number }; reboot: { policy: string } }>(boot, 'GET', '/api/v1/rings/rg_broad')).body;
    expect(broad).toMatchObject({ approvalRequired: true, approvals: { rollout: 2 }, reboot: { policy: 'always' } });

    // An assignment rule sending canary database hosts to Broad.
    await page.getByLabel('Host labels').fill('canary=yes');
    await page.getByLabel('Host role').fill('db');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('list', { name: 'Rules sending hosts to Broad' }).getByText('Rule 1: labels canary=yes; role db').waitFor();
    expect((await api<{ items: unknown[] }>(boot, 'GET', '/api/v1/ring-rules')).body.items).toEqual([{ match: { labels: { canary: 'yes' }, role: 'db' }, ringId: 'rg_broad' }]);
    // A malformed label is refused before it is sent.
    await page.getByLabel('Host labels').fill('canary');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByText('Not added: "canary" is not key=value').waitFor();
    await check(page, 'policies-ring-policy');
    await context.close();
  });

  it('lets an admin add and delete a change freeze', { timeout: 90_000 }, async () => {
    const { context, page } = await openBrowser();
    await signIn(page, PEOPLE.admin.name, PEOPLE.admin.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Freezes' }).click();
    await page.getByText('No change freezes.').waitFor();
    await page.getByLabel('Ring').selectOption({ label: 'Fast' });
    await page.getByLabel('Starts').fill('2026-12-20T00:00');
    await page.getByLabel('Ends').fill('2027-01-04T08:00');
    await page.getByLabel('Reason').fill('Year-end freeze');
    await page.getByRole('button', { name: 'Add freeze' }).click();
    const row = page.getByRole('table', { name: 'Change freezes' }).getByRole('row').filter({ hasText: 'Year-end freeze' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Fast');
    const listed = (await api<{ items: { id: string; ring: string | null; startsAt: string; endsAt: string; reason: string; createdBy: string }[] }>(boot, 'GET', '/api/v1/freezes')).body.items;
    // The browser runs in UTC (newPersonContext), so the typed times are UTC.
    expect(listed).toEqual([{ id: expect.any(String), ring: 'rg_fast', startsAt: '2026-12-20T00:00:00.000Z', endsAt: '2027-01-04T08:00:00.000Z', reason: 'Year-end freeze', createdBy: `user:${PEOPLE.admin.name}` }]);
    await check(page, 'policies-freezes-admin');

    // A freeze that ends before it starts: the API's refusal is shown.
    await page.getByLabel('Starts').fill('2027-02-02T00:00');
    await page.getByLabel('Ends').fill('2027-02-01T00:00');
    await page.getByLabel('Reason').fill('backwards');
    await page.getByRole('button', { name: 'Add freeze' }).click();
    await page.getByText('Not added: a freeze must end after it starts (PF_ERR_VALIDATION)').waitFor();

    await page.getByRole('button', { name: 'Delete freeze “Year-end freeze”' }).click();
    await page.getByText('No change freezes.').waitFor();
    expect((await api<{ items: unknown[] }>(boot, 'GET', '/api/v1/freezes')).body.items).toEqual([]);
    await context.close();
  });

  it('filters the audit log by who and what: exactly the matching rows, in a URL that can be shared', { timeout: 90_000 }, async () => {
    // Another actor's ring change, so the filter has something to leave out.
    expect((await api(boot, 'PATCH', '/api/v1/rings/rg_fast', { soakHours: 2 })).status).toBe(200);
    const { context, page } = await openBrowser();
    await signIn(page, PEOPLE.admin.name, PEOPLE.admin.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('table', { name: 'Audit entries', exact: true }).waitFor();
    const all = await page.getByRole('table', { name: 'Audit entries', exact: true }).getByRole('row').allTextContents();
    expect(all.some((r) => r.includes('ring.update') && !r.includes(`user:${PEOPLE.admin.name}`)), 'an unfiltered page holds others\' ring changes').toBe(true);

    const actor = `user:${PEOPLE.admin.name}`;
    await page.getByLabel('Who', { exact: true }).fill(actor);
    await page.getByLabel('Action', { exact: true }).fill('ring.update');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    const table = page.getByRole('table', { name: 'Audit entries matching the filter' });
    await table.waitFor();
    expect(page.url()).toBe(`${controller.url}/audit?actor=${encodeURIComponent(actor)}&action=ring.update`);
    const rows = async () => (await table.getByRole('row').allTextContents()).slice(1); // without the header row
    // This admin changed ring Broad three times in the first test: two window saves and the policy.
    await expect.poll(async () => (await rows()).length).toBe(3);
    for (const r of await rows()) {
      expect(r).toContain(actor);
      expect(r).toContain('ring.update');
      expect(r).toContain('rg_broad');
    }
    const fromApi = (await api<{ items: AuditEntry[] }>(boot, 'GET', `/api/v1/audit?actor=${encodeURIComponent(actor)}&action=ring.update`)).body.items;
    expect(fromApi.map((e) => [e.actor, e.action, e.targetId])).toEqual(Array.from({ length: 3 }, () => [actor, 'ring.update', 'rg_broad']));
    await check(page, 'policies-audit-filtered');

    // The shared link, opened in another browser by another admin session, shows the same rows and the form filled in.
    const other = await openBrowser();
    await signIn(other.page, PEOPLE.admin.name, PEOPLE.admin.password);
    await other.page.goto(page.url());
    const shared = other.page.getByRole('table', { name: 'Audit entries matching the filter' });
    await shared.waitFor();
    await expect.poll(async () => (await shared.getByRole('row').allTextContents()).slice(1)).toEqual(await rows());
    expect(await other.page.getByLabel('Who', { exact: true }).inputValue()).toBe(actor);
    await other.context.close();

    // A filter nothing matches says so; clearing it brings every entry back.
    await page.getByLabel('Action', { exact: true }).fill('no.such-action');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.getByText('No entries match this filter.').waitFor();
    await page.getByRole('link', { name: 'Clear filter' }).click();
    await page.getByRole('table', { name: 'Audit entries', exact: true }).waitFor();
    expect(page.url()).toBe(`${controller.url}/audit`);
    await context.close();
  });

  it('shows an admin the feeds and lets them add and edit a health probe on the settings page', { timeout: 90_000 }, async () => {
    const { context, page } = await openBrowser();
    await signIn(page, PEOPLE.admin.name, PEOPLE.admin.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    const feeds = page.getByRole('table', { name: 'Advisory feeds and their last import' });
    await feeds.waitFor();
    const usn = await feeds.getByRole('row').filter({ hasText: 'Ubuntu security notices' }).textContent();
    expect(usn).not.toContain('never imported');
    expect(await feeds.getByRole('row').filter({ hasText: 'CISA known exploited' }).textContent()).toContain('never imported');
    await page.getByText('No probes: agents report only their built-in health signals.').waitFor();

    await page.getByLabel('Probe name').fill('web-health');
    await page.getByLabel('Kind').selectOption('http');
    await page.getByLabel('URL').fill('http://127.0.0.1:8080/healthz');
    await page.getByRole('button', { name: 'Add probe' }).click();
    await page.getByText('Added probe web-health.').waitFor();
    const list = page.getByRole('list', { name: 'Health probes' });
    await list.getByText('GET http://127.0.0.1:8080/healthz expects 200').waitFor();
    type ProbeRow = { name: string; kind: string; url: string; expectStatus: number; timeoutMs: number; enabled: boolean };
    const probes = async () => (await api<{ items: ProbeRow[] }>(boot, 'GET', '/api/v1/probes')).body.items;
    expect(await probes()).toEqual([expect.objectContaining({ name: 'web-health', kind: 'http', url: 'http://127.0.0.1:8080/healthz', expectStatus: 200, timeoutMs: 5000, enabled: true })]);
    await check(page, 'policies-settings');

    await page.getByRole('button', { name: 'Edit probe web-health' }).click();
    const edit = page.getByRole('form', { name: 'Edit probe web-health' });
    await edit.getByLabel('Timeout (ms)').fill('2500');
    await edit.getByLabel('Enabled').uncheck();
    await edit.getByRole('button', { name: 'Save probe' }).click();
    await list.getByText('timeout 2500 ms').waitFor();
    expect(await probes()).toEqual([expect.objectContaining({ name: 'web-health', timeoutMs: 2500, enabled: false })]);
    await check(page, 'policies-settings-edited');
    await context.close();
  });

  it('shows the help desk rings, rules and freezes read-only and no audit or settings page; the API refuses its writes', { timeout: 90_000 }, async () => {
    const { context, page } = await openBrowser();
    await signIn(page, PEOPLE.helpdesk.name, PEOPLE.helpdesk.password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Overview', 'Hosts', 'Patches', 'Rollouts', 'Rings', 'Freezes', 'Tokens']);

    await page.goto(`${controller.url}/rings/rg_broad`);
    await page.getByText('Only admins change rings.').waitFor();
    await expect.poll(() => previewItems(page)).toHaveLength(5);
    await page.getByRole('list', { name: 'Rules sending hosts to Broad' }).getByText('Rule 1: labels canary=yes; role db').waitFor();
    expect(await page.getByText('2 different admins (two-person rule) before this ring installs', { exact: false }).count()).toBe(1);
    for (const name of ['Save windows', 'Save policy', 'Add rule', 'Remove rule 1']) expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    await check(page, 'policies-ring-helpdesk');

    await api(boot, 'POST', '/api/v1/freezes', { startsAt: '2027-03-01T00:00:00Z', endsAt: '2027-03-02T00:00:00Z', reason: 'Quarter close' });
    await nav.getByRole('link', { name: 'Freezes' }).click();
    await page.getByRole('table', { name: 'Change freezes' }).getByRole('row').filter({ hasText: 'Quarter close' }).waitFor();
    expect(await page.getByRole('button', { name: /Delete freeze/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Add freeze' }).count()).toBe(0);
    await page.getByText('Only admins add and remove freezes.').waitFor();
    await check(page, 'policies-freezes-helpdesk');

    for (const adminPage of ['audit', 'settings']) {
      await page.goto(`${controller.url}/${adminPage}?actor=system`);
      await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    }
    await check(page, 'policies-settings-refused-helpdesk');

    const results = await page.evaluate(async () => {
      const me = (await (await fetch('/api/v1/auth/me')).json()) as { csrfToken: string };
      const call = async (method: string, url: string, body?: unknown) => {
        const res = await fetch(url, { method, headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
      };
      return {
        rules: await call('PUT', '/api/v1/ring-rules', { items: [] }),
        ring: await call('PATCH', '/api/v1/rings/rg_broad', { approvalRequired: false }),
        freeze: await call('POST', '/api/v1/freezes', { startsAt: '2027-01-01T00:00:00Z', endsAt: '2027-01-02T00:00:00Z', reason: 'x' }),
        probe: await call('POST', '/api/v1/probes', { name: 'sneaky', kind: 'tcp', host: 'db1', port: 5432 }),
        audit: await call('GET', '/api/v1/audit?actor=system'),
      };
    });
    for (const [what, r] of Object.entries(results)) expect(r, what).toEqual({ status: 403, code: 'PF_ERR_FORBIDDEN' });
    expect((await api<{ items: unknown[] }>(boot, 'GET', '/api/v1/ring-rules')).body.items).toHaveLength(1);
    expect((await api<{ items: unknown[] }>(boot, 'GET', '/api/v1/probes')).body.items).toHaveLength(1);
    await context.close();
  });
});
