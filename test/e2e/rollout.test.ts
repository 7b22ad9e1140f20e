/**
 * A real rollout, ring by ring, with real apt and dpkg: a local apt
 * repository holds pf-test-rollout 1.0 and 2.0; three agent processes (one
 * on this machine's own dpkg database, two on isolated dpkg roots) start on
 * 1.0 and are pinned to the rings Test, First and Fast. The controller runs
 * its rollout schedule on a virtual clock (600x: a virtual hour is 6 s) so
 * maintenance windows, soak times and an approval gate play out in seconds.
 * Mid-rollout the controller is killed with SIGKILL and started again; in the
 * end every host installed 2.0 exactly once (agent journals, command rows and
 * dpkg's own log agree), then a rollback returns every host to 1.0, read
 * back with dpkg-query. Needs root (CI runs as root).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Bootstrap } from '../support/api';
import { initDpkgRoot } from '@patchfleet/agent/src/act/linux/dpkg-root';
import { buildLocalAptRepo, type LocalAptRepo } from '../support/apt-repo';
import { installedVersion as dpkgInstalledVersion } from '../support/dpkg';
import { createTestDatabaseUrl } from '../support/db';
import { freePort, runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

const PKG = 'pf-test-rollout';
const SPEED = 600;
// Monday 00:05 UTC on the virtual timeline: the Test ring's window (minutes 0-19 of every hour) is open.
const VIRTUAL_START = Date.parse('2026-12-07T00:05:00Z');
const HOUR = 3_600_000;

interface Agent {
  name: 'A' | 'B' | 'C';
  ring: 'Test' | 'First' | 'Fast';
  stateDir: string;
  root: string | undefined;
  id: string;
  proc?: ReturnType<typeof startAgentProcess>;
}

interface CommandView {
  id: string;
  action: string;
  state: string;
  issuedAt: string;
  finishedAt: string | null;
  rolloutId: string | null;
  deliveries: number;
  result: { replaced?: { name: string; from: string | null; to: string | null }[] } | null;
}

let dir = '';
let repo: LocalAptRepo;
let dbUrl: string | undefined;
let dropDb: () => Promise<void> = async () => undefined;
let controller: ControllerProcess;
let boot: Bootstrap;
let dataDir = '';
let realStart = 0;
let realLogOffset = 0;
let port = 0;
const agents: Agent[] = [];

function controllerEnv(): NodeJS.ProcessEnv {
  return {
    PATCHFLEET_ROLLOUT_CLOCK: `${new Date(VIRTUAL_START).toISOString()},${new Date(realStart).toISOString()},${SPEED}`,
    PATCHFLEET_ROLLOUT_TICK_SEC: '1',
    PATCHFLEET_HEARTBEAT_SEC: '2',
  };
}

/** Rollout-clock time of a wall-clock instant, as the controller computes it. */
function virtualOf(iso: string): number {
  return VIRTUAL_START + (Date.parse(iso) - realStart) * SPEED;
}

const installedVersion = (root: string | undefined): string | undefined => dpkgInstalledVersion(PKG, root);

/** dpkg's own log of this package's upgrades, in a root or (from the test's start) on the machine. */
function dpkgLogLines(root: string | undefined, what: RegExp): string[] {
  const file = root ? join(root, 'var/log/dpkg.log') : '/var/log/dpkg.log';
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8').slice(root ? 0 : realLogOffset);
  return text.split('\n').filter((l) => what.test(l));
}

function journal(agent: Agent): { commandId: string; state: string; command: { action: string; params: unknown } }[] {
  const jdir = join(agent.stateDir, 'journal');
  if (!existsSync(jdir)) return [];
  return readdirSync(jdir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(jdir, f), 'utf8')) as { commandId: string; state: string; command: { action: string; params: unknown } });
}

async function commandsOf(agent: Agent): Promise<CommandView[]> {
  const res = await api<{ items: CommandView[] }>(boot, 'GET', `/api/v1/hosts/${agent.id}/commands`);
  expect(res.status).toBe(200);
  return res.body.items;
}

async function rolloutStatus(id: string): Promise<{ state: string; rings: { ring: string; state: string; note: string | null; hosts: Record<string, number> }[]; hosts: Record<string, number> }> {
  const res = await api<{ state: string; rings: { ring: string; state: string; note: string | null; hosts: Record<string, number> }[]; hosts: Record<string, number> }>(boot, 'GET', `/api/v1/rollouts/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

function cliConn(): string[] {
  return ['--data-dir', dataDir];
}

function startAgent(a: Agent): void {
  a.proc = startAgentProcess(a.stateDir, ['--interval', '3s', '--apt-config', repo.aptConfigFile, '--apt-timeout', '120s', ...(a.root ? ['--dpkg-root', a.root] : [])]);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('rollout.test.ts installs packages with apt-get and dpkg: run it as root (CI does)');
  dir = mkdtempSync(join(tmpdir(), 'pf-rollout-'));
  repo = buildLocalAptRepo({ dir, packageName: PKG, versions: ['1.0', '2.0'] });
  const deb1 = join(repo.repoDir, `${PKG}_1.0_all.deb`);
  execFileSync('dpkg', ['--purge', PKG], { stdio: 'pipe' });
  realLogOffset = existsSync('/var/log/dpkg.log') ? statSync('/var/log/dpkg.log').size : 0;
  execFileSync('dpkg', ['-i', deb1], { stdio: 'pipe' });

  const db = await createTestDatabaseUrl();
  dbUrl = db.url;
  dropDb = db.drop;
  dataDir = join(dir, 'controller');
  realStart = Date.now();
  port = await freePort();
  controller = await startControllerProcess({ dataDir, databaseUrl: dbUrl, env: controllerEnv(), extraArgs: ['--port', String(port)] });
  boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;

  const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', { uses: 3 })).body.token;
  // The three enrollments are independent CLI processes (seconds each under load): run side by side.
  const enrolledAgents = await Promise.all(
    ([['A', 'Test'], ['B', 'First'], ['C', 'Fast']] as const).map(async ([name, ring]) => {
      const stateDir = join(dir, `agent-${name}`);
      // A patches this machine; B and C each patch an isolated dpkg root holding 1.0.
      const root = name === 'A' ? undefined : join(dir, `root-${name}`);
      const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
      expect(enrolled.code, enrolled.stderr).toBe(0);
      const id = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
      return { name, ring, stateDir, root, id };
    }),
  );
  agents.push(...enrolledAgents);
  for (const a of agents) {
    if (a.root) {
      // Seed the root with 1.0 the way an admin would, with dpkg itself (its own log, so dpkg.log counts only the agent's work).
      await initDpkgRoot(a.root);
      execFileSync('dpkg', [`--root=${a.root}`, `--log=${join(a.root, 'var/log/dpkg-seed.log')}`, '-i', deb1], { stdio: 'pipe', env: { ...process.env, DPKG_ROOT: a.root } });
    }
    startAgent(a);
  }

  // Rings for the test: short windows on the virtual clock, no deferral, reboots never (this is a CI machine).
  const ringFlags: Record<string, string[]> = {
    Test: ['--window', '0 * * * *;UTC;20', '--soak-hours', '1', '--min-hosts-done', '1', '--max-failure-rate', '0'],
    First: ['--window', '30 * * * *;UTC;20', '--deferral-days', '0', '--soak-hours', '1', '--min-hosts-done', '1', '--max-failure-rate', '0'],
    Fast: ['--window', '0 */2 * * *;UTC;30', '--deferral-days', '0', '--soak-hours', '0', '--min-hosts-done', '1', '--approval'],
    Broad: ['--deferral-days', '0', '--soak-hours', '0'],
  };
  for (const [ring, flags] of Object.entries(ringFlags)) {
    const set = await runCli('controller', ['rings', 'set', ring, ...flags, '--reboot', 'never', ...cliConn()]);
    expect(set.code, set.stderr).toBe(0);
  }
  for (const a of agents) {
    const pin = await runCli('controller', ['rings', 'assign', '--pin', a.id, '--ring', a.ring, ...cliConn()]);
    expect(pin.code, pin.stderr).toBe(0);
  }
  // Every agent online and reporting 1.0 of the test package.
  for (const a of agents) {
    await waitFor(
      async () => {
        const res = await api<{ items: { name: string; version: string }[] }>(boot, 'GET', `/api/v1/hosts/${a.id}/packages?q=${PKG}`);
        return res.status === 200 && res.body.items.some((p) => p.name === PKG && p.version === '1.0');
      },
      `agent ${a.name} to report ${PKG} 1.0`,
      60_000,
    );
  }
}, 300_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.proc?.stop()));
  await controller?.stop();
  if (process.getuid?.() === 0) execFileSync('dpkg', ['--purge', PKG], { stdio: 'pipe' });
  await dropDb();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** On a timeout, show where the rollout and each host's commands stood. */
async function explain<T>(p: Promise<T>, rolloutId: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const state = await api(boot, 'GET', `/api/v1/rollouts/${rolloutId}/hosts`).catch((e: unknown) => String(e));
    const ro = await api(boot, 'GET', `/api/v1/rollouts/${rolloutId}`).catch((e: unknown) => String(e));
    const cmds = await Promise.all(agents.map(async (a) => ({ agent: a.name, commands: await commandsOf(a).catch((e: unknown) => String(e)) })));
    throw new Error(`${(err as Error).message}\nrollout: ${JSON.stringify(ro)}\nhosts: ${JSON.stringify(state)}\ncommands: ${JSON.stringify(cmds)}\nagent B log tail: ${agents[1]?.proc?.output().slice(-2500)}`);
  }
}

describe('a rollout ring by ring with real apt and dpkg', () => {
  let rolloutId = '';

  it('rolls 2.0 out ring by ring inside windows, survives a SIGKILL of the controller, and installs exactly once per host', async () => {
    const started = await runCli('controller', ['rollout', 'start', '--package', `${PKG}=2.0`, '--name', 'pf-test-rollout 2.0', '--json', ...cliConn()]);
    expect(started.code, started.stderr).toBe(0);
    const view = JSON.parse(started.stdout) as { id: string; rings: { ring: string; approvals: { needed: number } }[]; hosts: Record<string, number> };
    rolloutId = view.id;
    // The first planner round may already have ordered host A by the time the answer is built.
    expect(Object.values(view.hosts).reduce((x, y) => x + y, 0)).toBe(3);
    expect(view.rings.find((r) => r.ring === 'Fast')?.approvals.needed).toBe(1);

    const [a, b, c] = agents as [Agent, Agent, Agent];
    // Test ring first: A gets 2.0 while B and C are untouched.
    await waitFor(() => installedVersion(a.root) === '2.0', 'host A (Test ring) to reach 2.0', 60_000);
    expect(installedVersion(b.root)).toBe('1.0');
    expect(installedVersion(c.root)).toBe('1.0');

    // Kill the controller the moment the First ring has ordered B's install.
    await waitFor(async () => (await commandsOf(b)).some((cmd) => cmd.action === 'install'), 'the First ring to order host B', 60_000);
    const killed = await controller.stop('SIGKILL');
    expect(killed).toBeNull();
    controller = await startControllerProcess({ dataDir, databaseUrl: dbUrl, env: controllerEnv(), extraArgs: ['--port', String(port)] });
    boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;

    await waitFor(() => installedVersion(b.root) === '2.0', 'host B (First ring) to reach 2.0 after the restart', 90_000);
    // Fast needs an approval: it waits, and C stays on 1.0, until an admin gives it.
    const waiting = await explain(
      waitFor(async () => {
        const s = await rolloutStatus(rolloutId);
        return s.rings.find((r) => r.ring === 'Fast' && r.state === 'scheduled' && r.note?.startsWith('awaiting approval')) ? s : undefined;
      }, 'the Fast ring to wait for approval', 60_000),
      rolloutId,
    );
    expect(waiting.rings.find((r) => r.ring === 'Fast')?.hosts.pending).toBe(1);
    expect(installedVersion(c.root)).toBe('1.0');
    expect((await commandsOf(c)).filter((cmd) => cmd.action === 'install')).toEqual([]);

    const approved = await runCli('controller', ['rollout', 'approve', rolloutId, '--ring', 'Fast', '--comment', 'e2e', ...cliConn()]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('1 of 1');
    const again = await runCli('controller', ['rollout', 'approve', rolloutId, '--ring', 'Fast', ...cliConn()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('PF_ERR_ALREADY_APPROVED');

    await explain(waitFor(async () => (await rolloutStatus(rolloutId)).state === 'completed', 'the rollout to complete', 120_000), rolloutId);
    for (const agent of agents) expect(installedVersion(agent.root), `host ${agent.name}`).toBe('2.0');

    // Windows and order, on the virtual clock: each install was ordered inside its ring's window, after the previous ring's soak.
    const installs = new Map<string, CommandView>();
    for (const agent of agents) {
      const mine = (await commandsOf(agent)).filter((cmd) => cmd.action === 'install' && cmd.rolloutId === rolloutId);
      // Exactly one install command per host, though the controller died mid-rollout.
      expect(mine.map((cmd) => cmd.state), `install commands of ${agent.name}`).toEqual(['succeeded']);
      installs.set(agent.name, mine[0] as CommandView);
      expect(mine[0]?.result?.replaced).toEqual([{ name: PKG, from: '1.0', to: '2.0' }]);
    }
    // Each wave's audit entry says when (rollout clock) the round decided it: that instant must be inside the
    // ring's window. The command's issuedAt is stamped later in the same round (gates, decisions and scores run
    // in it too; at 600x a loaded machine's 0.7 s is 7 virtual minutes), so it is not what the window bounds.
    const waves = await api<{ items: { action: string; targetId: string | null; details: { hosts?: string[]; decidedAt?: string; windowEnd?: string | null } }[] }>(boot, 'GET', `/api/v1/audit?action=rollout.wave&limit=500`);
    expect(waves.status).toBe(200);
    const decidedAt = (agent: Agent): number => {
      const entry = waves.body.items.find((e) => e.action === 'rollout.wave' && e.targetId === rolloutId && e.details.hosts?.includes(agent.id));
      expect(entry?.details.decidedAt, `the wave that ordered host ${agent.name}`).toBeTypeOf('string');
      return Date.parse(entry?.details.decidedAt as string);
    };
    const [da, db, dc] = [decidedAt(a), decidedAt(b), decidedAt(c)];
    const minute = (ms: number) => new Date(ms).getUTCMinutes();
    expect(minute(da)).toBeLessThan(20);
    expect(minute(db)).toBeGreaterThanOrEqual(30);
    expect(minute(db)).toBeLessThan(50);
    expect(new Date(dc).getUTCHours() % 2).toBe(0);
    expect(minute(dc)).toBeLessThan(30);
    const ia = installs.get('A') as CommandView;
    const ib = installs.get('B') as CommandView;
    // Each command was issued in (not before) the round that decided it.
    for (const [cmd, at] of [[ia, da], [ib, db], [installs.get('C') as CommandView, dc]] as const) {
      expect(virtualOf(cmd.issuedAt)).toBeGreaterThanOrEqual(at - SPEED); // SPEED: one wall-clock millisecond of rounding
    }
    // Soak of an hour between Test finishing and First starting.
    expect(virtualOf(ib.issuedAt) - virtualOf(ia.finishedAt as string)).toBeGreaterThanOrEqual(HOUR - 2 * SPEED * 1000);

    // At most once: each agent's journal holds one install, and dpkg logged one upgrade per database.
    for (const agent of agents) {
      const entries = journal(agent).filter((e) => e.command.action === 'install');
      expect(entries.map((e) => e.state), `journal of ${agent.name}`).toEqual(['succeeded']);
      expect(dpkgLogLines(agent.root, new RegExp(`status installed ${PKG}:all 2\\.0`)), `dpkg log of ${agent.name}`).toHaveLength(1);
    }
  }, 420_000);

  it('rolls every host back to 1.0 and records it all in the audit log', async () => {
    const rb = await runCli('controller', ['rollout', 'rollback', rolloutId, '--reason', 'e2e rollback', '--json', ...cliConn()]);
    expect(rb.code, rb.stderr).toBe(0);
    await explain(waitFor(async () => (await rolloutStatus(rolloutId)).state === 'rolled-back', 'the rollback to finish', 120_000), rolloutId);
    for (const agent of agents) {
      expect(installedVersion(agent.root), `host ${agent.name}`).toBe('1.0');
      const rollbacks = (await commandsOf(agent)).filter((cmd) => cmd.action === 'rollback');
      expect(rollbacks.map((cmd) => cmd.state)).toEqual(['succeeded']);
      expect(rollbacks[0]?.result?.replaced).toEqual([{ name: PKG, from: '2.0', to: '1.0' }]);
    }
    const status = await runCli('controller', ['rollout', 'status', rolloutId, '--hosts', ...cliConn()]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('rolled-back');

    const audit = await api<{ items: { action: string; actor: string }[] }>(boot, 'GET', `/api/v1/audit?limit=500`);
    const actions = audit.body.items.map((e) => e.action);
    for (const expected of ['rollout.start', 'rollout.ring.installing', 'rollout.ring.soaking', 'rollout.ring.passed', 'rollout.approve', 'rollout.completed', 'rollout.rollback', 'rollout.rolled-back', 'command.issue', 'command.succeeded', 'ring.update']) {
      expect(actions, expected).toContain(expected);
    }
  }, 180_000);
});
