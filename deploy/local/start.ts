/**
 * `pnpm start`: the whole thing on one machine, for a first look.
 * Starts the controller on its embedded database (data in .patchfleet/),
 * enrolls an agent for this machine once, runs it, and prints how to reach
 * the API. Ctrl-C stops both.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const home = resolve(process.env.PATCHFLEET_HOME ?? join(root, '.patchfleet'));
const dataDir = join(home, 'controller');
const stateDir = join(home, 'agent');
const port = process.env.PATCHFLEET_PORT ?? '8443';
const tsx = ['--import', 'tsx'];
const controllerCli = join(root, 'controller/src/cli.ts');
const agentCli = join(root, 'agent/src/cli.ts');

function say(line: string): void {
  process.stderr.write(`[start] ${line}\n`);
}

function run(cli: string, args: string[]): string {
  const r = spawnSync(process.execPath, [...tsx, cli, ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.slice(0, 2).join(' ')} failed:\n${r.stderr}`);
  return r.stdout.trim();
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

const controller = await startController();
const boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as { url: string; adminToken: string; caFingerprint: string };
if (!existsSync(join(stateDir, 'identity.json'))) {
  say('enrolling a local agent');
  const token = run(controllerCli, ['enroll-token', 'create', '--data-dir', dataDir, '--uses', '1', '--ttl', '10m', '--labels', 'env=local', '--description', 'pnpm start']);
  say(run(agentCli, ['enroll', '--server', `wss://localhost:${port}`, '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]));
}
const agent = spawn(process.execPath, [...tsx, agentCli, 'run', '--state-dir', stateDir], { cwd: root, env: { ...process.env, PATCHFLEET_LOG_LEVEL: process.env.PATCHFLEET_LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'inherit', 'inherit'] });

process.stdout.write(`
Patchfleet is running.
  controller   ${boot.url}   (data: ${dataDir})
  agent        this machine   (state: ${stateDir})
  admin token  in ${join(dataDir, 'bootstrap.json')}

Call the API (the certificate is self-signed; curl checks it against the file):
  TOKEN=$(node -p "require('${join(dataDir, 'bootstrap.json')}').adminToken")
  curl --cacert ${join(dataDir, 'tls/cert.pem')} -H "Authorization: Bearer $TOKEN" ${boot.url}/api/v1/hosts
  curl --cacert ${join(dataDir, 'tls/cert.pem')} ${boot.url}/api/v1/openapi.json

Or with the CLI:  pnpm patchfleet hosts list --data-dir ${dataDir}
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
