/**
 * Signed agent self-update over the real link, with real executables: the
 * built Linux agent (0.1.0), a second one built with version 0.2.0, and a
 * "0.3.0" single executable that exits 3 at start. Releases are signed with
 * the test release key (agent/.cache/test-release-key) the executables pin,
 * put in the controller's releases folder and rolled out with
 * `patchfleet update-agent`. In order:
 *   1. 0.4.0 whose served file was changed after signing: refused
 *      PF_ERR_RELEASE_HASH, the executable untouched;
 *   2. 0.3.0, which crashes at start: reverted, PF_ERR_UPDATE_REVERTED, the
 *      old executable back and 0.1.0 connected again;
 *   3. 0.2.0: the executable is replaced, the host reconnects as 0.2.0 and
 *      the command succeeds.
 * Long: it builds two extra single executables (about 20 s each).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgentExecutables, type AgentExecutables } from '@patchfleet/agent/scripts/executables';
import { signReleaseMetadata } from '@patchfleet/agent/scripts/release-metadata';
import { api, type Bootstrap } from '../support/api';
import { exeEnv, noNodePath, runExe, startExeAgent } from '../support/agent-exe';
import { runCli, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

let dir: string;
let exes: AgentExecutables;
let v2: AgentExecutables;
let crasher: AgentExecutables;
let controller: ControllerProcess;
let boot: Bootstrap;
let releases: string;
let agentExe: string;
let agentId: string;
let stateDir: string;
let agent: ReturnType<typeof startExeAgent> | undefined;

interface CommandView {
  id: string;
  action: string;
  state: string;
  errorCode: string | null;
  errorMessage: string | null;
  rolloutId: string | null;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function sessionVersion(): Promise<{ online: boolean; version: string | undefined }> {
  const h = await api<{ online: boolean; sessions: { agentVersion: string; disconnectedAt: string | null }[] }>(boot, 'GET', `/api/v1/hosts/${agentId}`);
  const live = h.body.sessions.find((s) => s.disconnectedAt === null);
  return { online: h.body.online, version: live?.agentVersion };
}

/** Starts an agent-version rollout with the CLI and waits for the host's update-agent command of it to finish. */
async function rollOut(version: string): Promise<CommandView> {
  const started = await runCli('controller', ['update-agent', version, '--ring', 'Test', '--json', '--data-dir', join(dir, 'controller')]);
  expect(started.code, started.stderr).toBe(0);
  const rolloutId = (JSON.parse(started.stdout) as { id: string }).id;
  return waitFor(
    async () => {
      const res = await api<{ items: CommandView[] }>(boot, 'GET', `/api/v1/hosts/${agentId}/commands`);
      const cmd = res.body.items.find((c) => c.rolloutId === rolloutId && c.action === 'update-agent');
      return cmd && ['succeeded', 'failed', 'refused'].includes(cmd.state) ? cmd : undefined;
    },
    `the update-agent command of ${version} to finish\n${agent?.output().slice(-3000)}`,
    120_000,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-selfupdate-'));
  exes = await buildAgentExecutables();
  expect(exes.release.testKeyFile, 'this test signs with the test release key; unset PATCHFLEET_RELEASE_PUBLIC_KEY').toBeDefined();
  v2 = await buildAgentExecutables({ distDir: join(dir, 'build-0.2.0'), platforms: ['linux'], version: '0.2.0' });
  const crashScript = join(dir, 'crash.cjs');
  writeFileSync(crashScript, "process.stderr.write('crashing at start\\n'); process.exit(3);\n");
  crasher = await buildAgentExecutables({ distDir: join(dir, 'build-crash'), platforms: ['linux'], entry: crashScript });

  releases = join(dir, 'releases');
  const key = exes.release.testKeyFile as string;
  signReleaseMetadata({ version: '0.2.0', files: [{ platform: 'linux-x64', path: v2.linux, name: 'patchfleet-agent-linux-x64-0.2.0' }], outDir: releases, privateKeyPath: key, copy: true });
  signReleaseMetadata({ version: '0.3.0', files: [{ platform: 'linux-x64', path: crasher.linux, name: 'patchfleet-agent-linux-x64-0.3.0' }], outDir: releases, privateKeyPath: key, copy: true, fileName: 'agent-release-0.3.0.json' });
  signReleaseMetadata({ version: '0.4.0', files: [{ platform: 'linux-x64', path: v2.linux, name: 'patchfleet-agent-linux-x64-0.4.0' }], outDir: releases, privateKeyPath: key, copy: true, fileName: 'agent-release-0.4.0.json' });
  // Changed after signing: one byte past the middle.
  const tampered = readFileSync(join(releases, 'patchfleet-agent-linux-x64-0.4.0'));
  const at = Math.floor(tampered.length / 2);
  tampered[at] = (tampered[at] ?? 0) ^ 0xff;
  writeFileSync(join(releases, 'patchfleet-agent-linux-x64-0.4.0'), tampered);

  controller = await startControllerProcess({ dataDir: join(dir, 'controller'), env: { PATCHFLEET_RELEASES_DIR: releases, PATCHFLEET_ROLLOUT_TICK_SEC: '1' } });
  boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;

  // The agent runs from a folder of its own, as an installed agent would (the update swaps this file).
  mkdirSync(join(dir, 'opt'));
  agentExe = join(dir, 'opt', 'patchfleet-agent');
  copyFileSync(exes.linux, agentExe);
  const path = noNodePath(join(dir, 'bin'));
  const env = exeEnv(path);
  stateDir = join(dir, 'agent');
  const token = await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {});
  const enrolled = await runExe(agentExe, ['enroll', '--server', boot.url.replace(/^https:/, 'wss:'), '--token', token.body.token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir], env);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  agentId = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
  const pin = await runCli('controller', ['rings', 'assign', '--pin', agentId, '--ring', 'Test', '--data-dir', join(dir, 'controller')]);
  expect(pin.code, pin.stderr).toBe(0);
  agent = startExeAgent(agentExe, stateDir, env, ['--interval', '1h']);
  await waitFor(async () => (await sessionVersion()).version === '0.1.0', 'the 0.1.0 agent to connect', 60_000);
}, 600_000);

afterAll(async () => {
  await agent?.stop();
  // The updated agent runs detached from the process the test started: stop it by the pid it answers to.
  const pids = (await runExe('/bin/sh', ['-c', `pgrep -f '^${agentExe} run' || true`], { PATH: '/usr/bin:/bin' })).stdout.split(/\s+/).filter(Boolean);
  for (const pid of pids) process.kill(Number(pid), 'SIGTERM');
  await controller?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('agent self-update through a rollout', () => {
  it('serves release files without credentials and lists the releases', async () => {
    const list = await api<{ items: { version: string; manifest: string; expired: boolean }[] }>(boot, 'GET', '/api/v1/agent-releases');
    expect(list.status).toBe(200);
    expect(list.body.items.map((i) => i.version)).toEqual(['0.4.0', '0.3.0', '0.2.0']);
    const meta = await api<{ signed: { version: string } }>(boot, 'GET', '/downloads/agent-release.json', undefined, '');
    expect(meta.status).toBe(200);
    expect(meta.body.signed.version).toBe('0.2.0');
    const listed = await runCli('controller', ['update-agent', '--list', '--json', '--data-dir', join(dir, 'controller')]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { items: { version: string }[] }).items.map((i) => i.version)).toEqual(['0.4.0', '0.3.0', '0.2.0']);
    const unknown = await runCli('controller', ['update-agent', '9.9.9', '--data-dir', join(dir, 'controller')]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('PF_ERR_RELEASE_NOT_FOUND');
    const traversal = await api<{ error: { code: string } }>(boot, 'GET', '/downloads/..%2Fcontroller%2Fbootstrap.json', undefined, '');
    expect(traversal.status).toBe(404);
    expect(traversal.body.error.code).toBe('PF_ERR_NOT_FOUND');
  });

  it('refuses a release whose file was changed after signing, and leaves the executable alone', async () => {
    const before = sha(agentExe);
    const cmd = await rollOut('0.4.0');
    expect(cmd.state).toBe('failed');
    expect(cmd.errorCode).toBe('PF_ERR_RELEASE_HASH');
    expect(sha(agentExe)).toBe(before);
    expect((await sessionVersion()).version).toBe('0.1.0');
  });

  it('reverts a new version that crashes at start: the old executable is back and reconnects', async () => {
    const before = sha(agentExe);
    const cmd = await rollOut('0.3.0');
    expect(cmd.state, cmd.errorMessage ?? '').toBe('failed');
    expect(cmd.errorCode).toBe('PF_ERR_UPDATE_REVERTED');
    expect(cmd.errorMessage).toMatch(/exited with code 3/);
    expect(sha(agentExe)).toBe(before);
    expect(existsSync(join(stateDir, 'update', 'pending.json'))).toBe(false);
    await waitFor(async () => {
      const s = await sessionVersion();
      return s.online && s.version === '0.1.0';
    }, 'the old agent to reconnect after the revert', 60_000);
    expect(agent?.child.exitCode).toBeNull();
  });

  it('updates 0.1.0 to 0.2.0: the executable is replaced, the host reconnects as 0.2.0, the command succeeds', async () => {
    const cmd = await rollOut('0.2.0');
    expect(cmd.state, `${cmd.errorCode}: ${cmd.errorMessage}`).toBe('succeeded');
    expect(sha(agentExe)).toBe(sha(v2.linux));
    expect(sha(`${agentExe}.prev`)).toBe(sha(exes.linux));
    await waitFor(async () => {
      const s = await sessionVersion();
      return s.online && s.version === '0.2.0';
    }, 'the host to reconnect as 0.2.0', 60_000);
    // The old process handed over and exited 0; the new one runs from the same path.
    await waitFor(() => agent?.child.exitCode === 0, 'the old agent process to exit 0', 30_000);
    const version = await runExe(agentExe, ['version'], exeEnv(join(dir, 'bin')));
    expect(version.stdout).toMatch(/patchfleet-agent 0\.2\.0/);
  });
});
