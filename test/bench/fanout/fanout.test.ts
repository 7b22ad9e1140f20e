import { describe, expect, it } from 'vitest';
import { parseFanoutArgs, UsageError } from './args';
import { latencySummary } from './stats';

describe('bench:fanout flags', () => {
  it('takes defaults, the flags given and DATABASE_URL', () => {
    expect(parseFanoutArgs([], {})).toEqual({ agents: 1000, databaseUrl: undefined, json: false, concurrency: 200, workers: 2, cpuProfDir: undefined });
    expect(parseFanoutArgs(['--agents', '10000', '--json', '--workers', '0'], { DATABASE_URL: 'postgres://postgres@127.0.0.1/test' })).toMatchObject({
      agents: 10000,
      json: true,
      workers: 0,
      databaseUrl: 'postgres://postgres@127.0.0.1/test',
    });
  });

  it.each([
    [['--agents', '0'], '--agents must be a whole number from 1 to 20000'],
    [['--agents', '1e4'], '--agents must be a whole number'],
    [['--agents', '20001'], 'from 1 to 20000'],
    [['--workers', '-1'], '--workers'],
    [['--database-url', 'mysql://x'], '--database-url must start with postgres://'],
    [['--bogus'], 'bogus'],
  ])('refuses %j with a usage error naming the flag', (argv, message) => {
    expect(() => parseFanoutArgs(argv, {})).toThrow(UsageError);
    expect(() => parseFanoutArgs(argv, {})).toThrow(message);
  });

  it('summarises latencies as p50 / p95 / max', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = latencySummary(values);
    expect(s.max).toBe(100);
    expect(s.p50).toBeGreaterThanOrEqual(50);
    expect(s.p50).toBeLessThanOrEqual(51);
    expect(s.p95).toBeGreaterThanOrEqual(95);
    expect(s.p95).toBeLessThanOrEqual(96);
  });
});

describe('bench:fanout figures', () => {
  it('counts from the POST and, per command, from its own issuedAt; agents without a stored ack are problems', async () => {
    const { fanoutFigures } = await import('./report');
    const t0 = 1_000_000;
    const timings = [
      { agentId: 'a', issuedAt: t0 + 100, receivedAt: t0 + 150, ackSentAt: t0 + 200, recordedAt: t0 + 400 },
      { agentId: 'b', issuedAt: t0 + 1_000, receivedAt: t0 + 1_100, ackSentAt: t0 + 1_300, recordedAt: t0 + 2_000 },
      { agentId: 'c', issuedAt: t0 + 1_000, receivedAt: t0 + 1_050 },
    ];
    const f = fanoutFigures(timings, t0, 3);
    expect(f.issueToAckMs.max).toBe(1_300);
    expect(f.commandIssuedToAckMs.max).toBe(300);
    expect(f.commandIssuedToRecordedMs.max).toBe(1_000);
    expect(f.acknowledged).toBe(2);
    expect(f.recorded).toBe(2);
    expect(f.problems.count).toBe(1);
    expect(f.problems.first[0]).toBe('c: command received but not acknowledged');
  });
});

describe('bench:fanout CPU figures', () => {
  it('reads this process’s CPU time from /proc and splits controller from agents', async () => {
    const { cpuSeconds } = await import('./stats');
    const { cpuSplit } = await import('./report');
    const before = cpuSeconds() as number;
    // Burn CPU until /proc shows 0.1 s of it: on a loaded machine that takes longer than 0.1 s of wall time.
    // Bounded by 10 s of wall time, so a reader that never moves fails instead of hanging.
    const deadline = performance.now() + 10_000;
    let used = 0;
    while (used < 0.1 && performance.now() < deadline) {
      const until = performance.now() + 20;
      while (performance.now() < until);
      used = (cpuSeconds() as number) - before;
    }
    expect(used).toBeGreaterThanOrEqual(0.1);
    expect(used).toBeLessThan(5);
    expect(cpuSplit([1.234, 0.5, 0.25])).toEqual({ controller: 1.23, agents: 0.75 });
    expect(cpuSplit([1, undefined])).toEqual({ controller: 1, agents: null });
    expect(cpuSplit([undefined])).toEqual({ controller: null, agents: null });
  });
});
