/**
 * The health loop for real: a local apt repository holds pf-test-health 1.0
 * and 2.0; five agent processes, each on its own dpkg root holding 1.0, report
 * health every 2 s. Hosts of the class "web" (role=web) run a command probe
 * that checks the app is healthy (their root's version file says 1.0): 2.0
 * breaks it. Hosts of the class "db" have a probe 2.0 does not break.
 *
 * The rollout installs 2.0 in Test (two web hosts and one db host); a third
 * web host and a second db host wait in First. The gate compares the patched
 * web hosts with the unpatched one over the same hours, trips, blocks 2.0 for
 * the web class, and the agents roll back to 1.0 without anyone asking
 * (read back with dpkg-query); the incident and the fall of the reliability
 * score are visible through the API, and the db class goes on to First.
 * Needs root (CI runs as root).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initDpkgRoot } from '@patchfleet/agent/src/act/linux/dpkg-root';
import { api, type Bootstrap } from '../support/api';
import { buildLocalAptRepo, type LocalAptRepo } from '../support/apt-repo';
import { installedVersion as dpkgInstalledVersion } from '../support/dpkg';
import { createTestDatabaseUrl } from '../support/db';
import { freePort, runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';

const PKG = 'pf-test-health';
const PATCH = `pkg:${PKG}=2.0`;
// The rollout clock runs 60x (a virtual hour is a minute) so the Test ring's soak plays out in minutes; health times stay wall-clock.
const SPEED = 60;
// Test soaks 1 virtual hour, doubled to 2 (2 minutes) while the new patch has low confidence (the decision is cautious).

interface Agent {
  name: string;
  role: 'web' | 'db';
  ring: 'Test' | 'First';
  stateDir: string;
  root: string;
  id: string;
  proc?: ReturnType<typeof startAgentProcess>;
}

let dir = '';
let repo: LocalAptRepo;
let dropDb: () => Promise<void> = async () => undefined;
let controller: ControllerProcess;
let boot: Bootstrap;
let dataDir = '';
const agents: Agent[] = [];

const installedVersion = (root: string): string | undefined => dpkgInstalledVersion(PKG, root);

const byName = (name: string): Agent => agents.find((a) => a.name === name) as Agent;
const cliConn = (): string[] => ['--data-dir', dataDir];

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('health-gate.test.ts installs packages with apt-get and dpkg: run it as root (CI does)');
  dir = mkdtempSync(join(tmpdir(), 'pf-health-'));
  repo = buildLocalAptRepo({ dir, packageName: PKG, versions: ['1.0', '2.0'] });
  const deb1 = join(repo.repoDir, `${PKG}_1.0_all.deb`);

  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  dataDir = join(dir, 'controller');
  const port = await freePort();
  controller = await startControllerProcess({
    dataDir,
    databaseUrl: db.url,
    env: { PATCHFLEET_ROLLOUT_CLOCK: `${new Date().toISOString()},${new Date().toISOString()},${SPEED}`, PATCHFLEET_ROLLOUT_TICK_SEC: '1', PATCHFLEET_HEARTBEAT_SEC: '2' },
    extraArgs: ['--port', String(port)],
  });
  boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;

  // Samples every 2 s, set centrally before any agent connects.
  const settings = await api(boot, 'PUT', '/api/v1/settings/health', { intervalSec: 2 });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);

  const plan: [string, Agent['role'], Agent['ring']][] = [
    ['W1', 'web', 'Test'],
    ['W2', 'web', 'Test'],
    ['D1', 'db', 'Test'],
    ['W3', 'web', 'First'],
    ['D2', 'db', 'First'],
  ];
  for (const [name, role, ring] of plan) {
    const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', { uses: 1, labels: { role, probe: name } })).body.token;
    const stateDir = join(dir, `agent-${name}`);
    const enrolled = await runCli('agent', ['enroll', '--server', boot.url.replace('https:', 'wss:'), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const id = (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
    const root = join(dir, `root-${name}`);
    await initDpkgRoot(root);
    execFileSync('dpkg', [`--root=${root}`, `--log=${join(root, 'var/log/dpkg-seed.log')}`, '-i', deb1], { stdio: 'pipe', env: { ...process.env, DPKG_ROOT: root } });
    agents.push({ name, role, ring, stateDir, root, id });
  }

  // The probes: web hosts check their app (2.0 breaks it); db hosts check something 2.0 leaves alone.
  for (const a of agents) {
    const argv = a.role === 'web' ? ['grep', '-qx', '1.0', join(a.root, repo.versionFile)] : ['test', '-s', join(a.root, repo.versionFile)];
    const probe = await api(boot, 'POST', '/api/v1/probes', { name: `app-${a.name}`, kind: 'command', argv, timeoutMs: 5000, scope: { labels: { probe: a.name } } });
    expect(probe.status, JSON.stringify(probe.body)).toBe(201);
  }

  // Rings (through the API: a CLI process per setting costs seconds): no windows, no deferral; Test soaks
  // long enough for the gate to see the harm; reboots never (a CI machine).
  const ringSettings: Record<string, Record<string, unknown>> = {
    Test: { soakHours: 1, promotion: { minHostsDone: 1, maxFailureRate: 0.5 }, health: { rollback: 'harmed' } },
    First: { soakHours: 0, promotion: { minHostsDone: 1, maxFailureRate: 0 } },
    Fast: { soakHours: 0 },
    Broad: { soakHours: 0 },
  };
  const rings = (await api<{ items: { id: string; name: string; reboot: { deadlineHours: number } }[] }>(boot, 'GET', '/api/v1/rings')).body.items;
  for (const [name, settings] of Object.entries(ringSettings)) {
    const ring = rings.find((r) => r.name === name);
    expect(ring, `ring ${name}`).toBeDefined();
    const set = await api(boot, 'PATCH', `/api/v1/rings/${ring!.id}`, { windows: [], deferralDays: 0, reboot: { policy: 'never', deadlineHours: ring!.reboot.deadlineHours }, ...settings });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
  }
  for (const a of agents) {
    const pin = await api(boot, 'PUT', `/api/v1/hosts/${a.id}/ring`, { ring: a.ring });
    expect(pin.status, JSON.stringify(pin.body)).toBe(200);
    a.proc = startAgentProcess(a.stateDir, ['--interval', '5s', '--apt-config', repo.aptConfigFile, '--apt-timeout', '120s', '--dpkg-root', a.root]);
  }
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
}, 240_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.proc?.stop()));
  await controller?.stop();
  await dropDb();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface RolloutView {
  state: string;
  rings: { ring: string; state: string; note: string | null; hosts: Record<string, number> }[];
}

async function rolloutView(id: string): Promise<RolloutView> {
  const res = await api<RolloutView>(boot, 'GET', `/api/v1/rollouts/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function commandsOf(a: Agent): Promise<{ action: string; state: string; rolloutId: string | null }[]> {
  const res = await api<{ items: { action: string; state: string; rolloutId: string | null }[] }>(boot, 'GET', `/api/v1/hosts/${a.id}/commands`);
  expect(res.status).toBe(200);
  return res.body.items;
}

/** On a timeout, show where the rollout, its hosts and the agents stood. */
async function explain<T>(p: Promise<T>, rolloutId: string): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const hosts = await api(boot, 'GET', `/api/v1/rollouts/${rolloutId}/hosts`).catch((e: unknown) => String(e));
    const ro = await api(boot, 'GET', `/api/v1/rollouts/${rolloutId}`).catch((e: unknown) => String(e));
    const health = await api(boot, 'GET', `/api/v1/hosts/${byName('W1').id}/health?resolution=raw`).catch((e: unknown) => String(e));
    throw new Error(`${(err as Error).message}\nrollout: ${JSON.stringify(ro)}\nhosts: ${JSON.stringify(hosts)}\nW1 health: ${JSON.stringify(health).slice(0, 3000)}\ncontroller log tail: ${controller.output().slice(-4000)}`);
  }
}

describe('health gates with real apt, dpkg and agents', () => {
  it('trips on the broken probe, blocks 2.0 for the web class, rolls its hosts back by itself, and lets the db class go on', async () => {
    const started = await runCli('controller', ['rollout', 'start', '--package', `${PKG}=2.0`, '--name', `${PKG} 2.0`, '--json', ...cliConn()]);
    expect(started.code, started.stderr).toBe(0);
    const rolloutId = (JSON.parse(started.stdout) as { id: string }).id;
    const [w1, w2, d1, w3, d2] = ['W1', 'W2', 'D1', 'W3', 'D2'].map(byName) as [Agent, Agent, Agent, Agent, Agent];

    // Test ring: both web hosts and the db host get 2.0; First waits for Test's soak.
    await explain(waitFor(() => [w1, w2, d1].every((a) => installedVersion(a.root) === '2.0'), 'the Test ring to install 2.0', 120_000), rolloutId);
    expect(installedVersion(w3.root)).toBe('1.0');
    expect(installedVersion(d2.root)).toBe('1.0');
    // The patch is scored from the moment it rolls out (a package of no catalog: no prior signals, no fleet evidence yet).
    const before = await api<{ score: number; history: { score: number }[] }>(boot, 'GET', `/api/v1/patches/${encodeURIComponent(PATCH)}/reliability`);
    expect(before.status, JSON.stringify(before.body)).toBe(200);

    // The web hosts' probe fails from now on; the gate compares them with W3 (web, not yet patched) and trips.
    const blocks = await explain(
      waitFor(async () => {
        const res = await api<{ items: { id: string; patchId: string; hostClass: string | null; state: string; incidentId: string | null; reason: string }[] }>(boot, 'GET', '/api/v1/blocks?state=active');
        return res.body.items.length > 0 ? res.body.items : undefined;
      }, 'the gate to block 2.0 for the web class', 180_000),
      rolloutId,
    );
    expect(blocks).toHaveLength(1);
    const block = blocks[0] as (typeof blocks)[number];
    expect(block.patchId).toBe(PATCH);
    expect(block.hostClass).toContain('"web"');

    // The web hosts go back to 1.0 without anyone asking; W3 never gets 2.0.
    await explain(waitFor(() => installedVersion(w1.root) === '1.0' && installedVersion(w2.root) === '1.0', 'the web hosts to roll back to 1.0', 120_000), rolloutId);
    for (const a of [w1, w2]) {
      // dpkg has the old version a moment before the agent reports its command done.
      const rollbacks = await waitFor(async () => {
        const mine = (await commandsOf(a)).filter((c) => c.action === 'rollback');
        return mine.every((c) => c.state === 'succeeded' || c.state === 'failed') ? mine : undefined;
      }, `the rollback of ${a.name} to be reported`, 60_000);
      expect(rollbacks.map((c) => c.state), `rollbacks of ${a.name}`).toEqual(['succeeded']);
    }

    // The db class keeps going: D2 (First) gets 2.0 once Test has soaked; D1 keeps it.
    await explain(waitFor(() => installedVersion(d2.root) === '2.0', 'the db host of the First ring to get 2.0', 300_000), rolloutId);
    expect(installedVersion(d1.root)).toBe('2.0');
    expect(installedVersion(w3.root)).toBe('1.0');
    expect((await commandsOf(w3)).filter((c) => c.action === 'install')).toEqual([]);
    const hosts = await api<{ items: { hostId: string; state: string }[] }>(boot, 'GET', `/api/v1/rollouts/${rolloutId}/hosts`);
    expect(hosts.body.items.find((h) => h.hostId === w3.id)?.state).toBe('blocked');

    // The incident says why, with the evidence.
    const incident = await api<{ id: string; patchId: string; gate: string; summary: string; evidence: Record<string, unknown>; harmedHosts: string[]; timeline: { event: string }[] }>(boot, 'GET', `/api/v1/incidents/${block.incidentId}`);
    expect(incident.status).toBe(200);
    expect(incident.body.patchId).toBe(PATCH);
    expect(incident.body.gate).toBe('probe-failure');
    expect(incident.body.summary).toMatch(/probe failures/);
    expect([...incident.body.harmedHosts].sort()).toEqual([w1.id, w2.id].sort());

    // The score fell, and its history shows it.
    const after = await api<{ score: number; history: { score: number }[]; reasons: string[] }>(boot, 'GET', `/api/v1/patches/${encodeURIComponent(PATCH)}/reliability`);
    expect(after.status).toBe(200);
    expect(after.body.score, JSON.stringify(after.body)).toBeLessThan(before.body.score);
    expect(Math.max(...after.body.history.map((h) => h.score))).toBeGreaterThan(after.body.score);
    expect(after.body.reasons.join(' ')).toMatch(/probe|harm|rolled back/i);

    // What an operator sees, printed for the README.
    for (const cmd of [['blocks', 'list'], ['incidents', 'show', incident.body.id]]) {
      const out = await runCli('controller', [...cmd, ...cliConn()]);
      expect(out.code, out.stderr).toBe(0);
      console.log(`$ patchfleet ${cmd.join(' ')}\n${out.stdout}`);
    }
    const view = await rolloutView(rolloutId);
    expect(view.rings.find((r) => r.ring === 'First')?.state).not.toBe('waiting');
  }, 900_000);
});
