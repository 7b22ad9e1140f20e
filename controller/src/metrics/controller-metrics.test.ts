import { describe, expect, it } from 'vitest';
import { parsePrometheus, sampleValue } from '@patchfleet/test/support/prometheus';
import { createLogger } from '../logger';
import type { PoolStats } from '../db/pool-stats';
import { ControllerMetrics, type MetricsSources } from './controller-metrics';

const silent = createLogger({ level: 'silent' });

function sources(over: Partial<MetricsSources> = {}): MetricsSources {
  return {
    connectedAgents: () => 3,
    maxAgents: () => 1000,
    commandsByState: async () => ({ queued: 2, sent: 0, succeeded: 5 }),
    rolloutsByState: async () => ({ active: 1, completed: 4 }),
    poolStats: async (): Promise<PoolStats> => ({ driver: 'pglite', max: 1, connections: { active: 1, idle: 0 }, waiting: 2 }),
    ...over,
  };
}

async function scrape(m: ControllerMetrics) {
  return parsePrometheus((await m.render()).body);
}

describe('ControllerMetrics', () => {
  it('reads the gauges at scrape time and counts what the ports report', async () => {
    let agents = 3;
    const m = new ControllerMetrics(sources({ connectedAgents: () => agents }), silent);
    m.handshake('accepted');
    m.handshake('accepted');
    m.handshake('refused', 'PF_ERR_AUTH_FAILED');
    m.handshake('abandoned');
    m.frameReceived('hello');
    m.frameReceived('heartbeat');
    m.frameReceived('heartbeat');
    m.frameSent('welcome');
    m.gateEvaluated('app-crash', 'passed');
    m.gateEvaluated('install-failure', 'tripped');
    let s = await scrape(m);
    expect(sampleValue(s, 'patchfleet_agents_connected')).toBe(3);
    expect(sampleValue(s, 'patchfleet_agents_max')).toBe(1000);
    expect(sampleValue(s, 'patchfleet_agent_handshakes_total', { outcome: 'accepted' })).toBe(2);
    expect(sampleValue(s, 'patchfleet_agent_handshakes_total', { outcome: 'refused', code: 'PF_ERR_AUTH_FAILED' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_agent_handshakes_total', { outcome: 'abandoned' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_agent_frames_received_total', { type: 'heartbeat' })).toBe(2);
    expect(sampleValue(s, 'patchfleet_agent_frames_received_total', { type: 'hello' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_agent_frames_sent_total', { type: 'welcome' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_gate_evaluations_total', { kind: 'install-failure', outcome: 'tripped' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_gate_evaluations_total', { kind: 'app-crash', outcome: 'passed' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_commands', { state: 'queued' })).toBe(2);
    expect(sampleValue(s, 'patchfleet_commands', { state: 'sent' })).toBe(0);
    expect(sampleValue(s, 'patchfleet_rollouts', { state: 'completed' })).toBe(4);
    expect(sampleValue(s, 'patchfleet_db_pool_max_connections', { driver: 'pglite' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_db_pool_connections', { driver: 'pglite', state: 'active' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_db_pool_waiting', { driver: 'pglite' })).toBe(2);
    // prom-client's default metrics, event-loop lag among them.
    expect(sampleValue(s, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    agents = 0;
    s = await scrape(m);
    expect(sampleValue(s, 'patchfleet_agents_connected')).toBe(0);
  });

  it('reads the pool once per scrape, and leaves out series whose read failed (counted, not thrown)', async () => {
    let poolReads = 0;
    const m = new ControllerMetrics(
      sources({
        commandsByState: async () => {
          throw new Error('database away');
        },
        poolStats: async () => {
          poolReads += 1;
          return { driver: 'postgres', max: 10, connections: { active: 1, idle: 2 }, waiting: undefined };
        },
      }),
      silent,
    );
    const s = await scrape(m);
    expect(poolReads).toBe(1);
    expect(s.filter((x) => x.name === 'patchfleet_commands')).toEqual([]);
    expect(sampleValue(s, 'patchfleet_metrics_collect_errors_total', { source: 'commands' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_rollouts', { state: 'active' })).toBe(1);
    expect(sampleValue(s, 'patchfleet_db_pool_max_connections', { driver: 'postgres' })).toBe(10);
    expect(sampleValue(s, 'patchfleet_db_pool_connections', { driver: 'postgres', state: 'idle' })).toBe(2);
    // postgres.js does not tell how many queries wait: no series rather than a made-up zero.
    expect(s.filter((x) => x.name === 'patchfleet_db_pool_waiting')).toEqual([]);
    await scrape(m);
    expect(poolReads).toBe(2);
  });

  it('keeps each instance on its own registry (two controllers in one process)', async () => {
    const a = new ControllerMetrics(sources(), silent);
    const b = new ControllerMetrics(sources({ connectedAgents: () => 7 }), silent);
    a.handshake('accepted');
    expect(sampleValue(await scrape(a), 'patchfleet_agent_handshakes_total', { outcome: 'accepted' })).toBe(1);
    const sb = await scrape(b);
    expect(sampleValue(sb, 'patchfleet_agent_handshakes_total', { outcome: 'accepted' })).toBeUndefined();
    expect(sampleValue(sb, 'patchfleet_agents_connected')).toBe(7);
  });
});
