import { describe, expect, it } from 'vitest';
import { formatDuration, settingsFromFlags } from './health';
import { parseMs, probeInputFromFlags } from './probes';

describe('health and probes CLI flags', () => {
  it('turns flags into the probe API body, only with what was given', () => {
    expect(probeInputFromFlags('web', [], { kind: 'http', url: 'http://x/healthz', expectStatus: '204', maxLatency: '800ms', bodyMatch: 'ok', timeout: '2s', labels: 'role=web', ring: 'Test' })).toEqual({
      name: 'web',
      kind: 'http',
      url: 'http://x/healthz',
      expectStatus: 204,
      maxLatencyMs: 800,
      bodyMatch: 'ok',
      timeoutMs: 2000,
      scope: { labels: { role: 'web' }, ringId: 'Test' },
    });
    expect(probeInputFromFlags('dns', ['getent', 'hosts', 'a'], { kind: 'command', expectExit: '2', disabled: true })).toEqual({ name: 'dns', kind: 'command', argv: ['getent', 'hosts', 'a'], expectExit: 2, enabled: false });
    expect(() => probeInputFromFlags('x', [], { kind: 'ping' })).toThrow(/--kind must be http, tcp or command/);
    expect(() => probeInputFromFlags('x', [], { kind: 'tcp', host: 'h', port: 'eighty' })).toThrow(/--port must be a whole number/);
  });

  it('reads durations in ms, s and m, and prints seconds in the shortest exact unit', () => {
    expect([parseMs('--timeout', '500ms'), parseMs('--timeout', '5s'), parseMs('--timeout', '1m'), parseMs('--timeout', '250')]).toEqual([500, 5000, 60_000, 250]);
    expect(() => parseMs('--timeout', 'soon')).toThrow(/--timeout must be a duration/);
    expect([formatDuration(300), formatDuration(3600), formatDuration(86_400), formatDuration(90), formatDuration(0)]).toEqual(['5m', '1h', '1d', '90s', '0s']);
  });

  it('sends only the settings given', () => {
    expect(settingsFromFlags({ interval: '5m' })).toEqual({ intervalSec: 300 });
    expect(settingsFromFlags({ retentionDays: '14' })).toEqual({ retentionDays: 14 });
    expect(settingsFromFlags({})).toEqual({});
    expect(() => settingsFromFlags({ retentionDays: '1.5' })).toThrow(/--retention-days/);
    expect(() => settingsFromFlags({ interval: 'often' })).toThrow(/not a duration/);
  });
});
