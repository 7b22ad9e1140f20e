/**
 * `pnpm bench:fanout --max-agents M` end to end at a small scale, as real
 * processes: a controller with PATCHFLEET_MAX_AGENTS=8 and 12 simulated
 * agents, each trying once; the bench counts the 4 refused
 * (PF_ERR_CONTROLLER_FULL), commands the 8 held, and reads the controller's
 * own cap and refusal count from /metrics. Then a run without the flag
 * reports the cap the controller derives from its open-file limit. Long
 * (LONG_TESTS): two controller starts. The database is DATABASE_URL's
 * server when set, else PGlite.
 */
import { describe, expect, it } from 'vitest';
import type { FanoutReport } from './report';
import { runFanoutBench } from './run-bench';

describe('bench:fanout --max-agents', () => {
  it('refuses --max-agents not below --agents before starting anything (usage error, exit 2)', async () => {
    const r = await runFanoutBench(['--agents', '8', '--max-agents', '8'], 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error PF_ERR_USAGE: --max-agents must be below --agents (8), got 8');
  }, 90_000);

  it('holds as many agents as the cap allows, counts the rest as refused, and the controller counts them too', async () => {
    // One handshake at a time (one worker, concurrency 1): the controller checks its cap when a connection
    // upgrades, so handshakes in flight when the cap is reached may still finish; one at a time, none are.
    const r = await runFanoutBench(['--agents', '12', '--max-agents', '8', '--concurrency', '1', '--workers', '1', '--json'], 240_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout) as FanoutReport;
    expect(report).toMatchObject({
      agents: 12,
      maxAgents: 8,
      agentsHeld: 8,
      agentsRefused: 4,
      agentsOtherFailures: 0,
      controllerAgentsMax: 8,
      controllerAgentsConnected: 8,
      controllerRefusals: 4,
      // The command went to the held agents only, and each of them acknowledged it.
      acknowledged: 8,
      recorded: 8,
      problems: { count: 0 },
    });
    expect(report.connect.connected).toBe(8);
    expect(report.controllerCheck).toMatchObject({ sampled: 8, acknowledged: 8 });
  }, 300_000);

  it('without --max-agents reports the cap the controller derives from the open-file limit, and refuses none', async () => {
    const r = await runFanoutBench(['--agents', '4', '--workers', '1', '--json'], 240_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const report = JSON.parse(r.stdout) as FanoutReport;
    expect(report).toMatchObject({ agents: 4, maxAgents: null, agentsHeld: 4, agentsRefused: 0, agentsOtherFailures: 0, controllerAgentsConnected: 4, controllerRefusals: 0, recorded: 4 });
    expect(typeof report.openFilesLimit).toBe('number');
    const limit = report.openFilesLimit as number;
    // maxConnections less the unauthenticated share and the API reserve: above the agents here, below the limit.
    expect(report.controllerAgentsMax).toBeGreaterThan(4);
    expect(report.controllerAgentsMax).toBeLessThan(limit);
  }, 300_000);
});
