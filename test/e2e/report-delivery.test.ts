/**
 * How reports get from a real agent process to a real controller when things
 * go wrong (issue points 1, 5 and 9), on PGlite, or on PostgreSQL with
 * DATABASE_URL:
 *
 * - the controller's `welcome` comes late (a slow database): a collection in
 *   that window must not leave a report marked in flight for the whole session;
 * - the inventory holds a NUL: an error frame, never a 1011 close, and the
 *   report leaves the outbox instead of being resent forever;
 * - a state directory holding only a copied identity.json numbers its reports
 *   from 1 again: its full report must not be taken for a duplicate.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initDpkgRoot } from '@patchfleet/agent/src/act/linux/dpkg-root';
import { api, type Bootstrap } from '../support/api';
import { createTestDatabaseUrl, seedPgliteDataDir } from '../support/db';
import { runCli, startAgentProcess, startControllerProcess, waitFor, type ControllerProcess } from '../support/processes';
import { startWelcomeDelayProxy, type WelcomeDelayProxy } from '../support/welcome-delay-proxy';

let dir: string;
let dropDb: () => Promise<void>;
let controller: ControllerProcess;
let boot: Bootstrap;
const agents: { stop(): Promise<number | null> }[] = [];

interface HostView {
  lastSeq: number;
  packageCount: number;
  online: boolean;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-delivery-'));
  const db = await createTestDatabaseUrl();
  dropDb = db.drop;
  // A migrated PGlite from the template: the controller skips initdb and the migrations (seconds).
  if (db.url === undefined) await seedPgliteDataDir(join(dir, 'controller'));
  controller = await startControllerProcess({ dataDir: join(dir, 'controller'), databaseUrl: db.url });
  boot = JSON.parse(readFileSync(join(dir, 'controller', 'bootstrap.json'), 'utf8')) as Bootstrap;
}, 90_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await controller?.stop();
  await dropDb?.();
  rmSync(dir, { recursive: true, force: true });
});

const wss = () => boot.url.replace('https:', 'wss:');

/** Enrolls a new agent in `stateDir` and returns its id. */
async function enroll(stateDir: string): Promise<string> {
  const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
  const r = await runCli('agent', ['enroll', '--server', wss(), '--token', token, '--ca-fingerprint', boot.caFingerprint, '--state-dir', stateDir]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as { agentId: string }).agentId;
}

/** Writes a dpkg status file listing `names` (version 1.0) as installed. */
function writeStatus(root: string, names: string[]): void {
  const stanza = (n: string) => `Package: ${n}\nStatus: install ok installed\nPriority: optional\nSection: misc\nMaintainer: Patchfleet Tests <tests@patchfleet.invalid>\nArchitecture: all\nVersion: 1.0\nDescription: report delivery test package\n\n`;
  writeFileSync(join(root, 'var/lib/dpkg/status'), names.map(stanza).join(''));
}

async function dpkgRoot(name: string, packages: string[]): Promise<string> {
  const root = join(dir, name);
  await initDpkgRoot(root);
  writeStatus(root, packages);
  return root;
}

const host = async (agentId: string) => (await api<HostView>(boot, 'GET', `/api/v1/hosts/${agentId}`)).body;
const packageNames = async (agentId: string) => (await api<{ items: { name: string }[] }>(boot, 'GET', `/api/v1/hosts/${agentId}/packages?limit=200`)).body.items.map((p) => p.name).sort();

/** The controller's log lines (pino JSON) with `msg`, about `agentId`. */
function controllerLog(msg: string, agentId: string): Record<string, unknown>[] {
  return controller
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((l) => l.msg === msg && l.agentId === agentId);
}

const outboxFiles = (stateDir: string) => (existsSync(join(stateDir, 'outbox')) ? readdirSync(join(stateDir, 'outbox')) : []);

describe('a late welcome (issue point 1)', () => {
  let proxy: WelcomeDelayProxy | undefined;
  afterAll(async () => proxy?.close());

  it('reports queued while the welcome is held back are sent after it, in every session', { timeout: 120_000 }, async () => {
    const stateDir = join(dir, 'late-welcome');
    const agentId = await enroll(stateDir);
    const root = await dpkgRoot('late-welcome-root', ['pf-late-a']);
    const tls = join(dir, 'controller', 'tls');
    const identityPath = join(stateDir, 'identity.json');
    const identity = JSON.parse(readFileSync(identityPath, 'utf8')) as { wsUrl: string };
    // 8 s: long enough for a collection round (1 s apart, 2 s each on a loaded 2-core machine) to queue a report while the welcome is held.
    proxy = await startWelcomeDelayProxy({ controllerWsUrl: identity.wsUrl, cert: readFileSync(join(tls, 'cert.pem'), 'utf8'), key: readFileSync(join(tls, 'key.pem'), 'utf8'), delayMs: 8000 });
    writeFileSync(identityPath, JSON.stringify({ ...identity, wsUrl: proxy.wsUrl }));
    const p = proxy;

    const agent = startAgentProcess(stateDir, ['--dpkg-root', root, '--interval', '1s', '--no-commands']);
    agents.push(agent);
    const explain = async <T>(what: Promise<T>): Promise<T> => {
      try {
        return await what;
      } catch (err) {
        throw new Error(`${(err as Error).message}\nframes from the agent: ${JSON.stringify(p.fromAgent)}\nagent log:\n${agent.output().slice(-4000)}`, { cause: err });
      }
    };

    // Authenticated at the controller, the welcome held: the agent collects (every second) and finds a change.
    await explain(waitFor(() => p.fromAgent.some((f) => f.type === 'auth'), 'the agent to authenticate'));
    writeStatus(root, ['pf-late-a', 'pf-late-b']);
    await explain(waitFor(() => outboxFiles(stateDir).length >= 2, 'a second report to be queued before the welcome'));
    expect(p.welcomesReleased).toHaveLength(0);

    const after = await explain(waitFor(async () => {
      const h = await host(agentId);
      return h.lastSeq >= 2 && h.packageCount === 2 ? h : undefined;
    }, 'both reports to arrive after the welcome', 30_000));
    expect(after.online).toBe(true);
    expect(await packageNames(agentId)).toEqual(['pf-late-a', 'pf-late-b']);
    // Nothing but the handshake went out before the welcome.
    const firstWelcome = p.welcomesReleased[0] as number;
    expect(p.fromAgent.filter((f) => f.type === 'inventory').every((f) => f.at >= firstWelcome)).toBe(true);
    await explain(waitFor(() => outboxFiles(stateDir).length === 0, 'the outbox to empty'));

    // A new session (the link drops) starts clean too: another change during the next held welcome arrives.
    p.disconnect();
    await explain(waitFor(() => p.fromAgent.filter((f) => f.type === 'auth').length >= 2, 'the agent to authenticate again'));
    writeStatus(root, ['pf-late-a', 'pf-late-b', 'pf-late-c']);
    await explain(waitFor(() => outboxFiles(stateDir).length >= 1, 'a report to be queued before the second welcome'));
    expect(p.welcomesReleased).toHaveLength(1);
    await explain(waitFor(async () => (await host(agentId)).packageCount === 3, 'the report to arrive after the second welcome', 30_000));
    expect(await packageNames(agentId)).toEqual(['pf-late-a', 'pf-late-b', 'pf-late-c']);
    const secondWelcome = p.welcomesReleased[1] as number;
    const secondSession = p.fromAgent.filter((f) => f.at > firstWelcome && f.type === 'inventory' && f.at < secondWelcome);
    // between the disconnect and the second welcome, no inventory frame was sent (the first session's last ones came before the disconnect)
    expect(secondSession.every((f) => f.at < secondWelcome - 3000)).toBe(true);
    await agent.stop();
  });
});

describe('an inventory holding a NUL (issue point 5)', () => {
  it('gets an error frame, not a 1011 close; the report leaves the outbox; the agent moves on', { timeout: 120_000 }, async () => {
    const stateDir = join(dir, 'nul');
    const agentId = await enroll(stateDir);
    const root = await dpkgRoot('nul-root', ['pf-nul-ok']);
    // dpkg itself cuts strings at a NUL; a damaged database or a wrapper can still print one.
    // This dpkg-query prints the real rows, plus one whose version holds a NUL while the flag file exists.
    const bin = join(dir, 'nul-bin');
    const flag = join(dir, 'nul-flag');
    mkdirSync(bin);
    writeFileSync(flag, '');
    writeFileSync(
      join(bin, 'dpkg-query'),
      `#!/bin/sh\n/usr/bin/dpkg-query "$@" || exit $?\nif [ -e '${flag}' ]; then printf 'pf-nul-bad\\tpf-nul-bad\\t1.0\\000evil\\tpf-nul-bad\\t1.0\\tall\\tinstalled\\n'; fi\n`,
    );
    chmodSync(join(bin, 'dpkg-query'), 0o755);
    const agent = startAgentProcess(stateDir, ['--dpkg-root', root, '--interval', '3s', '--no-commands'], { PATH: `${bin}:${process.env.PATH ?? ''}` });
    agents.push(agent);
    const explain = async <T>(what: Promise<T>): Promise<T> => {
      try {
        return await what;
      } catch (err) {
        throw new Error(`${(err as Error).message}\nagent log:\n${agent.output().slice(-4000)}\ncontroller log:\n${controller.output().slice(-4000)}`, { cause: err });
      }
    };

    const refusals = () => controllerLog('agent frame refused', agentId).filter((l) => l.code === 'PF_ERR_UNSTORABLE_VALUE');
    await explain(waitFor(() => refusals().length >= 1, 'the controller to refuse the report'));
    expect(String(refusals()[0]?.detail)).toMatch(/^report 1 refused for good: inventory frame: \/packages\/\d+\/version holds a NUL character/);
    expect(JSON.stringify(refusals()[0])).not.toContain('evil');
    await explain(waitFor(() => /controller refused report for good; dropped from the outbox/.test(agent.output()), 'the agent to drop the report'));
    await explain(waitFor(() => outboxFiles(stateDir).length === 0, 'the refused report to leave the outbox'));

    // The session stays up: no 1011 close, no reconnect, no failed session on the controller.
    await new Promise((r) => setTimeout(r, 4000));
    expect(agent.output()).not.toMatch(/"code":1011/);
    expect(agent.output()).not.toMatch(/session closed/);
    expect(controllerLog('agent session failed', agentId)).toHaveLength(0);
    expect((agent.output().match(/session authenticated/g) ?? []).length).toBe(1);
    const h = await host(agentId);
    expect(h.online).toBe(true);
    expect(h.lastSeq).toBe(0);
    // Not a resend loop: at most one refusal per collection (every 3 s), not one per reconnect.
    expect(refusals().length).toBeLessThanOrEqual(4);

    // Once the NUL is gone the next collection's full report is stored.
    rmSync(flag);
    await explain(waitFor(async () => (await host(agentId)).packageCount === 1, 'the clean inventory to arrive', 30_000));
    expect(await packageNames(agentId)).toEqual(['pf-nul-ok']);
    expect((agent.output().match(/session authenticated/g) ?? []).length).toBe(1);
    await agent.stop();

    // run --once says why at once (exit 1 with the code) instead of waiting out its timeout.
    writeFileSync(flag, '');
    const started = Date.now();
    const once = await runCli('agent', ['run', '--once', '--state-dir', stateDir, '--dpkg-root', root, '--no-commands', '--timeout', '60s'], { env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    expect(once.code).toBe(1);
    expect(once.stderr).toMatch(/error PF_ERR_UNSTORABLE_VALUE: the controller refused the report: report \d+ refused for good: inventory frame: \/packages\/\d+\/version holds a NUL/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(outboxFiles(stateDir)).toEqual([]);
    expect(await packageNames(agentId)).toEqual(['pf-nul-ok']);
  });
});

describe('a state directory holding only a copied identity.json (issue point 9)', () => {
  it('its fresh full report (seq 1 again) replaces the stored packages, and its deltas apply on top', { timeout: 120_000 }, async () => {
    const original = join(dir, 'copy-original');
    const agentId = await enroll(original);
    // The original state directory reported an empty package set as report 1.
    const empty = await dpkgRoot('copy-empty-root', []);
    const once = await runCli('agent', ['run', '--once', '--state-dir', original, '--dpkg-root', empty, '--no-commands']);
    expect(once.code, once.stderr).toBe(0);
    expect(await host(agentId)).toMatchObject({ lastSeq: 1, packageCount: 0 });

    // A new state directory with only the identity copied into it: its outbox numbers from 1 again.
    const copy = join(dir, 'copy-new');
    mkdirSync(copy, { mode: 0o700 });
    copyFileSync(join(original, 'identity.json'), join(copy, 'identity.json'));
    const root = await dpkgRoot('copy-root', ['pf-copy-a', 'pf-copy-b']);
    const agent = startAgentProcess(copy, ['--dpkg-root', root, '--interval', '1s', '--no-commands']);
    agents.push(agent);
    const explain = async <T>(what: Promise<T>): Promise<T> => {
      try {
        return await what;
      } catch (err) {
        throw new Error(`${(err as Error).message}\nhost: ${JSON.stringify(await host(agentId))}\nagent log:\n${agent.output().slice(-4000)}`, { cause: err });
      }
    };
    await explain(waitFor(async () => (await host(agentId)).packageCount === 2, 'the fresh full report to be applied'));
    expect(await packageNames(agentId)).toEqual(['pf-copy-a', 'pf-copy-b']);

    // Deltas now apply on the right base.
    writeStatus(root, ['pf-copy-a', 'pf-copy-c', 'pf-copy-d']);
    await explain(waitFor(async () => (await packageNames(agentId)).join() === 'pf-copy-a,pf-copy-c,pf-copy-d', 'the delta to be applied on the fresh report'));
    expect((await host(agentId)).packageCount).toBe(3);
    await agent.stop();
  });
});
