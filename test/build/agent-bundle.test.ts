/**
 * The agent ships as one bundled file. It must hold no controller code and
 * no server-only package, and the bundle must really run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleAgent } from '@patchfleet/agent/scripts/bundle';
import { dpkgInstalledNames, TEST_PACKAGE_PREFIX } from '../support/dpkg';
import { REPO_ROOT } from '../support/processes';

/** Packages only a server needs; none may reach the agent. */
const SERVER_ONLY = ['fastify', '@fastify/', 'drizzle-orm', 'drizzle-kit', '@electric-sql/pglite', 'postgres', 'selfsigned', 'node-cron', 'pg'];

function packageOf(input: string): string | undefined {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/.*node_modules\/\.pnpm\/[^/]+\//, ''));
  return m?.[1];
}

let outDir: string;
let bundle: Awaited<ReturnType<typeof bundleAgent>>;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'pf-bundle-'));
  bundle = await bundleAgent(outDir);
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('agent bundle', () => {
  it('holds no controller code and no server-only package', () => {
    const packages = new Set(bundle.inputs.map(packageOf).filter((p): p is string => Boolean(p)));
    expect(packages.size).toBeGreaterThan(3); // the graph really was read (ws, systeminformation, ...)
    expect(packages).toContain('ws');
    expect(packages).toContain('systeminformation');
    const forbidden = [...packages].filter((p) => SERVER_ONLY.some((s) => (s.endsWith('/') ? p.startsWith(s) : p === s)));
    expect(forbidden).toEqual([]);
    const controllerFiles = bundle.inputs.filter((i) => i.includes('controller/'));
    expect(controllerFiles).toEqual([]);
  });

  it('declares no server-only dependency', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'agent/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const deps = Object.keys(pkg.dependencies ?? {});
    expect(deps).toContain('ws');
    expect(deps.filter((d) => SERVER_ONLY.some((s) => (s.endsWith('/') ? d.startsWith(s) : d === s)))).toEqual([]);
  });

  it('runs collect --json from the single file', () => {
    const out = execFileSync(process.execPath, [bundle.outfile, 'collect', '--json'], { encoding: 'utf8', cwd: outDir, maxBuffer: 64 * 1024 * 1024 });
    const inventory = JSON.parse(out) as { host: { hostname: string }; packages: { name: string }[] };
    const collected = inventory.packages.filter((p) => !p.name.startsWith(TEST_PACKAGE_PREFIX)).map((p) => p.name);
    const installed = dpkgInstalledNames();
    expect(collected).toHaveLength(installed.length);
    expect(new Set(collected)).toEqual(new Set(installed));
    expect(inventory.host.hostname.length).toBeGreaterThan(0);
  });
});
