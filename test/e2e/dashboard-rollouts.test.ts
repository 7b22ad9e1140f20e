/**
 * Rollouts through the web dashboard, in a real browser (Debian's Chromium
 * through playwright-core) against a real controller process: the help desk
 * is offered no start form, an operator one without expediting; an admin
 * starts an expedited rollout from a patch's page with the start form (a
 * refusal first, shown with its code), on a ring whose policy asks for
 * approval, so it needs two admins; the first admin's approval alone does not
 * release the ring and a second approval by the same admin is refused; a
 * second admin, in a browser of their own, releases it; that admin then
 * pauses, resumes and rolls the rollout back by clicking. Each step is
 * checked on the page and through the API, photographed into
 * test-artifacts/screenshots/ and checked with axe-core.
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

const PATCH = 'USN-7604-1';
const NAME = 'sudo, two admins';
/** Two admins, so the two-person rule has two people (made through the API with the bootstrap token). */
const ADA = { name: 'ada-admin', role: 'admin', password: 'admin-pass-91f2c6d8e0' } as const;
const BOB = { name: 'bob-admin', role: 'admin', password: 'admin-pass-0b7e4c21a9' } as const;
const OSCAR = { name: 'oscar-operator', role: 'operator', password: 'operator-pass-3b8d0f17' } as const;
const HELEN = { name: 'helen-helpdesk', role: 'helpdesk', password: 'helpdesk-pass-7c1e9a42' } as const;

interface RingBody {
  ring: string;
  state: string;
  note: string | null;
  wave: number;
  approvals: { needed: number; by: string[] };
  hosts: Record<string, number>;
}
interface RolloutBody {
  id: string;
  name: string;
  state: string;
  stateReason: string | null;
  expedite: boolean;
  createdBy: string;
  content: { patches: string[] };
  rings: RingBody[];
}

let dir: string;
let dash: DashboardController | undefined;
let controller: ControllerProcess;
let boot: Bootstrap;
let agent: { c: RawClient; agentId: string };
let heartbeat: ReturnType<typeof setInterval> | undefined;
let browser: Browser;
let rolloutId = '';

async function check(page: Page, name: string): Promise<void> {
  await checkPage(page, name);
}

async function signIn(page: Page, who: { name: string; password: string }): Promise<void> {
  await signInThroughForm(page, controller.url, who.name, who.password);
}

/** One person's browser (own cookies), signed in, on the rollout's page. */
async function personOnRollout(who: { name: string; password: string }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newPersonContext(browser);
  const page = await context.newPage();
  await signIn(page, who);
  await page.goto(`${controller.url}/rollouts/${rolloutId}`);
  await page.getByRole('heading', { name: NAME, level: 1 }).waitFor();
  return { context, page };
}

const rollout = async (): Promise<RolloutBody> => (await api<RolloutBody>(boot, 'GET', `/api/v1/rollouts/${rolloutId}`)).body;
const ringFirst = async (): Promise<RingBody | undefined> => (await rollout()).rings.find((r) => r.ring === 'First');
/** The ring card of ring `name` on the rollout page. */
const ringCard = (page: Page, name: string) => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: new RegExp(`^\\d+\\. ${name} `) }) });

describe('rollouts in the web dashboard', () => {
  beforeAll(async () => {
    dash = await startDashboardController('pf-dashboard-rollouts-e2e');
    ({ dir, controller, boot } = dash);

    // One online Ubuntu host missing the patch.
    const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
    const stateDir = join(dir, 'agent');
    const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    agent = await agentSession(boot, stateDir);
    const packages = ubuntuPackages();
    agent.c.send(makeFrame('inventory', { seq: 1, kind: 'full', part: 0, parts: 1, packageCount: packages.length, collectedAt: Date.now(), host: sampleHost({ hostname: 'dash-ro-1' }), packages }, Date.now()));
    expect(await agent.c.next()).toMatchObject({ type: 'ack', seq: 1 });
    // Heartbeats keep the host online (the planner orders installs to online hosts only) however long the browser takes.
    heartbeat = setInterval(() => agent.c.send(makeFrame('heartbeat', { uptimeSec: 60 }, Date.now())), 10_000);
    await waitFor(async () => ((await api<{ missing?: unknown[] }>(boot, 'GET', `/api/v1/hosts/${agent.agentId}/patches`)).body.missing?.length ?? 0) > 0, 'the host to be assessed', 30_000);

    // Ring policy: First asks for approval; an expedited rollout then needs two admins there (rollout-create.ts approvalsNeeded).
    expect((await api(boot, 'PATCH', '/api/v1/rings/rg_first', { approvalRequired: true })).status).toBe(200);
    for (const p of [ADA, BOB, OSCAR, HELEN]) {
      const made = await api(boot, 'POST', '/api/v1/users', p);
      expect(made.status, `create ${p.name}: ${JSON.stringify(made.body)}`).toBe(201);
    }
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    if (heartbeat) clearInterval(heartbeat);
    await browser?.close();
    agent?.c.close();
    await dash?.close();
  });

  it('offers the start form to operators without expediting, and none to the help desk', { timeout: 60_000 }, async () => {
    const context = await newPersonContext(browser);
    const page = await context.newPage();
    await signIn(page, HELEN);
    await page.goto(`${controller.url}/patches/${PATCH}`);
    await page.getByRole('heading', { name: 'Hosts missing it' }).waitFor();
    expect(await page.getByRole('link', { name: /^Start a rollout/ }).count()).toBe(0);
    await page.goto(`${controller.url}/rollouts`);
    await page.getByText('No rollouts yet.').waitFor();
    expect(await page.getByRole('link', { name: /^Start a rollout/ }).count()).toBe(0);
    await page.goto(`${controller.url}/rollouts/new?patch=${PATCH}`);
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Patchfleet' }).waitFor();

    await signIn(page, OSCAR);
    await page.goto(`${controller.url}/rollouts`);
    await page.getByRole('link', { name: 'Start a rollout' }).click();
    await page.getByRole('heading', { name: 'Start a rollout', level: 1 }).waitFor();
    expect(await page.getByLabel('Patches').inputValue()).toBe('');
    await page.getByText('Only admins expedite a rollout.').waitFor();
    expect(await page.getByLabel('Expedite').count()).toBe(0);
    // A slip is caught before any request: nothing reaches the controller.
    await page.getByLabel('Patches').fill('CVE-2024-3094');
    await page.getByRole('button', { name: 'Start rollout' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not a patch id (USN-1234-5 or KB5034441): CVE-2024-3094');
    await check(page, 'rollout-new-operator');
    expect((await api<{ items: unknown[] }>(boot, 'GET', '/api/v1/rollouts')).body.items).toEqual([]);
    await context.close();
  });

  it("lets an admin start an expedited rollout from a patch's page, after showing the API's refusal", { timeout: 90_000 }, async () => {
    const context = await newPersonContext(browser);
    const page = await context.newPage();
    await signIn(page, ADA);
    await page.goto(`${controller.url}/patches/${PATCH}`);
    await page.getByRole('heading', { name: 'Hosts missing it' }).waitFor();
    await page.getByRole('link', { name: `Start a rollout of ${PATCH}` }).click();
    await page.getByRole('heading', { name: 'Start a rollout', level: 1 }).waitFor();
    expect(await page.getByLabel('Patches').inputValue()).toBe(PATCH);
    for (const ring of ['Test', 'First', 'Fast', 'Broad']) expect(await page.getByLabel(ring, { exact: true }).isChecked(), ring).toBe(true);
    expect(await page.getByText('needs approval by an admin').count(), 'First needs one approval unless expedited').toBe(1);
    await check(page, 'rollout-new');

    // By keyboard: untick every ring but Test (which has no host), name it, Enter submits; the controller refuses, the form says why.
    for (const ring of ['First', 'Fast', 'Broad']) {
      await page.getByLabel(ring, { exact: true }).focus();
      await page.keyboard.press('Space');
      expect(await page.getByLabel(ring, { exact: true }).isChecked()).toBe(false);
    }
    await page.getByLabel('Name (optional)').focus();
    await page.keyboard.type(NAME);
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/v1/rollouts') && r.request().method() === 'POST');
    await page.keyboard.press('Enter');
    expect((await refused).status()).toBe(409);
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/^Not started: no host that needs it is in ring\(s\) Test \(PF_ERR_NOTHING_TO_ROLL_OUT\)$/);
    expect(page.url()).toMatch(/\/rollouts\/new\?patch=USN-7604-1$/);
    expect((await api<{ items: unknown[] }>(boot, 'GET', '/api/v1/rollouts')).body.items).toEqual([]);
    await check(page, 'rollout-new-refused');

    // Every ring again, expedited (admins only): First now needs two admins.
    for (const ring of ['First', 'Fast', 'Broad']) await page.getByLabel(ring, { exact: true }).check();
    await page.getByLabel('Expedite').check();
    expect(await page.getByText('needs approval by two admins').count()).toBe(1);
    await page.getByRole('button', { name: 'Start rollout' }).click();
    await page.waitForURL(/\/rollouts\/ro_[0-9a-f]+$/);
    await page.getByRole('heading', { name: NAME, level: 1 }).waitFor();
    rolloutId = page.url().split('/').at(-1) ?? '';

    const started = await rollout();
    expect(started).toMatchObject({ id: rolloutId, name: NAME, state: 'active', expedite: true, createdBy: `user:${ADA.name}`, content: { patches: [PATCH] } });
    expect(started.rings.map((r) => r.ring)).toEqual(['Test', 'First', 'Fast', 'Broad']);
    expect(started.rings.find((r) => r.ring === 'First')).toMatchObject({ approvals: { needed: 2, by: [] }, hosts: { pending: 1 } });
    // The planner reaches First (Test has no host, expedited means no deferral) and waits there for approvals.
    await expect.poll(async () => (await ringFirst())?.note, { timeout: 30_000 }).toBe('awaiting approval (0 of 2)');
    expect(await ringFirst()).toMatchObject({ state: 'scheduled', wave: 0 });
    const first = ringCard(page, 'First');
    await expect.poll(() => first.textContent(), { timeout: 20_000 }).toContain('awaiting approval (0 of 2)');
    expect(await first.textContent()).toContain('0 of 2');
    expect(await page.getByText('expedited', { exact: true }).isVisible()).toBe(true);
    await first.getByRole('button', { name: 'Approve ring First' }).waitFor();
    await check(page, 'rollout-started');

    // The rollouts list shows it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rollouts' }).click();
    await page.getByRole('link', { name: NAME }).waitFor();
    await page.getByRole('link', { name: 'Start a rollout' }).waitFor();
    await check(page, 'rollouts-list');
    await context.close();
  });

  it('needs two different admins: one approval does not release the ring, and the same admin approving again does not count', { timeout: 120_000 }, async () => {
    expect(rolloutId, 'the previous test started the rollout').toMatch(/^ro_/);
    const ada = await personOnRollout(ADA);
    const first = ringCard(ada.page, 'First');
    await first.getByRole('button', { name: 'Approve ring First' }).click();
    await ada.page.getByText('Approved ring First: 1 of 2 approvals, waiting for another admin.').waitFor();
    // The page offers no second approval to the same admin...
    await first.getByText('You approved ring First; the next approval must come from another admin.').waitFor();
    expect(await first.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    await check(ada.page, 'rollout-approved-once');
    // ...and the API refuses one sent anyway with the same session.
    const again = await ada.page.evaluate(async (id) => {
      const me = (await (await fetch('/api/v1/auth/me')).json()) as { csrfToken: string };
      const res = await fetch(`/api/v1/rollouts/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: JSON.stringify({ ring: 'First' }) });
      return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
    }, rolloutId);
    expect(again).toEqual({ status: 409, code: 'PF_ERR_ALREADY_APPROVED' });

    // A planner round sees one approval of two: the ring stays scheduled, nothing is ordered.
    await expect.poll(async () => (await ringFirst())?.note, { timeout: 30_000 }).toBe('awaiting approval (1 of 2)');
    expect(await ringFirst()).toMatchObject({ state: 'scheduled', wave: 0, approvals: { needed: 2, by: [ADA.name] }, hosts: { pending: 1 } });
    const hostsBefore = (await api<{ items: { state: string; commandId: string | null }[] }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}/hosts`)).body.items;
    expect(hostsBefore).toEqual([expect.objectContaining({ state: 'pending', commandId: null })]);
    // Reloaded, the page still knows this admin approved (from the rollout, not the click).
    await ada.page.reload();
    await ringCard(ada.page, 'First').getByText('You approved ring First').waitFor();
    expect(await ringCard(ada.page, 'First').textContent()).toContain(`1 of 2 (${ADA.name})`);

    // Another admin, in a browser of their own, gives the second approval: the ring starts installing.
    const bob = await personOnRollout(BOB);
    const bobFirst = ringCard(bob.page, 'First');
    expect(await bobFirst.textContent()).toContain(`1 of 2 (${ADA.name})`);
    await check(bob.page, 'rollout-second-admin');
    await bobFirst.getByRole('button', { name: 'Approve ring First' }).click();
    await bob.page.getByText('Approved ring First: 2 of 2 approvals, the ring may start.').waitFor();
    await expect.poll(async () => (await ringFirst())?.state, { timeout: 30_000 }).toBe('installing');
    const released = await ringFirst();
    expect(released).toMatchObject({ wave: 1, approvals: { needed: 2, by: [ADA.name, BOB.name] }, hosts: { installing: 1 } });
    const hostsAfter = (await api<{ items: { state: string; wave: number | null; commandId: string | null }[] }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}/hosts`)).body.items;
    expect(hostsAfter).toEqual([expect.objectContaining({ state: 'installing', wave: 1, commandId: expect.stringMatching(/.+/) })]);
    // The page follows within seconds, well before its 30-second poll: the planner round that released the ring sent a live hint.
    await expect.poll(async () => (await bobFirst.textContent()) ?? '', { timeout: 15_000 }).toMatch(/installing/);
    expect(await bobFirst.textContent()).toContain('1 ordered');
    await check(bob.page, 'rollout-released');
    await ada.context.close();
    await bob.context.close();
  });

  it('lets an admin pause, resume and roll back the rollout by clicking', { timeout: 90_000 }, async () => {
    expect(rolloutId).toMatch(/^ro_/);
    const { context, page } = await personOnRollout(BOB);
    await page.getByRole('heading', { name: 'Steer this rollout' }).waitFor();
    await page.getByLabel(/Reason/).fill('dashboard test: pause');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
    expect(await page.getByText('paused', { exact: true }).first().isVisible()).toBe(true);
    expect(await rollout()).toMatchObject({ state: 'paused', stateReason: 'dashboard test: pause' });
    await check(page, 'rollout-paused');

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect((await rollout()).state).toBe('active');
    await check(page, 'rollout-resumed');

    // Roll back asks first; accepted, the rollout leaves every state a control applies to.
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.getByLabel(/Reason/).fill('dashboard test: roll back');
    await page.getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('heading', { name: 'Steer this rollout' }).waitFor({ state: 'detached' });
    expect(asked).toBe('Roll back every host this rollout installed on?');
    expect(['rolling-back', 'rolled-back']).toContain((await rollout()).state);
    // Its one host had installed nothing yet (its command was cancelled), so the planner finishes the roll back at once.
    await expect.poll(async () => (await rollout()).state, { timeout: 30_000 }).toBe('rolled-back');
    await expect.poll(() => page.getByText('rolled-back', { exact: true }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await check(page, 'rollout-rolled-back');

    // The audit log has each step under the person who took it.
    const log = (await api<{ items: { actor: string; action: string; details: Record<string, unknown> }[] }>(boot, 'GET', `/api/v1/audit?targetType=rollout&targetId=${rolloutId}&limit=100`)).body.items;
    const steps = log.filter((e) => e.actor.startsWith('user:')).map((e) => `${e.action} ${e.actor}`).reverse();
    expect(log.find((e) => e.action === 'rollout.rollback')?.details).toMatchObject({ from: 'active', to: 'rolling-back', reason: 'dashboard test: roll back' });
    expect(steps).toEqual([`rollout.start user:${ADA.name}`, `rollout.expedite user:${ADA.name}`, `rollout.approve user:${ADA.name}`, `rollout.approve user:${BOB.name}`, `rollout.pause user:${BOB.name}`, `rollout.resume user:${BOB.name}`, `rollout.rollback user:${BOB.name}`]);
    await context.close();
  });
});
