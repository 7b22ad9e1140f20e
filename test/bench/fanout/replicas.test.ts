/**
 * `pnpm bench:fanout --controllers 2` end to end at a small scale, as real
 * processes: two controller replicas on a fresh PostgreSQL database (the
 * bench makes and drops it), 40 simulated agents spread over both, one
 * command through replica 1 acknowledged by all, replica 2 SIGKILLed and its
 * agents back on replica 1 through the real agent's failover rule. Long
 * (LONG_TESTS): two controller starts and a storm on a loaded machine.
 * PostgreSQL: DATABASE_URL when set, else the local server (never PGlite).
 */
import { describe, expect, it } from 'vitest';
import type { FanoutReport } from './report';
import { runFanoutBench as bench } from './run-bench';

describe('bench:fanout --controllers 2', () => {
  it('refuses a third controller before starting anything (usage error, exit 2)', async () => {
    const r = await bench(['--controllers', '3'], 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error PF_ERR_USAGE: --controllers must be 1 or 2, got "3"');
  }, 90_000);

  it('spreads agents over two replicas, commands them through replica 1, and measures their failover when replica 2 is killed', async () => {
    const r = await bench(['--controllers', '2', '--agents', '40', '--workers', '1', '--json'], 240_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout) as FanoutReport;
    expect(report).toMatchObject({ agents: 40, controllers: 2, database: 'postgres', acknowledged: 40, recorded: 40, problems: { count: 0 } });
    expect(report.sourceAddresses).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(report.connectPerReplica.map((c) => [c.replica, c.connected])).toEqual([
      [1, 20],
      [2, 20],
    ]);
    // Issued through replica 1, the command reached the agents of replica 2 through it (NOTIFY) too.
    expect(report.commandPerReplica.map((c) => [c.replica, c.agents])).toEqual([
      [1, 20],
      [2, 20],
    ]);
    const storm = report.storm;
    expect(storm).toMatchObject({ agents: 20, back: 20, failed: 0, othersLost: 0, endedBeforeKill: 0 });
    // The failover wait is 0-2 s of jitter, not the back-off; the rest is a handshake on a loaded machine.
    expect(storm?.allBackSeconds).toBeGreaterThan(0);
    expect(storm?.allBackSeconds).toBeLessThan(20);
    expect(storm?.peakPerSecond).toBeGreaterThan(0);
    expect(storm?.attempts).toBeGreaterThanOrEqual(20);
  }, 300_000);
});
