/**
 * What the image's runtime stage and the systemd unit run: the controller's `pnpm deploy --prod` tree, made and laid
 * out by deploy/install/install-controller.sh (--root stages it under a temporary folder), started with plain node by
 * the unit's ExecStart, the same command the Dockerfile's ENTRYPOINT gives. The Dockerfile's HEALTHCHECK command
 * then passes against it, and fails once it has stopped. Sources, tsx and pnpm are not in the tree, so they cannot
 * be what makes it work.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabaseUrl } from '../support/db';
import { freePort, REPO_ROOT } from '../support/processes';
import { envOf, healthcheckCommand, readDockerfile } from './dockerfile';
import { unitDirectives } from './systemd';

const stage = mkdtempSync(join(tmpdir(), 'pf-tree-'));
const dataDir = join(stage, 'var/lib/patchfleet-controller');
const pg = await createTestDatabaseUrl();
let controller: ChildProcess | undefined;
afterAll(async () => {
  controller?.kill('SIGKILL');
  await pg.drop();
  rmSync(stage, { recursive: true, force: true });
});

const unit = unitDirectives(readFileSync(join(REPO_ROOT, 'deploy/systemd/patchfleet-controller.service'), 'utf8'));
const runtime = readDockerfile().stages.at(-1)!;

function runHealthcheck(port: number): number | null {
  const [cmd, ...args] = healthcheckCommand(runtime);
  // The image's node runs the check; here this machine's, the same major version.
  return spawnSync(cmd === 'node' ? process.execPath : cmd!, args, { env: { ...process.env, PATCHFLEET_PORT: String(port) }, timeout: 20_000 }).status;
}

describe('the controller tree that the image and the systemd unit run', () => {
  it('install-controller.sh lays out the tree the unit and the image start, without sources, tsx or pnpm', () => {
    const r = spawnSync('bash', [join(REPO_ROOT, 'deploy/install/install-controller.sh'), '--root', stage], { encoding: 'utf8', timeout: 240_000 });
    expect(r.stderr + r.stdout).toContain(`controller staged under ${stage}`);
    expect(r.status).toBe(0);
    const tree = join(stage, 'opt/patchfleet/controller');
    const execStart = unit.ExecStart?.[0]?.split(/\s+/) ?? [];
    expect(execStart.slice(0, 2)).toEqual(['/usr/bin/node', '/opt/patchfleet/controller/dist/patchfleet-controller.mjs']);
    expect(existsSync(join(stage, execStart[1]!))).toBe(true);
    expect(existsSync(join(tree, 'dist/migrations/meta/_journal.json'))).toBe(true);
    expect(existsSync(join(tree, 'node_modules/@patchfleet/dashboard/dist/index.html'))).toBe(true);
    for (const absent of ['src', 'scripts', 'node_modules/tsx', 'node_modules/.bin/tsx', 'node_modules/pnpm', 'node_modules/vitest', 'node_modules/esbuild']) {
      expect(existsSync(join(tree, absent)), absent).toBe(false);
    }
    expect(readFileSync(join(stage, 'etc/systemd/system/patchfleet-controller.service'), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'deploy/systemd/patchfleet-controller.service'), 'utf8'));
  }, 300_000);

  it('migrate, then serve, from the tree with node: the HEALTHCHECK passes, and fails once the controller is gone', async () => {
    const tree = join(stage, 'opt/patchfleet/controller');
    const bundle = join(tree, 'dist/patchfleet-controller.mjs');
    const env: NodeJS.ProcessEnv = { ...process.env, ...envOf(runtime), PATCHFLEET_LOG_LEVEL: 'warn', PATCHFLEET_DATA_DIR: dataDir, ...(pg.url ? { DATABASE_URL: pg.url } : {}) };
    delete env.NODE_OPTIONS; // nothing may preload a loader (tsx): plain node runs the bundle
    const migrated = spawnSync(process.execPath, [bundle, 'migrate'], { cwd: tree, env, encoding: 'utf8', timeout: 120_000 });
    expect(migrated.stderr).toMatch(/migrations applied \((pglite|postgres)/);
    expect(migrated.status).toBe(0);

    const port = await freePort();
    // The unit's ExecStart with the staged paths and a free port.
    const args = unit.ExecStart![0]!.split(/\s+/).slice(1).map((a) => (a.startsWith('/') ? join(stage, a) : a));
    controller = spawn(process.execPath, [...args, '--port', String(port)], { cwd: tree, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    controller.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 90_000;
    while (!stderr.includes('patchfleet controller listening') && Date.now() < deadline && controller.exitCode === null) await new Promise((r) => setTimeout(r, 250));
    expect(stderr).toContain('patchfleet controller listening at https://');
    expect(runHealthcheck(port)).toBe(0);
    // The dashboard is served from the tree's copy of its build.
    const page = spawnSync('node', ['-e', `require('node:https').get({host:'127.0.0.1',port:${port},path:'/',rejectUnauthorized:false},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>process.stdout.write(r.statusCode+' '+b.slice(0,200)))})`], { encoding: 'utf8', timeout: 20_000 });
    expect(page.stdout).toMatch(/^200 <!doctype html>/i);
    controller.kill('SIGTERM');
    await new Promise((r) => controller!.once('exit', r));
    expect(runHealthcheck(port)).toBe(1);
  }, 240_000);
});
