/**
 * The controller's bundle (controller/scripts/bundle.ts, what `pnpm build` makes and the image and the systemd unit
 * run): the controller's and the workspace packages' code inside, the controller's registry dependencies outside
 * (pnpm deploy --prod installs exactly those), no test code, no development tool, and the migrations beside it.
 */
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleController } from '@patchfleet/controller/scripts/bundle';
import { REPO_ROOT } from '../support/processes';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'controller/package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const packageOf = (spec: string): string => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

let outDir: string;
let bundle: Awaited<ReturnType<typeof bundleController>>;
beforeAll(async () => {
  // Under controller/node_modules, so that node finds the external packages from the bundle as it does from dist/.
  const cache = join(REPO_ROOT, 'controller/node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  outDir = mkdtempSync(join(cache, 'pf-bundle-test-'));
  bundle = await bundleController(outDir);
}, 120_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('controller bundle', () => {
  it('imports only node builtins and the controller\'s own registry dependencies', () => {
    const packages = new Set(bundle.external.filter((e) => !e.startsWith('node:')).map(packageOf));
    expect(packages).toContain('fastify');
    expect(packages).toContain('@electric-sql/pglite');
    const notDependencies = [...packages].filter((p) => !(p in manifest.dependencies) && !builtinModules.includes(p));
    expect(notDependencies).toEqual([]);
  });

  it('holds the controller and @patchfleet/shared, and no test code or development dependency', () => {
    expect(bundle.inputs.some((i) => i.endsWith('controller/src/server.ts') || i === 'src/server.ts')).toBe(true);
    expect(bundle.inputs.some((i) => i.includes('shared/src/protocol/'))).toBe(true);
    expect(bundle.inputs.filter((i) => /(^|\/)test\/|\.test\.ts$|fixture/.test(i))).toEqual([]);
    const bundledPackages = new Set(bundle.inputs.filter((i) => i.includes('node_modules/')).map((i) => packageOf(i.replace(/.*node_modules\//, ''))));
    // What @patchfleet/shared imports and the controller's node_modules does not hold (pnpm's strict layout).
    expect([...bundledPackages]).toEqual(['tweetnacl']);
    for (const dev of Object.keys(manifest.devDependencies)) expect(bundledPackages.has(dev), dev).toBe(false);
  });

  it('runs with plain node and has its migrations beside it', () => {
    expect(existsSync(join(outDir, 'migrations/meta/_journal.json'))).toBe(true);
    const out = execFileSync(process.execPath, [bundle.outfile, '--help'], { encoding: 'utf8', cwd: join(REPO_ROOT, 'controller') });
    expect(out).toMatch(/^\s+serve\b/m);
    expect(out).toMatch(/^\s+migrate\b/m);
  });
});
