/**
 * The agent's .deb (agent/scripts/deb.ts) and deploy/install/install-agent.sh, with real dpkg, the
 * built Linux executable and a real controller process.
 *
 * Each install goes into an isolated dpkg root (`dpkg --root=R --force-script-chrootless`): the
 * maintainer scripts run on this machine with DPKG_ROOT=R and take every path under it, so the
 * postinst enrolls into R/var/lib/patchfleet-agent for real. The container has no systemd:
 * R/run/systemd/system says "systemd runs here" to the scripts, and a `systemctl` stand-in first
 * on PATH records its calls. The root's dpkg database holds the host's libc6, libstdc++6 and
 * libgcc-s1 (the package's Depends), as a real host's would. Long: it packs ~120 MB twice.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgentExecutables } from '@patchfleet/agent/scripts/executables';
import { buildDeb, debFileName } from '@patchfleet/agent/scripts/deb';
import { AGENT_VERSION } from '@patchfleet/agent/src/version';
import { PinnedAgent } from '@patchfleet/shared';
import { api, type Bootstrap } from '../support/api';
import { noNodePath, runExe } from '../support/agent-exe';
import { createTestDatabaseUrl } from '../support/db';
import { installedVersion } from '../support/dpkg';
import { REPO_ROOT, startControllerProcess, type ControllerProcess } from '../support/processes';
import { unitDirectives } from './systemd';

const PKG = 'patchfleet-agent';
const UPGRADE_VERSION = `${AGENT_VERSION}+deb1`;
const INSTALL_AGENT = join(REPO_ROOT, 'deploy/install/install-agent.sh');

let dir: string;
let exe: string;
let deb: string;
let debUpgrade: string;
let controller: ControllerProcess;
let boot: Bootstrap;
let dropDb: () => Promise<void>;
let path: string;
let front: Server | undefined;
let frontUrl: string;

const systemctlLog = () => join(dir, 'systemctl.log');

/** The systemctl calls the maintainer scripts made since the last call of this function. */
function takeSystemctlCalls(): string[] {
  const log = systemctlLog();
  if (!existsSync(log)) return [];
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  rmSync(log);
  return lines;
}

/** An empty system for dpkg --root: its database, with the host's runtime libraries recorded as installed. */
function makeRoot(name: string): string {
  const root = join(dir, name);
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'var/log', 'run/systemd/system']) mkdirSync(join(root, d), { recursive: true });
  const deps = ['libc6', 'libstdc++6', 'libgcc-s1'];
  const status = execFileSync('dpkg-query', ['-W', '-f=Package: ${Package}\nStatus: install ok installed\nPriority: optional\nArchitecture: ${Architecture}\nMulti-Arch: ${Multi-Arch}\nVersion: ${Version}\nMaintainer: ${Maintainer}\nDescription: copied from the host\n\n', ...deps], { encoding: 'utf8' });
  writeFileSync(join(root, 'var/lib/dpkg/status'), status);
  writeFileSync(join(root, 'var/lib/dpkg/available'), '');
  for (const d of deps) writeFileSync(join(root, `var/lib/dpkg/info/${d}:amd64.list`), '');
  return root;
}

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: path, HOME: '/root', LANG: 'C.UTF-8', PF_SYSTEMCTL_LOG: systemctlLog(), ...extra };
}

function dpkg(root: string, args: string[], extra: NodeJS.ProcessEnv = {}): { status: number | null; output: string } {
  const r = spawnSync('dpkg', [`--root=${root}`, '--force-script-chrootless', ...args], { env: env(extra), encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

async function newToken(): Promise<string> {
  const res = await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {});
  expect(res.status).toBe(201);
  return res.body.token;
}

function identityOf(root: string): { agentId: string; serverUrl: string } {
  return JSON.parse(readFileSync(join(root, 'var/lib/patchfleet-agent/identity.json'), 'utf8')) as { agentId: string; serverUrl: string };
}

/**
 * The controller as install-agent.sh meets it, for a controller without GET /downloads/:name (that
 * route came from another branch): its own certificate and key, GET /downloads/NAME serving a file of
 * `releases` (404 otherwise, the route's contract), and every other request passed to the
 * controller process (enrollment). With the route, the tests use the controller itself.
 */
function startFront(releases: string): Promise<Server> {
  const tls = join(dir, 'controller', 'tls');
  const upstream = new PinnedAgent(boot.caFingerprint);
  const server = createServer({ cert: readFileSync(join(tls, 'cert.pem')), key: readFileSync(join(tls, 'key.pem')) }, (req, res) => {
    const m = /^\/downloads\/([A-Za-z0-9._+~-]+)$/.exec(req.url ?? '');
    if (m) {
      const file = join(releases, m[1] as string);
      if (req.method !== 'GET' || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/vnd.debian.binary-package', 'content-length': statSync(file).size });
      return void createReadStream(file).pipe(res);
    }
    const up = request(new URL(req.url ?? '/', boot.url), { method: req.method, headers: req.headers, agent: upstream }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-deb-test-'));
  exe = (await buildAgentExecutables()).linux;
  const [a, b] = await Promise.all([
    buildDeb({ exe, version: AGENT_VERSION, outDir: join(dir, 'releases') }),
    buildDeb({ exe, version: UPGRADE_VERSION, outDir: join(dir, 'upgrade') }),
  ]);
  deb = a;
  debUpgrade = b;
  // PATH: the systemctl stand-in first, then this machine's tools without node (the package needs none).
  const standin = join(dir, 'standin');
  mkdirSync(standin);
  writeFileSync(join(standin, 'systemctl'), '#!/bin/sh\necho "$*" >> "$PF_SYSTEMCTL_LOG"\n', { mode: 0o755 });
  path = `${standin}:${noNodePath(join(dir, 'bin'))}`;
  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  // PATCHFLEET_RELEASES_DIR: the folder the controller's GET /downloads/:name serves (a controller without the route ignores it).
  controller = await startControllerProcess({ dataDir: join(dir, 'controller'), databaseUrl: db.url, env: { PATCHFLEET_RELEASES_DIR: join(dir, 'releases') } });
  boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
  // The route answers 404 for a file it does not have; without it the dashboard's fallback answers 200 with HTML.
  if ((await statusOf(`${boot.url}/downloads/${debFileName('0.0.0-none')}`)) === 404) {
    frontUrl = boot.url;
  } else {
    front = await startFront(join(dir, 'releases'));
    frontUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
  }
}, 600_000);

/** The status of a GET, pinned to the controller's certificate, without reading the body. */
function statusOf(url: string): Promise<number> {
  const agent = new PinnedAgent(boot.caFingerprint);
  return new Promise<number>((resolve, reject) => {
    request(url, { agent }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  }).finally(() => agent.destroy());
}

afterAll(async () => {
  front?.close();
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('the package', () => {
  it('is named for its version and holds the executable, the unit and a 0600 conffile, all root\'s', () => {
    expect(deb.endsWith(`/${debFileName(AGENT_VERSION)}`)).toBe(true);
    const info = execFileSync('dpkg-deb', ['--field', deb], { encoding: 'utf8' });
    expect(info).toContain(`Package: ${PKG}\n`);
    expect(info).toContain(`Version: ${AGENT_VERSION}\n`);
    expect(info).toContain('Architecture: amd64\n');
    expect(info).toMatch(/^Maintainer: .+$/m);
    expect(info).toMatch(/^Description: .+$/m);
    expect(info).toContain('Depends: libc6 (>= 2.28), libstdc++6, libgcc-s1\n');
    const contents = execFileSync('dpkg-deb', ['--contents', deb], { encoding: 'utf8' });
    const entry = (p: string) => contents.split('\n').find((l) => l.endsWith(` ./${p}`));
    expect(entry('usr/lib/patchfleet/patchfleet-agent')).toMatch(/^-rwxr-xr-x root\/root /);
    expect(entry('lib/systemd/system/patchfleet-agent.service')).toMatch(/^-rw-r--r-- root\/root /);
    expect(entry('etc/patchfleet/agent.env')).toMatch(/^-rw------- root\/root /);
    expect(contents).not.toMatch(/ (?!root\/root)\S+\/\S+ +\d+ /);
    const control = join(dir, 'control');
    execFileSync('dpkg-deb', ['--control', deb, control]);
    expect(readFileSync(join(control, 'conffiles'), 'utf8')).toBe('/etc/patchfleet/agent.env\n');
    // The packed executable is the built one, byte for byte.
    const x = join(dir, 'extract');
    execFileSync('dpkg-deb', ['--extract', deb, x]);
    expect(sha256(join(x, 'usr/lib/patchfleet/patchfleet-agent'))).toBe(sha256(exe));
    expect(readFileSync(join(x, 'etc/patchfleet/agent.env'), 'utf8')).not.toMatch(/^PATCHFLEET_ENROLL_TOKEN=/m);
    // The maintainer scripts as packed (common.sh pasted in) are POSIX sh that shellcheck accepts.
    for (const s of ['postinst', 'prerm', 'postrm']) {
      expect(statSync(join(control, s)).mode & 0o777, s).toBe(0o755);
      expect(readFileSync(join(control, s), 'utf8')).not.toMatch(/^#COMMON#$/m);
      expect(readFileSync(join(control, s), 'utf8')).toContain('systemd_running()');
    }
    const sc = spawnSync('shellcheck', ['-s', 'sh', ...['postinst', 'prerm', 'postrm'].map((s) => join(control, s))], { encoding: 'utf8' });
    if (sc.error) throw new Error(`shellcheck could not run (.ci/run installs it): ${sc.error.message}`);
    expect(sc.stdout, 'shellcheck').toBe('');
    expect(sc.status).toBe(0);
  });

  it('is not built from a bad version or from something not an executable', async () => {
    await expect(buildDeb({ exe, version: '1.0 beta', outDir: dir })).rejects.toMatchObject({ code: 'PF_ERR_BAD_VERSION' });
    await expect(buildDeb({ exe: INSTALL_AGENT, version: '1.0', outDir: dir })).rejects.toMatchObject({ code: 'PF_ERR_USAGE' });
    await expect(buildDeb({ exe: join(dir, 'missing'), version: '1.0', outDir: dir })).rejects.toMatchObject({ code: 'PF_ERR_USAGE' });
  });

  it('installs a unit that systemd-analyze verify accepts, running the executable it installs, hardened so apt still works', () => {
    const root = makeRoot('unit-root');
    const r = dpkg(root, ['--unpack', deb]);
    expect(r.status, r.output).toBe(0);
    const text = readFileSync(join(root, 'lib/systemd/system/patchfleet-agent.service'), 'utf8');
    expect(text).toBe(readFileSync(join(REPO_ROOT, 'deploy/systemd/patchfleet-agent.service'), 'utf8'));
    const unit = unitDirectives(text);
    expect(unit.ExecStart).toEqual(['/usr/lib/patchfleet/patchfleet-agent run --state-dir /var/lib/patchfleet-agent']);
    expect(unit.EnvironmentFile).toEqual(['-/etc/patchfleet/agent.env']);
    // The unit as installed in the root, its ExecStart pointed at the root: verify reads the real executable.
    const verify = (content: string) => {
      const f = join(dir, `verify-${Math.random().toString(36).slice(2)}`, 'patchfleet-agent.service');
      mkdirSync(join(f, '..'));
      writeFileSync(f, content);
      const v = spawnSync('systemd-analyze', ['verify', f], { encoding: 'utf8', timeout: 60_000 });
      if (v.error) throw new Error(`systemd-analyze could not run (.ci/run installs systemd): ${v.error.message}`);
      return { status: v.status, output: v.stdout + v.stderr };
    };
    const ok = verify(text.replace('ExecStart=/usr/lib/', `ExecStart=${root}/usr/lib/`));
    expect(ok.output).toBe('');
    expect(ok.status).toBe(0);
    const bad = verify(text.replace('ExecStart=/usr/lib/', `ExecStart=${root}/no/such/`));
    expect(bad.output).toContain(`${root}/no/such/patchfleet/patchfleet-agent`);
    expect(bad.status).not.toBe(0);

    const one = (k: string) => unit[k]?.[0];
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectHome')).toBe('read-only');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('ProtectControlGroups')).toBe('yes');
    expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(8192);
    // Self-update relies on systemd stopping the whole cgroup when the old agent exits.
    expect(unit.KillMode).toBeUndefined();
    // Each of these would stop apt or dpkg: /usr read-only, no /usr/lib/modules, /proc/sys read-only, no setuid files.
    for (const k of ['ProtectSystem', 'ProtectKernelModules', 'ProtectKernelTunables', 'RestrictSUIDSGID', 'CapabilityBoundingSet', 'SystemCallFilter', 'User', 'DynamicUser']) {
      expect(unit[k], k).toBeUndefined();
    }
  });
});

describe('dpkg -i, upgrade, remove and purge in an isolated root', () => {
  let root: string;
  let identityHash: string;
  let agentId: string;

  it('without a token installs but neither enrolls nor starts, and says what to do', () => {
    const bare = makeRoot('bare-root');
    takeSystemctlCalls();
    const r = dpkg(bare, ['-i', deb]);
    expect(r.status, r.output).toBe(0);
    expect(installedVersion(PKG, bare)).toBe(AGENT_VERSION);
    expect(r.output).toContain('not enrolled, so not started');
    expect(existsSync(join(bare, 'var/lib/patchfleet-agent/identity.json'))).toBe(false);
    expect(statSync(join(bare, 'var/lib/patchfleet-agent')).mode & 0o777).toBe(0o700);
    expect(takeSystemctlCalls()).toEqual([]);
  });

  it('then enrolls with a token written into agent.env when the scripts run again as dpkg-reconfigure runs them, and deletes it', async () => {
    const bare = join(dir, 'bare-root');
    const envFile = join(bare, 'etc/patchfleet/agent.env');
    const token = await newToken();
    const conf = readFileSync(envFile, 'utf8')
      .replace(/^PATCHFLEET_SERVER=$/m, `PATCHFLEET_SERVER=${boot.url}`)
      .replace(/^PATCHFLEET_CA_FINGERPRINT=$/m, `PATCHFLEET_CA_FINGERPRINT=${boot.caFingerprint}`)
      .replace(/^#PATCHFLEET_ENROLL_TOKEN=.*$/m, `PATCHFLEET_ENROLL_TOKEN=${token}`);
    writeFileSync(envFile, conf);
    expect(readFileSync(envFile, 'utf8')).toContain(`PATCHFLEET_ENROLL_TOKEN=${token}\n`);
    // dpkg-reconfigure (debconf) runs `prerm upgrade V` then `postinst configure V`, V the installed version.
    const run = (script: string, args: string[]) => spawnSync(join(bare, `var/lib/dpkg/info/${PKG}.${script}`), args, { env: env({ DPKG_ROOT: bare }), encoding: 'utf8', timeout: 120_000 });
    expect(run('prerm', ['upgrade', AGENT_VERSION]).status).toBe(0);
    const r = run('postinst', ['configure', AGENT_VERSION]);
    expect(r.status, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(token);
    expect(identityOf(bare).agentId).toMatch(/\S/);
    expect(readFileSync(envFile, 'utf8')).not.toContain(token);
    expect(takeSystemctlCalls()).toEqual(['daemon-reload', 'enable --now patchfleet-agent.service']);
  });

  it('with a token in its environment enrolls with the controller, drops the token, and enables and starts the unit', async () => {
    root = makeRoot('root');
    const token = await newToken();
    takeSystemctlCalls();
    const r = dpkg(root, ['-i', deb], { PATCHFLEET_ENROLL_TOKEN: token, PATCHFLEET_SERVER: boot.url, PATCHFLEET_CA_FINGERPRINT: boot.caFingerprint.toUpperCase() });
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toContain(token);
    expect(installedVersion(PKG, root)).toBe(AGENT_VERSION);
    const id = identityOf(root);
    agentId = id.agentId;
    expect(r.output).toContain(`enrolled as ${agentId}`);
    const host = await api<{ id?: string }>(boot, 'GET', `/api/v1/hosts/${agentId}`);
    expect(host.status).toBe(200);
    expect(takeSystemctlCalls()).toEqual(['daemon-reload', 'enable --now patchfleet-agent.service']);
    const envFile = join(root, 'etc/patchfleet/agent.env');
    const conf = readFileSync(envFile, 'utf8');
    expect(conf).not.toContain(token);
    expect(conf).not.toMatch(/^PATCHFLEET_ENROLL_TOKEN=/m);
    expect(conf).toContain(`PATCHFLEET_SERVER=${boot.url}\n`);
    expect(conf).toContain(`PATCHFLEET_CA_FINGERPRINT=${boot.caFingerprint.toLowerCase()}\n`);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'var/lib/patchfleet-agent/identity.json')).mode & 0o777).toBe(0o600);
    identityHash = sha256(join(root, 'var/lib/patchfleet-agent/identity.json'));
    // The unit's ExecStart, re-rooted, with --once: the installed executable connects as that identity and reports.
    const once = await runExe(join(root, 'usr/lib/patchfleet/patchfleet-agent'), ['run', '--state-dir', join(root, 'var/lib/patchfleet-agent'), '--once', '--no-health'], env(), 120_000);
    expect(once.code, once.stderr).toBe(0);
    const reported = await api<{ lastSeq: number; packageCount: number }>(boot, 'GET', `/api/v1/hosts/${agentId}`);
    expect(reported.body.lastSeq).toBeGreaterThanOrEqual(1);
    expect(reported.body.packageCount).toBeGreaterThan(0);
  });

  it('upgrades to a higher version keeping the identity, ignores a new token, and restarts the unit without re-enabling it', async () => {
    const token = await newToken();
    const r = dpkg(root, ['-i', debUpgrade], { PATCHFLEET_ENROLL_TOKEN: token });
    expect(r.status, r.output).toBe(0);
    expect(installedVersion(PKG, root)).toBe(UPGRADE_VERSION);
    expect(r.output).toContain('already enrolled');
    expect(sha256(join(root, 'var/lib/patchfleet-agent/identity.json'))).toBe(identityHash);
    expect(identityOf(root).agentId).toBe(agentId);
    expect(takeSystemctlCalls()).toEqual(['daemon-reload', 'try-restart --no-block patchfleet-agent.service']);
    // The settings postinst wrote survive (dpkg keeps a changed conffile when the package's copy did not change).
    expect(readFileSync(join(root, 'etc/patchfleet/agent.env'), 'utf8')).toContain(`PATCHFLEET_SERVER=${boot.url}\n`);
  });

  it('remove disables and stops the unit and keeps the identity and settings', () => {
    const r = dpkg(root, ['--remove', PKG]);
    expect(r.status, r.output).toBe(0);
    expect(installedVersion(PKG, root)).toBeUndefined();
    expect(existsSync(join(root, 'usr/lib/patchfleet/patchfleet-agent'))).toBe(false);
    expect(existsSync(join(root, 'lib/systemd/system/patchfleet-agent.service'))).toBe(false);
    expect(sha256(join(root, 'var/lib/patchfleet-agent/identity.json'))).toBe(identityHash);
    expect(existsSync(join(root, 'etc/patchfleet/agent.env'))).toBe(true);
    expect(takeSystemctlCalls()).toEqual(['disable --now patchfleet-agent.service', 'daemon-reload']);
  });

  it('purge deletes the identity, the settings and a leftover enablement', () => {
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
    mkdirSync(wants, { recursive: true });
    symlinkSync('/lib/systemd/system/patchfleet-agent.service', join(wants, 'patchfleet-agent.service'));
    const r = dpkg(root, ['--purge', PKG]);
    expect(r.status, r.output).toBe(0);
    expect(existsSync(join(root, 'var/lib/patchfleet-agent'))).toBe(false);
    expect(existsSync(join(root, 'etc/patchfleet'))).toBe(false);
    expect(() => lstatSync(join(wants, 'patchfleet-agent.service'))).toThrow();
    expect(takeSystemctlCalls()).toEqual(['daemon-reload']);
    // Purged: dpkg forgets the package altogether.
    expect(readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8')).not.toContain(`Package: ${PKG}\n`);
  });

  it('refuses a malformed fingerprint before enrolling, leaving the package unconfigured', async () => {
    const bad = makeRoot('bad-root');
    const r = dpkg(bad, ['-i', deb], { PATCHFLEET_ENROLL_TOKEN: await newToken(), PATCHFLEET_SERVER: boot.url, PATCHFLEET_CA_FINGERPRINT: 'abc' });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('error PF_ERR_USAGE: PATCHFLEET_CA_FINGERPRINT must be');
    expect(installedVersion(PKG, bad)).toBeUndefined();
    expect(existsSync(join(bad, 'var/lib/patchfleet-agent/identity.json'))).toBe(false);
  });
});

describe('install-agent.sh', () => {
  // Asynchronous: the front server answering the script runs in this process.
  function installAgent(root: string, args: string[]): Promise<{ status: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn('bash', [INSTALL_AGENT, ...args, '--dpkg-root', root], { env: env(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (status) => resolve({ status, output }));
    });
  }

  it('refuses a package whose SHA-256 is not --sha256 and installs nothing', async () => {
    const root = makeRoot('script-bad-hash');
    const token = await newToken();
    const r = await installAgent(root, ['--server', frontUrl, '--token', token, '--ca-fingerprint', boot.caFingerprint, '--sha256', '0'.repeat(64)]);
    expect(r.status, r.output).toBe(6);
    expect(r.output).toContain('error PF_ERR_INSTALLER_INTEGRITY');
    expect(r.output).toContain(sha256(deb));
    expect(r.output).not.toContain('not a Debian package');
    expect(installedVersion(PKG, root)).toBeUndefined();
    expect(existsSync(join(root, 'usr/lib/patchfleet'))).toBe(false);
  });

  it('refuses a controller whose certificate is not the pinned one, and a version the server does not have', async () => {
    const root = makeRoot('script-bad-pin');
    const token = await newToken();
    const pin = await installAgent(root, ['--server', frontUrl, '--token', token, '--ca-fingerprint', 'ab'.repeat(32), '--sha256', sha256(deb)]);
    expect(pin.status, pin.output).toBe(4);
    expect(pin.output).toContain('error PF_ERR_TLS_PIN_MISMATCH');
    const missing = await installAgent(root, ['--server', frontUrl, '--token', token, '--ca-fingerprint', boot.caFingerprint, '--sha256', sha256(deb), '--version', '9.9.9']);
    expect(missing.status, missing.output).toBe(5);
    expect(missing.output).toContain('error PF_ERR_INSTALLER_DOWNLOAD');
    expect(missing.output).toContain('answered 404');
    const usage = await installAgent(root, ['--server', frontUrl, '--token', 'not-a-token', '--ca-fingerprint', boot.caFingerprint, '--sha256', sha256(deb)]);
    expect(usage.status).toBe(2);
    expect(usage.output).toContain('error PF_ERR_USAGE');
    expect(installedVersion(PKG, root)).toBeUndefined();
  });

  it('downloads from the controller\'s address the very file of the releases folder', async () => {
    const fetched = join(dir, 'fetched.deb');
    // Asynchronous: the stand-in, when there is one, answers from this process.
    await promisify(execFile)('curl', ['-sSfk', '-o', fetched, `${frontUrl}/downloads/${debFileName(AGENT_VERSION)}`]);
    expect(sha256(fetched)).toBe(sha256(deb));
    expect(await statusOf(`${frontUrl}/downloads/${debFileName('9.9.9')}`)).toBe(404);
  });

  it('with the right hash downloads, installs and enrolls through the controller, and starts the unit', async () => {
    const root = makeRoot('script-ok');
    const token = await newToken();
    takeSystemctlCalls();
    const r = await installAgent(root, ['--server', frontUrl, '--token', token, '--ca-fingerprint', boot.caFingerprint, '--sha256', sha256(deb).toUpperCase()]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toContain(token);
    expect(installedVersion(PKG, root)).toBe(AGENT_VERSION);
    const id = identityOf(root);
    expect(id.serverUrl).toBe(frontUrl);
    expect((await api(boot, 'GET', `/api/v1/hosts/${id.agentId}`)).status).toBe(200);
    expect(takeSystemctlCalls()).toEqual(['daemon-reload', 'enable --now patchfleet-agent.service']);
    expect(readFileSync(join(root, 'etc/patchfleet/agent.env'), 'utf8')).not.toMatch(/^PATCHFLEET_ENROLL_TOKEN=/m);
  });

  it('installs by default the version of this source tree, and shellcheck accepts it', () => {
    expect(readFileSync(INSTALL_AGENT, 'utf8')).toContain(`default_version="${AGENT_VERSION}"`);
    const sc = spawnSync('shellcheck', [INSTALL_AGENT], { encoding: 'utf8' });
    if (sc.error) throw new Error(`shellcheck could not run (.ci/run installs it): ${sc.error.message}`);
    expect(sc.stdout, 'shellcheck').toBe('');
    expect(sc.status).toBe(0);
  });
});
