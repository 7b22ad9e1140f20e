/**
 * `pnpm start`: the whole thing on one machine, for a first look.
 * Starts the controller on its embedded database (data in .patchfleet/),
 * enrolls an agent for this machine once, runs it, and prints how to reach
 * the API. When the catalog is empty it imports the bundled advisory data
 * (test/fixtures/advisories) through the running controller's API, so a
 * newcomer sees assessments without stopping anything; PATCHFLEET_NO_SAMPLE_CATALOG=1
 * or --no-sample-catalog skips that. Ctrl-C stops both.
 *
 * `pnpm start --demo [--demo-hour-ms N] [--demo-days N] [--demo-hosts N]`
 * does none of that: it runs the living demo (test/sim/demo.ts: simulated
 * hosts and a controller of its own on a virtual clock, in .patchfleet/demo
 * on port 8444) and exits with its exit code.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// The rule of controller/src/local-home.ts (deploy/ is no package and cannot import it), which the CLI's and `serve`'s
// defaults follow: `pnpm patchfleet ...` finds this controller's bootstrap.json without flags.
const home = resolve(process.env.PATCHFLEET_HOME || join(root, '.patchfleet'));
const dataDir = join(home, 'controller');
const stateDir = join(home, 'agent');
const port = process.env.PATCHFLEET_PORT ?? '8443';
const tsx = ['--import', 'tsx'];
const controllerCli = join(root, 'controller/src/cli.ts');
const agentCli = join(root, 'agent/src/cli.ts');

/**
 * Runs the demo driver and never returns: this process exits with the
 * demo's code. Ctrl-C reaches the demo too (same process group), which stops
 * its hosts and controller itself; a SIGTERM sent to this process is passed on.
 */
function runDemo(): Promise<never> {
  const demo = spawn(process.execPath, [...tsx, join(root, 'test/sim/demo.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => demo.kill('SIGTERM'));
  return new Promise(() => {
    demo.once('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

if (process.argv.includes('--demo')) await runDemo();

function say(line: string): void {
  process.stderr.write(`[start] ${line}\n`);
}

function run(cli: string, args: string[]): string {
  const r = spawnSync(process.execPath, [...tsx, cli, ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.slice(0, 2).join(' ')} failed:\n${r.stderr}`);
  return r.stdout.trim();
}

/** Runs a CLI without blocking this process (it relays the controller's stderr meanwhile). */
function runAsync(cli: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...tsx, cli, ...args], { cwd: root, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

const sampleDir = join(root, 'test/fixtures/advisories');

/** Imports the bundled advisory data through the running controller when its catalog is empty; says what it did. */
async function offerSampleCatalog(): Promise<void> {
  if (process.env.PATCHFLEET_NO_SAMPLE_CATALOG === '1' || process.argv.includes('--no-sample-catalog')) {
    say('sample catalog: skipped (PATCHFLEET_NO_SAMPLE_CATALOG=1 or --no-sample-catalog)');
    return;
  }
  const status = await runAsync(controllerCli, ['catalog', 'status', '--server', `https://localhost:${port}`, '--data-dir', dataDir, '--json']);
  if (status.code !== 0) return say(`sample catalog: cannot read the catalog status: ${status.stderr.trim()}`);
  const { lastImports } = JSON.parse(status.stdout) as { lastImports: Record<string, unknown> };
  if (Object.keys(lastImports).length > 0) return say('sample catalog: not imported, the catalog already holds imported data');
  const msrc = readdirSync(join(sampleDir, 'msrc')).filter((n) => n.endsWith('.xml')).map((n) => join(sampleDir, 'msrc', n));
  const args = ['catalog', 'import', '--server', `https://localhost:${port}`, '--data-dir', dataDir, '--usn-osv', join(sampleDir, 'usn'), '--msrc-cvrf', ...msrc];
  args.push('--kev', join(sampleDir, 'kev/known_exploited_vulnerabilities.json'), '--epss', join(sampleDir, 'epss/epss_subset.csv'));
  say(`sample catalog: the catalog is empty; importing the bundled advisory data (${sampleDir}, see its README for sources and licences) through the controller's API`);
  const imported = await runAsync(controllerCli, args);
  if (imported.code !== 0) return say(`sample catalog: import failed: ${imported.stderr.trim().split('\n').pop() ?? ''}`);
  say(`sample catalog: ${imported.stdout.trim().split('\n').pop() ?? 'imported'}`);
}

/** This machine's patch state once the controller has looked at it (bounded wait), in one line. */
async function localPatchState(): Promise<string> {
  const agentId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
  let line = 'not reported yet';
  for (let i = 0; i < 30; i++) {
    const r = await runAsync(controllerCli, ['hosts', 'patches', agentId, '--data-dir', dataDir, '--server', `https://localhost:${port}`, '--json']);
    if (r.code === 0) {
      const p = JSON.parse(r.stdout) as { assessedAt: string | null; coverage?: { covered: boolean; reason: string | null } };
      const reported = !(p.coverage?.reason ?? '').startsWith('the host has not reported');
      const shown = await runAsync(controllerCli, ['hosts', 'patches', agentId, '--data-dir', dataDir, '--server', `https://localhost:${port}`]);
      line = shown.stdout.trim().split('\n').pop() ?? line;
      if (reported && (p.assessedAt !== null || p.coverage?.covered === false)) break;
    }
    await new Promise((r2) => setTimeout(r2, 1000));
  }
  return line;
}

function startController(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...tsx, controllerCli, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', port, '--public-url', `https://localhost:${port}`], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: '', PATCHFLEET_LOG_LEVEL: process.env.PATCHFLEET_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      err += d.toString();
      if (/listening at/.test(err)) resolvePromise(child);
    });
    child.once('exit', (code) => reject(new Error(`controller exited with ${code}`)));
  });
}

/** `pnpm install && pnpm start` shows the dashboard too: it is built here when dashboard/dist is missing (`pnpm build` rebuilds it). */
function ensureDashboardBuilt(): void {
  if (existsSync(join(root, 'dashboard/dist/index.html'))) return;
  say('building the dashboard (once; pnpm build rebuilds it)');
  const r = spawnSync('pnpm', ['--filter', '@patchfleet/dashboard', 'build'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) say(`the dashboard did not build (the controller's / says so): ${(r.stderr || r.stdout || String(r.error)).trim().slice(-2000)}`);
}

ensureDashboardBuilt();
const controller = await startController();
const boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as { url: string; adminToken: string; caFingerprint: string; adminUser?: string; adminPassword?: string };
if (!existsSync(join(stateDir, 'identity.json'))) {
  say('enrolling a local agent');
  const token = run(controllerCli, ['enroll-token', 'create', '--data-dir', dataDir, '--uses', '1', '--ttl', '10m', '--labels', 'env=local', '--description', 'pnpm start']);
  say(run(agentCli, ['enroll', '--server', `wss://localhost:${port}`, '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]));
}
const agent = spawn(process.execPath, [...tsx, agentCli, 'run', '--state-dir', stateDir], { cwd: root, env: { ...process.env, PATCHFLEET_LOG_LEVEL: process.env.PATCHFLEET_LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'inherit', 'inherit'] });
await offerSampleCatalog();
const patchState = await localPatchState();

/** The first user's sign-in: the initial password while it is unchanged, else where it went. */
function signInLine(): string {
  if (!boot.adminUser) return 'no user yet (bootstrap.json has none)';
  if (boot.adminPassword) return `user ${boot.adminUser}, initial password ${boot.adminPassword}   (change it: Account in the dashboard)`;
  return `user ${boot.adminUser} (its password was changed; an admin resets it with: pnpm patchfleet users reset-password ${boot.adminUser} --data-dir ${dataDir})`;
}

process.stdout.write(`
Patchfleet is running.
  controller   ${boot.url}   (data: ${dataDir})
  agent        this machine   (state: ${stateDir})
  patches      this machine: ${patchState}
  dashboard    ${boot.url}/   (self-signed certificate: accept it in the browser, or trust ${join(dataDir, 'tls/cert.pem')})
  sign in      ${signInLine()}
  admin token  in ${join(dataDir, 'bootstrap.json')}

Call the API (the certificate is self-signed; curl checks it against the file):
  TOKEN=$(node -p "require('${join(dataDir, 'bootstrap.json')}').adminToken")
  curl --cacert ${join(dataDir, 'tls/cert.pem')} -H "Authorization: Bearer $TOKEN" ${boot.url}/api/v1/hosts
  curl --cacert ${join(dataDir, 'tls/cert.pem')} ${boot.url}/api/v1/openapi.json

Or with the CLI:  pnpm patchfleet hosts list      (finds ${join(dataDir, 'bootstrap.json')} by itself; --data-dir ${dataDir} says so explicitly)
                  pnpm patchfleet catalog import --server ${boot.url} --data-dir ${dataDir} --usn-osv DIR ...   (imports go through the running controller)
Ctrl-C stops both.
`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  agent.kill('SIGTERM');
  controller.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
controller.once('exit', (code) => {
  if (!stopping) say(`controller exited (${code})`);
  stop();
});
agent.once('exit', (code) => {
  if (!stopping) say(`agent exited (${code})`);
});
