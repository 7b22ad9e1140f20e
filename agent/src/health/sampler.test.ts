import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, nodeEd25519, signHealthConfig, type HealthSample, type ProbeConfig } from '@patchfleet/shared';
import { HealthDelivery } from './delivery';
import { HealthConfigStore } from './health-config';
import { HealthOutbox } from './health-outbox';
import { HealthSampler, MAX_WINDOW_MS, type SamplerOptions } from './sampler';
import type { CollectedHealth, HealthCollector, HealthWindow } from './types';

const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
const DAY = 86_400_000;
const FIVE_MIN = 300_000;

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const AGENT = 'agent-sampler-1';
const commandKeys = nodeEd25519.generateKeyPair();
const trust = { agentId: AGENT, commandKey: commandKeys.publicKey };
/** A config as the controller sends it: signed with the command key for AGENT. */
const signed = (config: { intervalSec: number; probes: ProbeConfig[] }, issuedAt = T0, agentId = AGENT, secretKey = commandKeys.secretKey) => signHealthConfig(agentId, { ...config, issuedAt }, secretKey);
/** Lets the sampler's promise chain (collector, probes, enqueue) finish after a timer fired. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function setup(opts: { clock: ManualClock; collect?: HealthCollector; state?: string; runProbes?: SamplerOptions['runProbes']; defaultIntervalSec?: number }) {
  const state = opts.state ?? (dir = mkdtempSync(join(tmpdir(), 'pf-sampler-')));
  const outbox = new HealthOutbox(state);
  const windows: HealthWindow[] = [];
  const collect: HealthCollector =
    opts.collect ??
    ((w) => {
      windows.push(w);
      return Promise.resolve({ counters: { appCrashes: 1, kernelCrashes: 0, serviceFailures: 0, unexpectedShutdowns: 0 }, unavailable: [], events: [{ kind: 'app-crash', at: w.from, subject: '/usr/bin/x' }] });
    });
  let flushes = 0;
  const sampler = new HealthSampler({
    stateDir: state,
    outbox,
    configStore: new HealthConfigStore(state, opts.clock, trust),
    clock: opts.clock,
    log: quiet,
    collect,
    sources: ['journald', 'units', 'var-crash'],
    boot: () => Promise.resolve({ bootId: 'boot-a', uptimeSec: 1234.7 }),
    ...(opts.defaultIntervalSec ? { defaultIntervalSec: opts.defaultIntervalSec } : {}),
    ...(opts.runProbes ? { runProbes: opts.runProbes } : {}),
    onSample: () => flushes++,
  });
  return { state, outbox, sampler, windows, flushes: () => flushes };
}

describe('HealthSampler on a virtual clock', () => {
  it('offline for a day: 288 contiguous samples queued, then every one delivered once (across a reconnect)', async () => {
    const clock = new ManualClock(T0);
    const h = setup({ clock });
    h.sampler.start();
    for (let i = 0; i < 288; i++) {
      clock.advance(FIVE_MIN);
      await settle();
    }
    const queued = h.outbox.oldest(1000);
    expect(queued).toHaveLength(288);
    expect(h.flushes()).toBe(288);
    expect(queued.map((s) => s.seq)).toEqual(Array.from({ length: 288 }, (_, i) => i + 1));
    expect(queued[0]?.periodStart).toBe(T0);
    expect(queued.at(-1)?.periodEnd).toBe(T0 + DAY);
    queued.slice(1).forEach((s, i) => expect(s.periodStart).toBe(queued[i]?.periodEnd));
    expect(queued[0]).toMatchObject({ bootId: 'boot-a', uptimeSec: 1234, counters: { appCrashes: 1, probeRuns: 0, probeFailures: 0 }, unavailable: [] });

    // The link comes back: frames of at most ~8 KiB, one in flight; the first session drops after one unacknowledged frame.
    const stored = new Map<number, HealthSample>();
    const frames: { id: string; epoch: string; samples: HealthSample[] }[] = [];
    const delivery = new HealthDelivery({ outbox: h.outbox, clock, log: quiet, applyConfig: () => undefined });
    const session = { maxFrameBytes: 8192, send: (body: { epoch: string; samples: HealthSample[] }) => { const id = `f${frames.length}`; frames.push({ id, ...body }); return id; } };
    delivery.sessionStarted(session);
    expect(frames).toHaveLength(1);
    delivery.flush(); // one frame in flight at a time
    expect(frames).toHaveLength(1);
    delivery.sessionEnded();
    delivery.sessionStarted(session);
    expect(frames[1]?.samples.map((s) => s.seq)).toEqual(frames[0]?.samples.map((s) => s.seq)); // resent after the reconnect
    for (let guard = 0; guard < 1000 && h.outbox.size() > 0; guard++) {
      const f = frames.at(-1);
      if (!f) break;
      expect(Buffer.byteLength(JSON.stringify(f))).toBeLessThan(8192);
      expect(new Set(f.samples.map((s) => s.seq)).size).toBe(f.samples.length);
      // The controller de-duplicates on (epoch, seq) and acknowledges the highest it holds.
      for (const s of f.samples) stored.set(s.seq, s);
      delivery.healthAck({ v: 4, type: 'healthAck', id: `a${f.id}`, ts: clock.now(), epoch: f.epoch, seq: Math.max(...stored.keys()), replyTo: f.id });
    }
    expect(h.outbox.size()).toBe(0);
    expect([...stored.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 288 }, (_, i) => i + 1));
    expect(frames.length).toBeGreaterThan(5);
    expect(new Set(frames.map((f) => f.epoch)).size).toBe(1);
  });

  it('unavailable sources stay absent (never 0), also when the collector fails outright', async () => {
    const clock = new ManualClock(T0);
    let fail = false;
    const collect: HealthCollector = () =>
      fail ? Promise.reject(new Error('boom')) : Promise.resolve<CollectedHealth>({ counters: { appCrashes: 0 }, unavailable: ['units', 'journald'], events: [] });
    const h = setup({ clock, collect });
    h.sampler.start();
    clock.advance(FIVE_MIN);
    await settle();
    fail = true;
    clock.advance(FIVE_MIN);
    await settle();
    const [a, b] = h.outbox.oldest(10);
    expect(a?.counters).toEqual({ appCrashes: 0, probeRuns: 0, probeFailures: 0 });
    expect(a?.unavailable).toEqual(['journald', 'units']);
    expect(b?.counters).toEqual({ probeRuns: 0, probeFailures: 0 });
    expect(b?.unavailable).toEqual(['journald', 'units', 'var-crash']);
  });

  it('a restart continues the window where it stopped; a stop longer than a day gives one sample of the last day', async () => {
    const clock = new ManualClock(T0);
    const first = setup({ clock });
    first.sampler.start();
    clock.advance(FIVE_MIN);
    await settle();
    first.sampler.stop();

    clock.advance(2 * 60_000); // down for two minutes
    const second = setup({ clock, state: first.state });
    second.sampler.start();
    clock.advance(FIVE_MIN);
    await settle();
    const samples = second.outbox.oldest(10);
    expect(samples.map((s) => [s.seq, s.periodStart, s.periodEnd])).toEqual([
      [1, T0, T0 + FIVE_MIN],
      [2, T0 + FIVE_MIN, T0 + 2 * FIVE_MIN], // due at the old window's end + interval, not at restart + interval
    ]);
    second.sampler.stop();

    clock.advance(3 * DAY);
    const third = setup({ clock, state: first.state });
    third.sampler.start();
    clock.advance(0); // overdue: due at once
    await settle();
    const last = third.outbox.oldest(10).at(-1);
    expect(last?.seq).toBe(3);
    expect(last?.periodEnd).toBe(clock.now());
    expect((last?.periodEnd ?? 0) - (last?.periodStart ?? 0)).toBe(MAX_WINDOW_MS);
  });

  it("applies the controller's interval, stores it for the next start, and runs its probes each interval", async () => {
    const clock = new ManualClock(T0);
    const probeCalls: (readonly ProbeConfig[])[] = [];
    const runProbes: SamplerOptions['runProbes'] = (probes) => {
      probeCalls.push(probes);
      return Promise.resolve({ probeRuns: probes.length, probeFailures: probes.length, events: probes.map((p) => ({ kind: 'probe-failure' as const, at: clock.now(), subject: p.name, message: 'exit 1, expected 0' })) });
    };
    const h = setup({ clock, runProbes, defaultIntervalSec: 600 });
    expect(h.sampler.intervalSec()).toBe(600);
    h.sampler.start();
    const probe: ProbeConfig = { id: 'app-up', name: 'app up', kind: 'command', timeoutMs: 1000, argv: ['/usr/bin/app-check'] };
    h.sampler.applyConfig(signed({ intervalSec: 60, probes: [probe] }));
    clock.advance(60_000);
    await settle();
    clock.advance(60_000);
    await settle();
    const samples = h.outbox.oldest(10);
    expect(samples.map((s) => s.periodEnd - s.periodStart)).toEqual([60_000, 60_000]);
    expect(samples[0]?.counters).toMatchObject({ probeRuns: 1, probeFailures: 1 });
    expect(samples[0]?.events[0]).toMatchObject({ kind: 'probe-failure', subject: 'app up' });
    expect(probeCalls).toHaveLength(2);
    h.sampler.stop();

    const again = setup({ clock, state: h.state, runProbes });
    expect(again.sampler.intervalSec()).toBe(60);
    expect(again.sampler.probes()).toEqual([probe]);
    expect(() => again.sampler.applyConfig(signed({ intervalSec: 0, probes: [] }))).toThrow();
    expect(() => again.sampler.applyConfig(signed({ intervalSec: 60, probes: [{ ...probe, kind: 'http', url: 'http://x/', bodyMatch: '(' }] }))).toThrow(/bodyMatch/);
    expect(again.sampler.intervalSec()).toBe(60);
  });

  it('runs only configs the pinned command key signed for this agent, never an older one, and ignores an edited file', () => {
    const clock = new ManualClock(T0);
    const h = setup({ clock, defaultIntervalSec: 600 });
    const probe: ProbeConfig = { id: 'root-cmd', name: 'root command', kind: 'command', timeoutMs: 1000, argv: ['/bin/sh', '-c', 'id'] };
    const other = nodeEd25519.generateKeyPair();
    // Not signed by the pinned key, signed for another agent, or changed after signing: refused, nothing stored.
    expect(() => h.sampler.applyConfig(signed({ intervalSec: 60, probes: [probe] }, T0, AGENT, other.secretKey))).toThrow(/PF_ERR_COMMAND_BAD_SIGNATURE|does not verify/);
    expect(() => h.sampler.applyConfig(signed({ intervalSec: 60, probes: [probe] }, T0, 'agent-other'))).toThrow(/does not verify/);
    expect(() => h.sampler.applyConfig({ ...signed({ intervalSec: 60, probes: [] }), probes: [probe] })).toThrow(/does not verify/);
    expect(h.sampler.probes()).toEqual([]);
    expect(existsSync(join(h.state, 'health-config.json'))).toBe(false);

    h.sampler.applyConfig(signed({ intervalSec: 120, probes: [] }, T0 + 10));
    // A captured older config (it had the probe) cannot be replayed over the newer one, even after a restart.
    const old = signed({ intervalSec: 60, probes: [probe] }, T0 + 5);
    expect(() => h.sampler.applyConfig(old)).toThrow(/older than the one held/);
    const restarted = setup({ clock, state: h.state, defaultIntervalSec: 600 });
    expect(restarted.sampler.intervalSec()).toBe(120);
    expect(() => restarted.sampler.applyConfig(old)).toThrow(/older than the one held/);
    expect(restarted.sampler.probes()).toEqual([]);
    restarted.sampler.applyConfig(signed({ intervalSec: 60, probes: [probe] }, T0 + 20));
    expect(restarted.sampler.probes()).toEqual([probe]);

    // Someone edits the stored file to add a probe: the signature no longer holds and the stored config is not run.
    const path = join(h.state, 'health-config.json');
    const frame = JSON.parse(readFileSync(path, 'utf8')) as { probes: ProbeConfig[] };
    frame.probes.push({ ...probe, id: 'planted', argv: ['/bin/rm', '-rf', '/'] });
    writeFileSync(path, JSON.stringify(frame));
    const edited = setup({ clock, state: h.state, defaultIntervalSec: 600 });
    expect(edited.sampler.probes()).toEqual([]);
    expect(edited.sampler.intervalSec()).toBe(600);
  });
});
