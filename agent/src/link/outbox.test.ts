import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleHost, samplePackages } from '@patchfleet/test/support/inventory';
import { Outbox, type OutboxReport } from './outbox';

const report = (over: Partial<Omit<OutboxReport, 'seq'>> = {}): Omit<OutboxReport, 'seq'> => ({
  kind: 'full',
  collectedAt: 1_764_000_000_000,
  host: sampleHost(),
  packages: samplePackages(3),
  removed: [],
  ...over,
});

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('Outbox', () => {
  let stateDir: string;

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'pf-outbox-'));
  });
  afterEach(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts empty', () => {
    const outbox = new Outbox(stateDir);
    expect(outbox.lastSeq()).toBe(0);
    expect(outbox.pending()).toEqual([]);
    expect(outbox.projected()).toBeUndefined();
  });

  it('assigns increasing sequence numbers and keeps the reports whole', () => {
    const outbox = new Outbox(stateDir);
    const a = outbox.enqueue(report(), samplePackages(3));
    const b = outbox.enqueue(report({ kind: 'delta', baseSeq: 1, packages: [], removed: [{ name: 'pkg-00000', arch: 'amd64', manager: 'dpkg' }] }), samplePackages(2, 1));
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(outbox.lastSeq()).toBe(2);
    expect(outbox.pending()).toEqual([a, b]);
    expect(outbox.pending()[1]).toMatchObject({ seq: 2, kind: 'delta', baseSeq: 1, removed: [{ name: 'pkg-00000' }] });
  });

  it('keeps the counter, the queue and the projection across a restart', () => {
    const first = new Outbox(stateDir);
    first.enqueue(report(), samplePackages(3));
    first.enqueue(report(), samplePackages(4));

    const restarted = new Outbox(stateDir);
    expect(restarted.lastSeq()).toBe(2);
    expect(restarted.pending().map((r) => r.seq)).toEqual([1, 2]);
    expect(restarted.projected()).toEqual({ seq: 2, packages: samplePackages(4) });
    expect(restarted.enqueue(report(), samplePackages(1)).seq).toBe(3);
  });

  it('never reuses a number, even after everything was acknowledged', () => {
    const outbox = new Outbox(stateDir);
    outbox.enqueue(report(), []);
    outbox.enqueue(report(), []);
    outbox.ack(2);
    expect(outbox.pending()).toEqual([]);
    expect(new Outbox(stateDir).enqueue(report(), []).seq).toBe(3);
  });

  it('ack removes every report up to and including the sequence number', () => {
    const outbox = new Outbox(stateDir);
    for (let i = 0; i < 5; i++) outbox.enqueue(report(), []);
    outbox.ack(3);
    expect(outbox.pending().map((r) => r.seq)).toEqual([4, 5]);
    outbox.ack(3); // again: nothing more goes
    expect(outbox.pending().map((r) => r.seq)).toEqual([4, 5]);
    outbox.ack(100);
    expect(outbox.pending()).toEqual([]);
    expect(outbox.lastSeq()).toBe(5);
  });

  it('returns pending reports in sequence order past 9 (names sort as numbers)', () => {
    const outbox = new Outbox(stateDir);
    for (let i = 0; i < 12; i++) outbox.enqueue(report({ collectedAt: i }), []);
    expect(outbox.pending().map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(readdirSync(join(stateDir, 'outbox'))).toContain('000000000010.json');
  });

  it('ignores stray files in the outbox directory', () => {
    const outbox = new Outbox(stateDir);
    outbox.enqueue(report(), []);
    writeFileSync(join(stateDir, 'outbox', 'notes.txt'), 'hello');
    writeFileSync(join(stateDir, 'outbox', '000000000001.json.123.tmp'), '{');
    expect(outbox.pending().map((r) => r.seq)).toEqual([1]);
    expect(existsSync(join(stateDir, 'outbox', 'notes.txt'))).toBe(true);
  });

  it('reset forgets the queue and the projection and keeps the counter', () => {
    const outbox = new Outbox(stateDir);
    outbox.enqueue(report(), samplePackages(2));
    outbox.enqueue(report(), samplePackages(2));
    outbox.reset();
    expect(outbox.pending()).toEqual([]);
    expect(outbox.projected()).toBeUndefined();
    expect(outbox.lastSeq()).toBe(2);
    expect(outbox.enqueue(report(), []).seq).toBe(3);
  });

  it('reset(atLeastSeq) moves the counter past what the controller has seen, never backwards', () => {
    const outbox = new Outbox(stateDir);
    outbox.enqueue(report(), []);
    outbox.reset(40);
    expect(outbox.lastSeq()).toBe(40);
    expect(outbox.enqueue(report(), []).seq).toBe(41);
    outbox.reset(10);
    expect(outbox.lastSeq()).toBe(41);
    expect(new Outbox(stateDir).enqueue(report(), []).seq).toBe(42);
  });

  it('drops a damaged report and the projection, so the next report is full', () => {
    const outbox = new Outbox(stateDir);
    outbox.enqueue(report(), samplePackages(2));
    outbox.enqueue(report(), samplePackages(2));
    outbox.enqueue(report(), samplePackages(2));
    writeFileSync(join(stateDir, 'outbox', '000000000002.json'), '{"seq":2,"kind":');
    expect(outbox.pending().map((r) => r.seq)).toEqual([1, 3]);
    expect(existsSync(join(stateDir, 'outbox', '000000000002.json'))).toBe(false);
    expect(outbox.projected()).toBeUndefined();
    expect(outbox.lastSeq()).toBe(3);
  });

  it('treats a damaged projection as unknown', () => {
    const outbox = new Outbox(stateDir);
    outbox.enqueue(report(), samplePackages(2));
    writeFileSync(join(stateDir, 'projected.json'), 'not json');
    expect(outbox.projected()).toBeUndefined();
  });

  it('refuses a damaged sequence counter with PF_ERR_STATE_DIR rather than restarting at 1', () => {
    const outbox = new Outbox(stateDir);
    outbox.enqueue(report(), []);
    writeFileSync(join(stateDir, 'seq'), 'garbage\n');
    expect(() => outbox.lastSeq()).toThrow(expect.objectContaining({ code: 'PF_ERR_STATE_DIR' }));
    expect(() => outbox.enqueue(report(), [])).toThrow(expect.objectContaining({ code: 'PF_ERR_STATE_DIR' }));
    writeFileSync(join(stateDir, 'seq'), '-3\n');
    expect(() => outbox.lastSeq()).toThrow(expect.objectContaining({ code: 'PF_ERR_STATE_DIR' }));
  });

  it('fails with PF_ERR_STATE_DIR when the outbox cannot be created', () => {
    const file = join(stateDir, 'a-file');
    writeFileSync(file, '');
    expect(() => new Outbox(file)).toThrow(expect.objectContaining({ code: 'PF_ERR_STATE_DIR' }));
  });

  it('writes every file readable by the owner only', () => {
    const outbox = new Outbox(stateDir);
    outbox.enqueue(report(), samplePackages(2));
    outbox.reset(9);
    outbox.enqueue(report(), samplePackages(2));
    const files = [join(stateDir, 'seq'), join(stateDir, 'projected.json'), join(stateDir, 'outbox', '000000000010.json')];
    for (const f of files) expect({ f, mode: mode(f) }).toEqual({ f, mode: 0o600 });
    expect(mode(join(stateDir, 'outbox'))).toBe(0o700);
    expect(readFileSync(join(stateDir, 'seq'), 'utf8')).toBe('10\n');
    // no temporary files left behind
    expect(readdirSync(stateDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps one epoch for its numbering, across restarts and resets, readable by the owner only', () => {
    const outbox = new Outbox(stateDir);
    outbox.enqueue(report(), samplePackages(3));
    const epoch = outbox.epoch();
    expect(epoch).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(mode(join(stateDir, 'outbox-epoch'))).toBe(0o600);
    outbox.enqueue(report(), samplePackages(3));
    outbox.reset(2); // a resync keeps the numbering, so the epoch too
    expect(new Outbox(stateDir).epoch()).toBe(epoch);
  });

  it('starts a new epoch when its numbering starts again at 1 (a state directory holding only a copied identity.json)', () => {
    const original = new Outbox(stateDir);
    original.enqueue(report(), samplePackages(3));
    const epoch = original.epoch();
    const fresh = mkdtempSync(join(tmpdir(), 'pf-outbox-copy-'));
    try {
      const copy = new Outbox(fresh);
      expect(copy.enqueue(report(), samplePackages(3)).seq).toBe(1);
      expect(copy.epoch()).not.toBe(epoch);
      // even when an old epoch file was copied along without the seq counter
      const again = mkdtempSync(join(tmpdir(), 'pf-outbox-copy2-'));
      writeFileSync(join(again, 'outbox-epoch'), `${epoch}\n`);
      const copy2 = new Outbox(again);
      copy2.enqueue(report(), samplePackages(3));
      expect(copy2.epoch()).not.toBe(epoch);
      rmSync(again, { recursive: true, force: true });
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
