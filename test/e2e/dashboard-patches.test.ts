/**
 * The patch and host pages in a real browser (Debian's Chromium through
 * playwright-core) against a real controller process. An Ubuntu host reports
 * its packages (it misses USN-7604-1) and its health over the agent protocol
 * (crashes and a service failure in the last hours). Its reliability gets a
 * history the real way: the first read scores USN-7604-1 from its prior; an
 * admin imports a known issue naming it (rescored); pinned to ring Test, the
 * host gets the install of an expedited rollout and reports it failed, which
 * halts the rollout; a second known-issue import rescores the patch with that
 * outcome, so its host class gets a score (one host tried, one harmed). An
 * admin also sends the host a reboot command.
 *
 * The patch page draws the history per class (the chart's points and its
 * table carry the API's scores; the class selector narrows both), the cohort
 * and the halted rollout; the host page shows
 * each missing patch's reliability and its health beside its changes on the
 * same hours. Both pages pass axe-core (serious or critical violations fail)
 * and are photographed into test-artifacts/screenshots/.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Capabilities, makeFrame, type HealthSample, type Message } from '@patchfleet/shared';
import { agentSession, ubuntuPackages } from '../support/agent-session';
import { api, type Bootstrap } from '../support/api';
import { checkPage, startDashboardController, type DashboardController, signInThroughForm } from '../support/dashboard-e2e';
import { launchChromium, newPersonContext } from '../support/browser';
import { sampleHost } from '../support/inventory';
import { runCli, waitFor, type ControllerProcess } from '../support/processes';
import type { RawClient } from '../support/ws-client';

const PATCH = 'USN-7604-1';
const HOSTNAME = 'dash-rel-1';
const HELPDESK = { name: 'hugo-helpdesk', role: 'helpdesk', password: 'helpdesk-pass-2f7a91c3' } as const;
const MIN = 60_000;
const HOUR = 60 * MIN;
/** Two known issues, imported one before and one after the failed install: each rescores the patch (a history entry each). */
const KNOWN_ISSUES = [
  { patchId: PATCH, status: 'reported', symptom: 'sudo -l prints a warning about the host name on some hosts', scope: 'Ubuntu 24.04' },
  { patchId: PATCH, status: 'confirmed', symptom: 'sudo refuses rules with a chroot directive after the update', scope: 'Ubuntu 24.04 LTS' },
];

interface ReliabilityBody {
  score: number;
  decision: string;
  history: { hostClass: string; score: number; at: string }[];
  classes: { hostClass: string; label: string; score: number; trials: number; harmed: number }[];
}
interface OverviewBody {
  patches: { missing: { id: string; decision: { decision: string; score: number | null } | null }[] };
  timeline: { at: string; summary: string }[];
}

let dir: string;
let dash: DashboardController | undefined;
let controller: ControllerProcess;
let boot: Bootstrap;
let agent: { c: RawClient; agentId: string };
let browser: Browser;
/** The interval starts of the samples sent, and the crash counts (app + kernel) in each. */
const crashesByHour = new Map<string, number>();

/** The next frame of `type`, skipping the others (healthConfig, commands). */
async function nextOf(c: RawClient, type: Message['type']): Promise<Message> {
  for (let i = 0; i < 10; i++) {
    const m = await c.next(20_000);
    if (m.type === type) return m;
  }
  throw new Error(`no ${type} frame in ten`);
}

/** Imports KNOWN_ISSUES[i] as an admin through the API; the import rescores the patch. */
async function importKnownIssue(i: number): Promise<void> {
  const res = await api<{ rescored: string[] }>(boot, 'POST', '/api/v1/catalog/known-issues', { name: `issues-${i}.jsonl`, content: JSON.stringify(KNOWN_ISSUES[i]) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.rescored).toEqual([PATCH]);
}

async function check(page: Page, name: string): Promise<void> {
  await checkPage(page, name);
}

async function signIn(page: Page): Promise<void> {
  await signInThroughForm(page, controller.url, HELPDESK.name, HELPDESK.password);
}

describe('patch and host pages in Chromium', () => {
  beforeAll(async () => {
    dash = await startDashboardController('pf-dashboard-patches-e2e');
    ({ dir, controller, boot } = dash);

    // The host: enrolled by the agent CLI, then spoken for by the test with the health capability.
    const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
    const stateDir = join(dir, 'agent');
    const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    agent = await agentSession(boot, stateDir, [Capabilities.Health, Capabilities.Commands]);
    const packages = ubuntuPackages();
    agent.c.send(makeFrame('inventory', { seq: 1, kind: 'full', part: 0, parts: 1, packageCount: packages.length, collectedAt: Date.now(), host: sampleHost({ hostname: HOSTNAME }), packages }, Date.now()));
    expect(await nextOf(agent.c, 'ack')).toMatchObject({ seq: 1 });
    await waitFor(async () => ((await api<{ missing?: { id: string }[] }>(boot, 'GET', `/api/v1/hosts/${agent.agentId}/patches`)).body.missing ?? []).some((m) => m.id === PATCH), 'the host to be assessed', 30_000);

    // Its health over the last hours, one sample per hour: crashes in two of them, a service failure and an app crash event.
    const t0 = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;
    const crashes = [0, 2, 0, 1, 0];
    const samples: HealthSample[] = crashes.map((n, i) => ({
      seq: i + 1,
      periodStart: t0 + i * HOUR,
      periodEnd: t0 + (i + 1) * HOUR,
      bootId: 'boot-a',
      uptimeSec: 7200 + i * 3600,
      counters: { appCrashes: n, kernelCrashes: 0, serviceFailures: i === 3 ? 1 : 0, unexpectedShutdowns: 0, probeFailures: 0, probeRuns: 0 },
      unavailable: [],
      events: n > 0 ? [{ kind: 'app-crash', at: t0 + i * HOUR + 10 * MIN, subject: 'nginx', message: 'signal 11' }] : [],
    }));
    samples.forEach((s, i) => crashesByHour.set(new Date(s.periodStart).toISOString(), crashes[i]!));
    agent.c.send(makeFrame('health', { epoch: 'ep-dash', samples }, Date.now()));
    expect(await nextOf(agent.c, 'healthAck')).toMatchObject({ seq: samples.length });

    // Reliability history: the first read scores the patch from its prior; the first known-issues import rescores it.
    expect((await api<ReliabilityBody>(boot, 'GET', `/api/v1/patches/${PATCH}/reliability`)).status).toBe(200);
    await importKnownIssue(0);
    // Pinned to ring Test, the host gets the expedited rollout's install and reports it failed: the rollout halts.
    expect((await api(boot, 'PUT', `/api/v1/hosts/${agent.agentId}/ring`, { ring: 'Test' })).status).toBe(200);
    const rollout = await api<{ id: string }>(boot, 'POST', '/api/v1/rollouts', { name: 'sudo fix', patches: [PATCH], expedite: true });
    expect(rollout.status, JSON.stringify(rollout.body)).toBe(201);
    const install = await nextOf(agent.c, 'command');
    if (install.type !== 'command') throw new Error('expected a command frame');
    expect(install.command).toMatchObject({ action: 'install', target: 'sudo fix' });
    const commandId = install.command.commandId;
    for (const state of ['acknowledged', 'running'] as const) agent.c.send(makeFrame('commandStatus', { commandId, state, at: Date.now() }, Date.now()));
    agent.c.send(makeFrame('commandStatus', { commandId, state: 'failed', at: Date.now(), error: { code: 'PF_ERR_INSTALL_VERIFY_FAILED', message: 'sudo not at the fixed version after apt-get' } }, Date.now()));
    expect(await nextOf(agent.c, 'commandReceipt')).toMatchObject({ commandId });
    await waitFor(async () => (await api<{ state: string }>(boot, 'GET', `/api/v1/rollouts/${rollout.body.id}`)).body.state === 'halted', 'the rollout to halt', 60_000);
    // The second import rescores the patch with the failed install: its class gets a score.
    await importKnownIssue(1);
    // And an admin sends the host a reboot.
    const reboot = await api(boot, 'POST', '/api/v1/commands', { hostIds: [agent.agentId], action: 'reboot', target: 'kernel', params: { reason: 'dashboard test', delaySec: 60 }, ttlSec: 3600 });
    expect(reboot.status, JSON.stringify(reboot.body)).toBe(201);

    expect((await api(boot, 'POST', '/api/v1/users', HELPDESK)).status).toBe(201);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    agent?.c.close();
    await dash?.close();
  });

  it("draws a patch's reliability history per class with its table, its cohort and its halted rollout", { timeout: 120_000 }, async () => {
    const rel = (await api<ReliabilityBody>(boot, 'GET', `/api/v1/patches/${PATCH}/reliability`)).body;
    const whole = rel.history.filter((h) => h.hostClass === '');
    expect(whole, 'the prior, then one score per import').toHaveLength(3);
    expect(whole[2]!.score).toBeLessThan(whole[0]!.score);
    // One class: the host's, with its one failed install.
    expect(rel.classes).toEqual([expect.objectContaining({ trials: 1, harmed: 1 })]);
    const cls = rel.classes[0]!;
    const classHistory = rel.history.filter((h) => h.hostClass === cls.hostClass);
    expect(classHistory.length).toBeGreaterThan(0);

    const context = await newPersonContext(browser);
    const page = await context.newPage();
    await signIn(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patches' }).click();
    // The patches list: hosts missing it and having it, and its decision.
    const listRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: PATCH, exact: true }) });
    await listRow.waitFor();
    const listCells = await listRow.getByRole('cell').allTextContents();
    expect(listCells.slice(1, 3)).toEqual(['1', '0']);
    expect(listCells[5]).toBe(`${rel.decision} ${rel.score}`);
    await check(page, 'patches-list');

    await page.getByRole('link', { name: PATCH, exact: true }).click();
    const chart = page.getByRole('img', { name: `Reliability score of ${PATCH} over time` });
    await chart.waitFor();
    // The chart's points are the API's scores, oldest first, a line per class; its description says where each went.
    const pointsOf = (label: string) => chart.locator(`g[data-series="${label}"] circle`).evaluateAll((els) => els.map((e) => [e.getAttribute('data-at'), Number(e.getAttribute('data-value'))]));
    const asPoints = (list: ReliabilityBody['history']) => list.map((h) => [new Date(h.at).toISOString(), h.score]);
    expect(await pointsOf('Whole patch')).toEqual(asPoints(whole));
    expect(await pointsOf(cls.label)).toEqual(asPoints(classHistory));
    expect(await chart.locator('desc').textContent()).toContain(`Whole patch: from ${whole[0]!.score} to ${whole[2]!.score} over 3 changes.`);
    // The text alternative: every change, newest first, with the same scores.
    const table = page.getByRole('table', { name: `Reliability score changes of ${PATCH}, newest first` });
    const scoreCells = () => table.locator('tbody tr td:nth-child(3)').allTextContents();
    const allChanges = [...rel.history].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    expect((await scoreCells()).map(Number).sort()).toEqual(allChanges.map((h) => h.score).sort());
    expect(await table.locator('tbody tr').count()).toBe(rel.history.length);
    // The selector narrows chart and table to one class.
    await page.getByLabel('Show').selectOption({ label: cls.label });
    await expect.poll(() => chart.locator('g[data-series]').count()).toBe(1);
    expect(await pointsOf(cls.label)).toEqual(asPoints(classHistory));
    expect((await scoreCells()).map(Number)).toEqual([...classHistory].reverse().map((h) => h.score));
    await page.getByLabel('Show').selectOption({ label: 'Every class' });
    await expect.poll(() => chart.locator('g[data-series]').count()).toBe(2);
    // The decision with its reasons, the confirmed issue among them.
    const relSection = page.getByRole('region', { name: 'Reliability', exact: true });
    expect(await relSection.textContent()).toContain(`score ${rel.score}`);
    expect(await relSection.getByRole('listitem').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining(KNOWN_ISSUES[1]!.symptom)]));
    expect(await relSection.locator('.badge').first().textContent()).toBe(rel.decision);
    // The cohort: the host's class, one host tried and harmed, with its score.
    const cohort = page.getByRole('table', { name: /^Host classes of/ }).getByRole('row').filter({ hasText: cls.label });
    expect((await cohort.getByRole('cell').allTextContents()).slice(1, 4)).toEqual(['1', '1', String(cls.score)]);
    // The rollout carrying it, halted by its failure; no gate tripped (no block, no incident).
    const gates = page.getByRole('region', { name: 'Rollouts and health gates' });
    const carrier = gates.getByRole('row').filter({ has: page.getByRole('link', { name: 'sudo fix' }) });
    expect(await carrier.textContent()).toMatch(/halted\s*ring Test: 1 of 1 hosts failed/);
    expect(await gates.textContent()).toContain('No health gate has tripped on this patch.');
    await check(page, 'patch-reliability');
    await page.setViewportSize({ width: 390, height: 844 });
    await check(page, 'patch-reliability-phone');
    await context.close();
  });

  it("shows each missing patch's reliability on the host page, and its health beside its changes", { timeout: 120_000 }, async () => {
    const overview = (await api<OverviewBody>(boot, 'GET', `/api/v1/hosts/${agent.agentId}/overview`)).body;
    const decision = overview.patches.missing.find((m) => m.id === PATCH)?.decision;
    expect(decision, 'the overview carries the decision').toMatchObject({ decision: expect.any(String), score: expect.any(Number) });

    const context = await newPersonContext(browser);
    const page = await context.newPage();
    await signIn(page);
    await page.goto(`${controller.url}/hosts/${agent.agentId}`);
    await page.getByRole('heading', { name: HOSTNAME, level: 1 }).waitFor();
    const missing = page.getByRole('table', { name: /Missing patches/ });
    await missing.waitFor();
    expect(await missing.getByRole('columnheader').allTextContents()).toEqual(['Patch', 'Priority', 'Due by', 'Reliability']);
    const row = missing.getByRole('row').filter({ hasText: PATCH });
    expect(await row.getByRole('cell').nth(3).textContent()).toMatch(new RegExp(`^${decision!.decision} score ${decision!.score}`));

    // The chart: one point per hourly sample, crashes as sent; the changes marked on the same axis.
    const chart = page.getByRole('img', { name: `Health and changes of ${HOSTNAME}, last 24 hours` });
    await chart.waitFor();
    const crashPoints = await chart.locator('g[data-series="Crashes (app and kernel)"] circle').evaluateAll((els) => els.map((e) => [e.getAttribute('data-at'), Number(e.getAttribute('data-value'))]));
    expect(crashPoints).toEqual([...crashesByHour.entries()]);
    const marked = await chart.locator('.chart-markers title').allTextContents();
    expect(marked).toEqual(expect.arrayContaining([expect.stringContaining('taken into rollout sudo fix (ring Test'), expect.stringMatching(/^install sudo fix failed \(PF_ERR_INSTALL_VERIFY_FAILED/), expect.stringMatching(/reboot kernel/)]));
    expect(await chart.locator('desc').textContent()).toMatch(/^5 health samples: 3 crashes, 1 service failures, 0 unexpected shutdowns, 0 probe failures; \d+ changes marked/);
    // Its text alternative: the same hours with their counts, the changes and health events in them.
    const table = page.getByRole('table', { name: `Health and changes of ${HOSTNAME} by hour, newest first` });
    const text = (await table.getByRole('row').allTextContents()).join('\n');
    expect(text).toContain('taken into rollout sudo fix');
    expect(text).toMatch(/reboot kernel/);
    expect(text).toContain('install sudo fix failed (PF_ERR_INSTALL_VERIFY_FAILED: sudo not at the fixed version after apt-get)');
    expect(text).toContain('app-crash: nginx — signal 11');
    const crashCells = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(crashCells.filter((c) => c !== '—').map(Number).sort()).toEqual([...crashesByHour.values()].sort());
    await check(page, 'host-health-changes');
    await page.setViewportSize({ width: 390, height: 844 });
    await check(page, 'host-health-changes-phone');
    await context.close();
  });
});
