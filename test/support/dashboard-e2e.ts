/**
 * What the dashboard's browser tests (test/e2e/dashboard*.test.ts) share: a
 * real controller process on the test database with the bundled USN catalog
 * imported, the sign-in form, and the per-page check (axe-core plus a
 * screenshot kept as a CI artefact).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { ADVISORIES } from './advisories';
import type { Bootstrap } from './api';
import { screenshot, seriousViolations } from './browser';
import { createTestDatabaseUrl, seedPgliteDataDir } from './db';
import { runCli, startControllerProcess, type ControllerProcess } from './processes';

/** bootstrap.json as the controller writes it; the first admin's password until it is changed. */
export type DashboardBootstrap = Bootstrap & { adminUser?: string; adminPassword?: string };

export interface DashboardController {
  /** The test's temporary directory (the controller's data directory is `controller/` in it). */
  dir: string;
  dataDir: string;
  controller: ControllerProcess;
  boot: DashboardBootstrap;
  /** Stops the controller, drops the test database and removes the directory. */
  close(): Promise<void>;
}

/**
 * Starts a controller process for a browser test: a fresh test database
 * (PGlite data directory, or a database on DATABASE_URL's server), the USN
 * advisories imported through the controller's CLI first.
 */
export async function startDashboardController(prefix: string): Promise<DashboardController> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const db = await createTestDatabaseUrl();
  let controller: ControllerProcess | undefined;
  const close = async (): Promise<void> => {
    await controller?.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const dataDir = join(dir, 'controller');
    if (db.url === undefined) await seedPgliteDataDir(dataDir);
    const imported = await runCli('controller', ['catalog', 'import', ...(db.url ? ['--database-url', db.url] : ['--data-dir', dataDir]), '--usn-osv', join(ADVISORIES, 'usn')], { timeoutMs: 120_000 });
    expect(imported.code, imported.stderr).toBe(0);
    controller = await startControllerProcess({ dataDir, databaseUrl: db.url });
    const boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as DashboardBootstrap;
    return { dir, dataDir, controller, boot, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Checks the page with axe-core (a serious or critical violation fails) and keeps a screenshot of it. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await screenshot(page, name);
  expect(await seriousViolations(page), `axe-core on ${name}`).toEqual([]);
}

/** Signs in through the dashboard's sign-in form at `url` and waits for the overview. */
export async function signInThroughForm(page: Page, url: string, name: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
}
