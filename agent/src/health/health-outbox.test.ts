import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthSample } from '@patchfleet/shared';
import { HealthOutbox, healthOutboxBound } from './health-outbox';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});
const stateDir = () => (dir = mkdtempSync(join(tmpdir(), 'pf-health-outbox-')));

const sample = (i: number): Omit<HealthSample, 'seq'> => ({
  periodStart: i * 300_000,
  periodEnd: (i + 1) * 300_000,
  bootId: 'boot-a',
  uptimeSec: 1000 + i * 300,
  counters: { appCrashes: i % 3, kernelCrashes: 0, serviceFailures: 0, unexpectedShutdowns: 0, probeRuns: 1, probeFailures: 0 },
  unavailable: [],
  events: [],
});

describe('HealthOutbox', () => {
  it('numbers samples from 1 under one epoch, survives a restart without reusing a number, acks up to seq', () => {
    const state = stateDir();
    const a = new HealthOutbox(state);
    const epoch = a.epoch();
    expect([a.enqueue(sample(0)).seq, a.enqueue(sample(1)).seq, a.enqueue(sample(2)).seq]).toEqual([1, 2, 3]);
    const epochAfterFirst = a.epoch();
    expect(epochAfterFirst).toMatch(/^[A-Za-z0-9_-]{16}$/);
    // A numbering that starts at 1 gets a fresh epoch (one read before any sample numbered nothing).
    expect(epochAfterFirst).not.toBe(epoch);

    const b = new HealthOutbox(state); // restart
    expect(b.epoch()).toBe(epochAfterFirst);
    expect(b.queuedSeqs()).toEqual([1, 2, 3]);
    expect(b.oldest(10).map((s) => s.periodStart)).toEqual([0, 300_000, 600_000]);
    expect(b.ack('another-epoch-id', 3)).toBe(0);
    expect(b.ack(epochAfterFirst, 2)).toBe(2);
    expect(b.queuedSeqs()).toEqual([3]);
    expect(b.enqueue(sample(3)).seq).toBe(4);

    b.ack(epochAfterFirst, 4);
    const c = new HealthOutbox(state); // restart with nothing queued: numbering goes on
    expect(c.size()).toBe(0);
    expect(c.enqueue(sample(4)).seq).toBe(5);
    expect(c.epoch()).toBe(epochAfterFirst);
  });

  it('never hands out a number a queued file already has, even when the counter file is older', () => {
    const state = stateDir();
    const a = new HealthOutbox(state);
    for (let i = 0; i < 3; i++) a.enqueue(sample(i));
    writeFileSync(join(state, 'health-outbox', 'seq'), '1\n'); // e.g. restored from an older backup
    expect(new HealthOutbox(state).enqueue(sample(9)).seq).toBe(4);
  });

  it('drops a damaged file (logged) and keeps the others', () => {
    const state = stateDir();
    const warnings: string[] = [];
    const a = new HealthOutbox(state);
    for (let i = 0; i < 3; i++) a.enqueue(sample(i));
    writeFileSync(join(state, 'health-outbox', '000000000002.json'), '{"seq":2,"periodStart":');
    const b = new HealthOutbox(state, { warn: (_f, m) => warnings.push(m) });
    expect(b.oldest(10).map((s) => s.seq)).toEqual([1, 3]);
    expect(warnings).toEqual(['damaged health sample dropped']);
    expect(readdirSync(join(state, 'health-outbox')).filter((n) => n.endsWith('.json'))).toEqual(['000000000001.json', '000000000003.json']);
    // A file that parses but is not a sample the wire accepts is damaged too.
    writeFileSync(join(state, 'health-outbox', '000000000003.json'), JSON.stringify({ ...sample(2), seq: 3, uptimeSec: -1 }));
    expect(new HealthOutbox(state).oldest(10).map((s) => s.seq)).toEqual([1]);
  });

  it('keeps 14 days of samples at the interval (bounded), dropping the oldest with a warning', () => {
    expect(healthOutboxBound(300)).toBe(4032);
    expect(healthOutboxBound(1)).toBe(20_160);
    expect(healthOutboxBound(86_400)).toBe(100);
    const state = stateDir();
    const dropped: unknown[] = [];
    const box = new HealthOutbox(state, { warn: (fields) => dropped.push(fields) });
    box.setBound(5);
    for (let i = 0; i < 8; i++) box.enqueue(sample(i));
    expect(box.queuedSeqs()).toEqual([4, 5, 6, 7, 8]);
    expect(dropped).toHaveLength(3);
    expect(dropped[0]).toMatchObject({ dropped: 1, fromSeq: 1, maxSamples: 5 });
    expect(new HealthOutbox(state).queuedSeqs()).toEqual([4, 5, 6, 7, 8]);
  });

  it('hands out at most n samples and stops before a byte budget (the first always)', () => {
    const box = new HealthOutbox(stateDir());
    for (let i = 0; i < 10; i++) box.enqueue(sample(i));
    expect(box.oldest(4).map((s) => s.seq)).toEqual([1, 2, 3, 4]);
    const three = box.oldest(3).reduce((n, s) => n + Buffer.byteLength(JSON.stringify(s)) + 1, 0);
    expect(box.oldest(10, three).map((s) => s.seq)).toEqual([1, 2, 3]);
    expect(box.oldest(10, three - 1).map((s) => s.seq)).toEqual([1, 2]);
    expect(box.oldest(10, 10).map((s) => s.seq)).toEqual([1]);
    expect(box.newestPeriodEnd()).toBe(3_000_000);
  });
});
