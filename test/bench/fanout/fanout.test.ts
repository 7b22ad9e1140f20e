import { describe, expect, it } from 'vitest';
import { LOCAL_POSTGRES_URL, parseFanoutArgs, UsageError } from './args';
import { sourceAddresses } from './fleet';
import { latencySummary } from './stats';

describe('bench:fanout flags', () => {
  it('takes defaults, the flags given and DATABASE_URL', () => {
    expect(parseFanoutArgs([], {})).toEqual({ agents: 1000, databaseUrl: undefined, json: false, concurrency: 200, workers: 2, cpuProfDir: undefined, controllers: 1 });
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
    [['--controllers', '3'], '--controllers must be 1 or 2, got "3"'],
    [['--controllers', '0'], '--controllers must be 1 or 2'],
    [['--controllers', 'two'], '--controllers must be 1 or 2'],
    [['--controllers', '2', '--database-url', 'pglite'], '--controllers 2 needs PostgreSQL'],
    [['--controllers', '2', '--database-url', ''], 'two replicas cannot share an embedded PGlite database'],
  ])('refuses %j with a usage error naming the flag', (argv, message) => {
    expect(() => parseFanoutArgs(argv, {})).toThrow(UsageError);
    expect(() => parseFanoutArgs(argv, {})).toThrow(message);
  });

  it('--controllers 2 runs on PostgreSQL: the URL given, else DATABASE_URL, else the local server', () => {
    expect(parseFanoutArgs(['--controllers', '2'], {})).toMatchObject({ controllers: 2, databaseUrl: LOCAL_POSTGRES_URL });
    expect(parseFanoutArgs(['--controllers', '2'], { DATABASE_URL: 'postgres://pg.example/x' })).toMatchObject({ controllers: 2, databaseUrl: 'postgres://pg.example/x' });
    expect(parseFanoutArgs(['--controllers', '2', '--database-url', 'postgresql://db/y'], {})).toMatchObject({ controllers: 2, databaseUrl: 'postgresql://db/y' });
    expect(parseFanoutArgs(['--controllers', '1'], {})).toMatchObject({ controllers: 1, databaseUrl: undefined });
  });

  it('--max-agents: a cap below --agents, one controller; absent by default', () => {
    expect(parseFanoutArgs([], {}).maxAgents).toBeUndefined();
    expect(parseFanoutArgs(['--agents', '3000', '--max-agents', '2500'], {})).toMatchObject({ agents: 3000, maxAgents: 2500 });
    expect(parseFanoutArgs(['--max-agents', '999'], {})).toMatchObject({ agents: 1000, maxAgents: 999 });
    for (const [argv, message] of [
      [['--agents', '12', '--max-agents', '12'], '--max-agents must be below --agents (12), got 12'],
      [['--agents', '12', '--max-agents', '13'], '--max-agents must be below --agents (12), got 13'],
      [['--max-agents', '0'], '--max-agents must be a whole number from 1 to 20000, got "0"'],
      [['--max-agents', 'many'], '--max-agents must be a whole number'],
      [['--max-agents', '10', '--controllers', '2'], '--max-agents runs with one controller'],
    ] as const) {
      expect(() => parseFanoutArgs(argv, {})).toThrow(UsageError);
      expect(() => parseFanoutArgs(argv, {})).toThrow(message);
    }
  });

  it('binds enough loopback source addresses, from 127.0.0.2, at least two', () => {
    expect(sourceAddresses(1)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(sourceAddresses(20_000)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(sourceAddresses(20_001)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  });

  it('summarises latencies as p50 / p95 / p99 / max', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = latencySummary(values);
    expect(s.max).toBe(100);
    expect(s.p50).toBeGreaterThanOrEqual(50);
    expect(s.p50).toBeLessThanOrEqual(51);
    expect(s.p95).toBeGreaterThanOrEqual(95);
    expect(s.p95).toBeLessThanOrEqual(96);
    expect(s.p99).toBe(99);
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

describe('bench:fanout reconnect storm figures', () => {
  it('counts from the kill: rate overall and in the busiest second, time until all are back, failures', async () => {
    const { stormFigures, commandPerReplica } = await import('./report');
    const k = 5_000_000;
    const agents = [
      { agentId: 'a', lostAt: k + 10, backAt: k + 200, attempts: 1 },
      { agentId: 'b', lostAt: k + 12, backAt: k + 900, attempts: 1 },
      { agentId: 'c', lostAt: k + 15, backAt: k + 950, attempts: 1 },
      { agentId: 'd', lostAt: k + 20, backAt: k + 2_000, attempts: 3 },
    ];
    const all = stormFigures({ agents, othersLost: 0, endedBeforeKill: 0 }, k, 180_000, { seconds: 1, agentsSeconds: 0.5, wallMs: 2_000 });
    expect(all).toMatchObject({ agents: 4, back: 4, failed: 0, allBackSeconds: 2, perSecond: 2, peakPerSecond: 3, attempts: 6, agentsRetried: 1, controller1CpuSeconds: 1, controller1CpuPercent: 50, agentsCpuSeconds: 0.5 });
    expect(all.backMs.max).toBe(2_000);
    expect(all.backEachSecond).toEqual([3, 0, 1]);
    expect(all.lostMs.max).toBe(20);

    const some = stormFigures({ agents: [...agents, { agentId: 'e', lostAt: k + 9, attempts: 7 }], othersLost: 2, endedBeforeKill: 3 }, k, 180_000, { seconds: undefined, wallMs: 180_000 });
    expect(some).toMatchObject({ agents: 5, back: 4, failed: 1, allBackSeconds: null, othersLost: 2, endedBeforeKill: 3, controller1CpuSeconds: null, agentsCpuSeconds: null });
    expect(some.failedAgents).toEqual(['e: not back after 7 attempts']);

    const none = stormFigures({ agents: [{ agentId: 'f', attempts: 0 }], othersLost: 0, endedBeforeKill: 0 }, k, 1_000, { seconds: 0, wallMs: 1_000 });
    expect(none).toMatchObject({ back: 0, failed: 1, allBackSeconds: null, perSecond: 0, peakPerSecond: 0, backEachSecond: [] });
    expect(none.failedAgents).toEqual(['f: never saw its session end after 0 attempts']);

    const t0 = 1_000;
    const perReplica = commandPerReplica(
      [
        { agentId: 'x', replica: 0, ackSentAt: t0 + 100, recordedAt: t0 + 150 },
        { agentId: 'y', replica: 1, ackSentAt: t0 + 300, recordedAt: t0 + 400 },
        { agentId: 'z', replica: 1, ackSentAt: t0 + 500 },
      ],
      t0,
      2,
    );
    expect(perReplica.map((r) => [r.replica, r.agents, r.issueToAckMs.max, r.issueToRecordedMs.max])).toEqual([
      [1, 1, 100, 150],
      [2, 2, 500, 400],
    ]);
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

  it('gives the controller CPU per command in ms', async () => {
    const { commandCpuMs } = await import('./report');
    expect(commandCpuMs(2.3456, 10_000)).toBe(0.235);
    expect(commandCpuMs(1.5, 5000)).toBe(0.3);
    expect(commandCpuMs(null, 5000)).toBeNull();
    expect(commandCpuMs(1, 0)).toBeNull();
  });
});

describe('bench:fanout connect-phase figures', () => {
  it('divides the controller CPU and RSS growth of the connect phase by the agents connected', async () => {
    const { perAgentCpuMs, perAgentRssKiB } = await import('./report');
    expect(perAgentCpuMs(10, 12.5, 1000)).toBe(2.5);
    expect(perAgentCpuMs(undefined, 12.5, 1000)).toBeNull();
    expect(perAgentCpuMs(10, 12.5, 0)).toBeNull();
    expect(perAgentRssKiB(100 * 2 ** 20, 130 * 2 ** 20, 1024)).toBe(30);
    expect(perAgentRssKiB(100, undefined, 10)).toBeNull();
  });
});

describe('bench:fanout cap figures', () => {
  it("reads the controller's cap, agents connected and PF_ERR_CONTROLLER_FULL refusals from /metrics", async () => {
    const { capFigures } = await import('./report');
    const text = [
      '# HELP patchfleet_agents_max Agent sessions this controller process may hold',
      '# TYPE patchfleet_agents_max gauge',
      'patchfleet_agents_max 2500',
      'patchfleet_agents_connected 2493',
      'patchfleet_agent_handshakes_total{outcome="accepted",code=""} 2493',
      'patchfleet_agent_handshakes_total{outcome="refused",code="PF_ERR_CONTROLLER_FULL"} 507',
      'patchfleet_agent_handshakes_total{outcome="refused",code="PF_ERR_AUTH_FAILED"} 3',
    ].join('\n');
    expect(capFigures(text)).toEqual({ controllerAgentsMax: 2500, controllerAgentsConnected: 2493, controllerRefusals: 507 });
    // No refusal yet: prom-client has no series for the label set, which counts 0; a missing gauge is unknown.
    expect(capFigures('patchfleet_agents_max 17000\n')).toEqual({ controllerAgentsMax: 17000, controllerAgentsConnected: null, controllerRefusals: 0 });
    expect(() => capFigures('not metrics at all')).toThrow('not a Prometheus sample line');
  });
});
