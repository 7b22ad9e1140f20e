/**
 * A real browser for the dashboard's end-to-end tests: Debian's Chromium
 * driven by playwright-core (no browser download), axe-core accessibility
 * checks, and screenshots kept under test-artifacts/screenshots/ for CI.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './processes';

/** Debian's package (`apt-get install chromium`; .ci/run installs it). */
export const CHROMIUM = process.env.PATCHFLEET_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

/** Headless Chromium with a throwaway profile; nothing phones home. Without Debian's chromium the test fails and says how to get it. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/**
 * A fresh context (own cookies and storage) for one person. The controller's
 * certificate is self-signed; bypassCSP lets the test inject axe-core past
 * the dashboard's content policy (the app itself runs under it).
 */
export function newPersonContext(browser: Browser, viewport = { width: 1280, height: 860 }): Promise<BrowserContext> {
  return browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true, viewport, locale: 'en-GB', timezoneId: 'UTC' });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core's violations of impact serious or critical on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: axeSource });
  // Runs in the page (this file is typed for Node, without the DOM's names).
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as { document: unknown; axe: { run(ctx: unknown, opts: object): Promise<{ violations: AxeViolation[] }> } };
    return (await g.axe.run(g.document, { resultTypes: ['violations'] })).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target })) }));
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
