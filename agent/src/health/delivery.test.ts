import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, MAX_HEALTH_EVENTS_PER_SAMPLE, MAX_HEALTH_SAMPLES_PER_FRAME, type Body, type HealthSample } from '@patchfleet/shared';
import { HEALTH_ACK_TIMEOUT_MS, HealthDelivery } from './delivery';
import type { SignedHealthConfig } from './health-config';
import { HealthOutbox } from './health-outbox';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const sample = (i: number, events = 0): Omit<HealthSample, 'seq'> => ({
  periodStart: i * 60_000,
  periodEnd: (i + 1) * 60_000,
  bootId: 'b',
  uptimeSec: 10,
  counters: { appCrashes: events, probeRuns: 0, probeFailures: 0 },
  unavailable: ['units'],
  events: Array.from({ length: events }, (_, k) => ({ kind: 'app-crash' as const, at: i * 60_000 + k, subject: `/usr/bin/${'p'.repeat(200)}${k}`, message: 'm'.repeat(500) })),
});

function rig(maxFrameBytes = 1_000_000, state?: string) {
  const outbox = new HealthOutbox((dir = state ?? mkdtempSync(join(tmpdir(), 'pf-delivery-'))));
  const sent: (Body<'health'> & { id: string })[] = [];
  const configs: SignedHealthConfig[] = [];
  const clock = new ManualClock(1_000_000);
  const delivery = new HealthDelivery({
    outbox,
    clock,
    log: quiet,
    applyConfig: (c) => {
      if (c.intervalSec > 3600) throw new Error('refused');
      configs.push(c);
    },
  });
  const session = { maxFrameBytes, send: (body: Body<'health'>) => { const id = `f${sent.length}`; sent.push({ ...body, id }); return id; } };
  return { outbox, sent, configs, delivery, session, clock };
}

const err = (replyTo: string, retryable: boolean) => ({ v: 4, type: 'error' as const, id: 'e1', ts: 0, code: retryable ? 'PF_ERR_RATE_LIMITED' : 'PF_ERR_BAD_HEALTH_SAMPLE', message: 'no', retryable, replyTo });

describe('HealthDelivery', () => {
  it('sends nothing without a session, then at most MAX_HEALTH_SAMPLES_PER_FRAME per frame', () => {
    // Written as a restarted agent finds them (plain writes: 520 fsynced enqueues would take seconds here).
    const state = mkdtempSync(join(tmpdir(), 'pf-delivery-'));
    mkdirSync(join(state, 'health-outbox'));
    for (let i = 0; i < MAX_HEALTH_SAMPLES_PER_FRAME + 20; i++) writeFileSync(join(state, 'health-outbox', `${String(i + 1).padStart(12, '0')}.json`), JSON.stringify({ seq: i + 1, ...sample(i) }));
    writeFileSync(join(state, 'health-outbox', 'seq'), `${MAX_HEALTH_SAMPLES_PER_FRAME + 20}\n`);
    const r = rig(1_000_000, state);
    r.delivery.flush();
    expect(r.sent).toHaveLength(0);
    r.delivery.sessionStarted(r.session);
    expect(r.sent[0]?.samples).toHaveLength(MAX_HEALTH_SAMPLES_PER_FRAME);
    r.delivery.healthAck({ v: 4, type: 'healthAck', id: 'a', ts: 0, epoch: r.outbox.epoch(), seq: MAX_HEALTH_SAMPLES_PER_FRAME, replyTo: 'f0' });
    expect(r.sent[1]?.samples.map((s) => s.seq)).toEqual(Array.from({ length: 20 }, (_, i) => MAX_HEALTH_SAMPLES_PER_FRAME + 1 + i));
  });

  it('a sample too large for the frame goes with fewer events, its counters intact', () => {
    const r = rig(4096);
    r.outbox.enqueue(sample(0, MAX_HEALTH_EVENTS_PER_SAMPLE));
    r.delivery.sessionStarted(r.session);
    const s = r.sent[0]?.samples[0];
    expect(s?.counters.appCrashes).toBe(MAX_HEALTH_EVENTS_PER_SAMPLE);
    expect(s?.events.length).toBeLessThan(MAX_HEALTH_EVENTS_PER_SAMPLE);
    expect(Buffer.byteLength(JSON.stringify(r.sent[0]))).toBeLessThan(4096);
  });

  it('a retryable refusal keeps the samples for later; a final one drops that frame and goes on', () => {
    const r = rig(2048);
    for (let i = 0; i < 12; i++) r.outbox.enqueue(sample(i));
    r.delivery.sessionStarted(r.session);
    const first = r.sent[0];
    expect(r.delivery.refused(err('someone-else', false))).toBe(false);
    expect(r.delivery.refused(err(first?.id ?? '', true))).toBe(true);
    expect(r.outbox.size()).toBe(12);
    expect(r.sent).toHaveLength(1); // not at once
    r.delivery.flush();
    const again = r.sent[1];
    expect(again?.samples.map((s) => s.seq)).toEqual(first?.samples.map((s) => s.seq));
    expect(r.delivery.refused(err(again?.id ?? '', false))).toBe(true);
    expect(r.outbox.queuedSeqs()[0]).toBe((again?.samples.at(-1)?.seq ?? 0) + 1);
    expect(r.sent[2]?.samples[0]?.seq).toBe((again?.samples.at(-1)?.seq ?? 0) + 1);
  });

  it('sends an unanswered frame again at the next flush after HEALTH_ACK_TIMEOUT_MS, not before', () => {
    const r = rig();
    r.outbox.enqueue(sample(0));
    r.delivery.sessionStarted(r.session);
    r.clock.advance(HEALTH_ACK_TIMEOUT_MS - 1);
    r.delivery.flush();
    expect(r.sent).toHaveLength(1);
    r.clock.advance(1);
    r.delivery.flush();
    expect(r.sent.map((f) => f.samples.map((s) => s.seq))).toEqual([[1], [1]]);
  });

  it('passes healthConfig on and keeps going when it is refused', () => {
    const r = rig();
    r.delivery.healthConfig({ v: 4, type: 'healthConfig', id: 'c', ts: 0, intervalSec: 60, probes: [], issuedAt: 5, signature: 'c2ln' });
    r.delivery.healthConfig({ v: 4, type: 'healthConfig', id: 'c', ts: 0, intervalSec: 7200, probes: [], issuedAt: 6, signature: 'c2ln' });
    expect(r.configs).toEqual([{ intervalSec: 60, probes: [], issuedAt: 5, signature: 'c2ln' }]);
  });
});
