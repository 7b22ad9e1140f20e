/**
 * A controller in simulation mode (`serve --simulation`, forked with an IPC
 * channel as a fleet simulator forks it) runs on a stepped virtual clock
 * that only `sim.advance` moves, in the past of the wall clock here. One raw
 * agent, pinned to ring First (deferral one day), is in a package rollout:
 * its ring stays deferred for the virtual day, the host looks offline once
 * its last sighting is virtual hours old although its socket is open, a
 * health sample stamped with the real time is refused as from the future,
 * and the planner round at exactly start + 1 day sends its install command
 * over the same socket, issued at that virtual instant; two virtual days
 * take seconds. Without --simulation the same IPC message is refused with
 * PF_ERR_SIMULATION_DISABLED, and --simulation without an IPC channel does
 * not start.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authChallengePayload, canonicalBytes, Capabilities, Errors, makeFrame, nodeEd25519, type HealthSample, type Message } from '@patchfleet/shared';
import { api, type Bootstrap } from '../support/api';
import { sampleHost } from '../support/inventory';
import { runCli, type RunResult } from '../support/processes';
import { forkController, forkControllerProcess, type ForkedController, type SimAnswer } from '../support/sim-controller';
import { connectRaw, type RawClient } from '../support/ws-client';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// A Monday more than a year before any machine running this test: virtual time is not the wall clock.
const START = Date.parse('2025-06-02T00:00:00Z');

let dir = '';
let sim: ForkedController | undefined;
let plain: ForkedController | undefined;
let plainAnswers: Promise<SimAnswer[]> | undefined;
let noChannel: RunResult | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-sim-clock-'));
  // Started together: each start costs seconds. The controller on the system clock answers before it has
  // started, and is stopped as soon as it has.
  const p = forkController({ dataDir: join(dir, 'plain') });
  plain = p;
  plainAnswers = (async () => {
    const answers = [await p.request({ type: 'sim.advance', to: Date.now() + DAY }), await p.request({ type: 'sim.settle' })];
    await p.stop();
    return answers;
  })();
  [sim, noChannel] = await Promise.all([
    forkControllerProcess({ dataDir: join(dir, 'sim'), simulation: { start: new Date(START).toISOString(), tickSec: 3600 }, env: { PATCHFLEET_HEARTBEAT_SEC: '3600' } }),
    runCli('controller', ['serve', '--data-dir', join(dir, 'no-ipc'), '--port', '0', '--simulation'], { timeoutMs: 30_000 }),
  ]);
}, 90_000);

afterAll(async () => {
  await sim?.stop();
  await plain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Next frame of `type`, skipping others (healthConfig after welcome, errors asked for elsewhere). */
async function nextOf<T extends Message['type']>(c: RawClient, type: T): Promise<Extract<Message, { type: T }>> {
  for (;;) {
    const m = await c.next(15_000);
    if (m.type === type) return m as Extract<Message, { type: T }>;
  }
}

function sample(seq: number, end: number): HealthSample {
  return { seq, periodStart: end - 5 * 60_000, periodEnd: end, bootId: 'boot-1', uptimeSec: 3600, counters: { appCrashes: 0, kernelCrashes: 0, serviceFailures: 0, unexpectedShutdowns: 0, probeFailures: 0, probeRuns: 0 }, unavailable: [], events: [] };
}

describe('controller simulation mode', () => {
  it('runs every schedule on the virtual clock the simulator advances', { timeout: 90_000 }, async () => {
    if (!sim) throw new Error('no simulated controller');
    const dataDir = join(dir, 'sim');
    expect(sim.output()).toMatch(/SIMULATION MODE: virtual clock at 2025-06-02T00:00:00.000Z/);
    const boot = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
    const settled = await sim.step({ type: 'sim.settle' });
    expect(settled).toMatchObject({ type: 'sim.advanced', now: START, commandsSent: 0, healthConfigsSent: 0 });

    // One agent: enrolled, authenticated, reporting one old package, pinned to First.
    const key = nodeEd25519.generateKeyPair();
    const token = (await api<{ token: string }>(boot, 'POST', '/api/v1/enrollment-tokens', {})).body.token;
    const enrolled = await api<{ agentId: string }>(boot, 'POST', '/api/v1/agents/enroll', { token, publicKey: key.publicKey, hostname: 'sim-1', platform: 'linux', agentVersion: '0.4.0' }, '');
    expect(enrolled.status).toBe(200);
    const agentId = enrolled.body.agentId;
    const c = await connectRaw(boot.url, boot.caFingerprint);
    c.send(makeFrame('hello', { agentId, agentVersion: '0.4.0', platform: 'linux', capabilities: [Capabilities.Commands, Capabilities.Health] }, START));
    const ch = await nextOf(c, 'challenge');
    c.send(makeFrame('auth', { agentId, sessionId: ch.sessionId, signature: nodeEd25519.sign(canonicalBytes(authChallengePayload(agentId, ch.sessionId, ch.nonce)), key.secretKey) }, START));
    const welcome = await nextOf(c, 'welcome');
    expect(welcome.ts).toBe(START); // frames carry the controller's (virtual) time
    const packages = [{ name: 'pf-sim-pkg', version: '1.0', sourceName: 'pf-sim-pkg', sourceVersion: '1.0', arch: 'amd64', manager: 'dpkg' as const }];
    c.send(makeFrame('inventory', { seq: 1, kind: 'full', part: 0, parts: 1, packageCount: 1, collectedAt: START, host: sampleHost({ hostname: 'sim-1' }), packages }, START));
    expect(await nextOf(c, 'ack')).toMatchObject({ seq: 1 });
    expect((await api(boot, 'PUT', `/api/v1/hosts/${agentId}/ring`, { ring: 'First' })).status).toBe(200);
    const started = await api<{ id: string }>(boot, 'POST', '/api/v1/rollouts', { packages: [{ name: 'pf-sim-pkg', version: '2.0' }] });
    expect(started.status).toBe(201);
    const rolloutId = started.body.id;
    await sim.step({ type: 'sim.settle' }); // the round the start asked for
    type RolloutView = { rings: { ring: string; state: string; note: string | null }[] };
    const first = async () => (await api<RolloutView>(boot, 'GET', `/api/v1/rollouts/${rolloutId}`)).body.rings.find((r) => r.ring === 'First');
    expect(await first()).toMatchObject({ state: 'waiting', note: `deferred until ${new Date(START + DAY).toISOString()}` });
    type HostView = { online: boolean; lastSeenAt: string };
    const host = async () => (await api<HostView>(boot, 'GET', `/api/v1/hosts/${agentId}`)).body;
    expect(await host()).toMatchObject({ online: true });

    // 22 virtual hours: still deferred, nothing sent; the open socket's host was last seen 22 virtual hours ago.
    const at22 = await sim.step({ type: 'sim.advance', to: START + 22 * HOUR });
    expect(at22).toMatchObject({ now: START + 22 * HOUR, commandsSent: 0 });
    expect(await first()).toMatchObject({ state: 'waiting' });
    const stale = await host();
    expect(stale.online).toBe(false);
    expect(Date.parse(stale.lastSeenAt)).toBeLessThan(START + HOUR);

    // Health samples are judged on the virtual clock: one ending at the real time is from its future.
    c.send(makeFrame('health', { epoch: 'ep-sim', samples: [sample(1, Date.now())] }, START + 22 * HOUR));
    expect(await nextOf(c, 'error')).toMatchObject({ code: Errors.BAD_HEALTH_SAMPLE.code, message: expect.stringMatching(/more than a day ahead of the controller's clock/) });
    c.send(makeFrame('health', { epoch: 'ep-sim', samples: [sample(2, START + 22 * HOUR)] }, START + 22 * HOUR));
    expect(await nextOf(c, 'healthAck')).toMatchObject({ seq: 2 });

    // Two virtual days in all: the planner round at start + 1 day (not before) orders the install, on the same socket.
    const t0 = Date.now();
    const at48 = await sim.step({ type: 'sim.advance', to: START + 2 * DAY });
    const wallMs = Date.now() - t0;
    process.stderr.write(`simulation: 26 virtual hours advanced in ${wallMs} ms (controller: ${at48.wallMs} ms, ${at48.timersFired - at22.timersFired} timers)\n`);
    expect(at48).toMatchObject({ type: 'sim.advanced', now: START + 2 * DAY, commandsSent: 1 });
    expect(wallMs).toBeLessThan(20_000);
    const command = await nextOf(c, 'command');
    expect(command.command).toMatchObject({ agentId, action: 'install', issuedAt: START + DAY });
    expect(await first()).toMatchObject({ state: 'installing' });
    // Last seen at 22 h (the sample): stale again at 48 h (three heartbeats of an hour).
    expect(Date.parse((await host()).lastSeenAt)).toBe(START + 22 * HOUR);
    expect(await sim.request({ type: 'sim.advance', to: START + DAY })).toMatchObject({ type: 'sim.error', code: Errors.VALIDATION.code });
    c.close();
  });

  it('without --simulation refuses sim.* over IPC with PF_ERR_SIMULATION_DISABLED; --simulation without IPC does not start', { timeout: 90_000 }, async () => {
    if (!plainAnswers || !noChannel) throw new Error('no controller on the system clock');
    const [advance, settle] = await plainAnswers;
    expect(advance).toMatchObject({ type: 'sim.error', code: Errors.SIMULATION_DISABLED.code, message: expect.stringMatching(/start it with --simulation/) });
    expect(settle).toMatchObject({ type: 'sim.error', code: Errors.SIMULATION_DISABLED.code });
    expect(noChannel.code).toBe(1);
    expect(noChannel.stderr).toMatch(/PF_ERR_CONFIG.*needs a Node IPC channel/);
  });
});
