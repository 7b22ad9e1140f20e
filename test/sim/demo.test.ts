/**
 * `pnpm start --demo`: its flags and the pure formatting of its narrative
 * (test/sim/demo-args.ts, test/sim/demo-narrative.ts). The demo end to end
 * (a real controller and hosts) is test/sim/demo-e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_PORT, DEFAULT_HOUR_MS, DemoUsageError, demoScenarioOf, parseDemoArgs } from './demo-args';
import { dayLines, dayOf, missingByPriority, newEvents, newTold, pace, rollbackCount, rolloutLine, when, type DemoSnapshot, type RolloutView } from './demo-narrative';
import type { Scenario } from './scenario';

const START = Date.parse('2026-01-13T17:00:00Z');
const HOUR = 3_600_000;

const rollout = (over: Partial<RolloutView> = {}): RolloutView => ({
  id: 'ro_1',
  name: 'demo: KB5072033',
  state: 'active',
  stateReason: null,
  hosts: { pending: 40, succeeded: 2 },
  rings: [
    { ring: 'Test', state: 'passed', hosts: {} },
    { ring: 'First', state: 'soaking', hosts: { succeeded: 2 } },
    { ring: 'Fast', state: 'waiting', hosts: { pending: 5 } },
  ],
  ...over,
});

const snapshot = (over: Partial<DemoSnapshot> = {}): DemoSnapshot => ({
  now: START + 48 * HOUR,
  start: START,
  hosts: { total: 300, online: 297 },
  missing: [
    { id: 'KB5072033', tiers: { critical: 118 }, installed: 2 },
    { id: 'USN-7604-1', tiers: { critical: 100, high: 33 }, installed: 2 },
  ],
  rollouts: [rollout()],
  blocks: [],
  ...over,
});

describe('demo flags', () => {
  const root = '/repo';
  it('defaults: pace, the scenario days and fleet, port 8444, data in .patchfleet/demo of the repository', () => {
    const a = parseDemoArgs(['--demo'], {}, root);
    expect(a).toEqual({ hourMs: DEFAULT_HOUR_MS, days: undefined, hosts: undefined, verbose: false, dataDir: '/repo/.patchfleet/demo', lockFile: '/repo/.patchfleet/demo.lock', port: DEFAULT_DEMO_PORT });
  });

  it('takes the flags and PATCHFLEET_HOME / PATCHFLEET_DEMO_PORT', () => {
    const a = parseDemoArgs(['--demo', '--demo-hour-ms', '0', '--demo-days', '3', '--demo-hosts', '120', '--demo-verbose'], { PATCHFLEET_HOME: '/tmp/h', PATCHFLEET_DEMO_PORT: '0' }, root);
    expect(a).toMatchObject({ hourMs: 0, days: 3, hosts: 120, verbose: true, dataDir: '/tmp/h/demo', lockFile: '/tmp/h/demo.lock', port: 0 });
    expect(parseDemoArgs([], { PATCHFLEET_HOME: 'rel' }, root).dataDir).toBe('/repo/rel/demo');
  });

  it.each([
    [['--demo-days', '0']],
    [['--demo-days', '2.5']],
    [['--demo-hour-ms', '-1']],
    [['--demo-hosts', 'many']],
    [['--no-sample-catalog']],
    [['--demo-days']],
    [['extra']],
  ])('refuses %j', (argv) => {
    expect(() => parseDemoArgs(argv, {}, root)).toThrow(DemoUsageError);
  });

  it('refuses a bad PATCHFLEET_DEMO_PORT', () => {
    expect(() => parseDemoArgs([], { PATCHFLEET_DEMO_PORT: '70000' }, root)).toThrow(/PATCHFLEET_DEMO_PORT/);
  });
});

describe('demo scenario overrides', () => {
  it('sets days and fleet size and leaves the rest', () => {
    const base = { name: 'demo', seed: 1, days: 21, fleet: { hosts: 300, classes: [] }, baseline: {}, incidents: [], patches: [] } as unknown as Scenario;
    expect(demoScenarioOf(base, { days: 3, hosts: 200 })).toMatchObject({ name: 'demo', seed: 1, days: 3, fleet: { hosts: 200 } });
    expect(demoScenarioOf(base, { days: undefined, hosts: undefined })).toEqual(base);
    expect(base.days).toBe(21);
  });
});

describe('demo narrative', () => {
  it('says the virtual moment as a day of the run', () => {
    expect(when(START + 44 * HOUR, START)).toBe('day 1 +20h (2026-01-15 13:00 UTC, virtual)');
    expect(when(START, START)).toBe('day 0 +00h (2026-01-13 17:00 UTC, virtual)');
  });

  it('counts missing host-patch pairs per tier, naming the patches', () => {
    expect(missingByPriority(snapshot().missing)).toBe('critical 218 (KB5072033 118, USN-7604-1 100), high 33 (USN-7604-1 33), medium 0, low 0');
    expect(missingByPriority([])).toBe('nothing missing');
    expect(missingByPriority([{ id: 'KB1', tiers: {}, installed: 5 }])).toBe('nothing missing');
  });

  it('shows each ring with the host counts worth a look', () => {
    expect(rolloutLine(rollout())).toBe('demo: KB5072033 (ro_1): active; Test passed, First soaking [2 succeeded], Fast waiting [5 pending]');
    const rolled = rollout({ rings: [{ ring: 'First', state: 'halted', hosts: { 'rolled-back': 1, succeeded: 1, pending: 3, later: 2, blocked: 0 } }] });
    expect(rolloutLine(rolled)).toBe('demo: KB5072033 (ro_1): active; First halted [3 pending, 1 succeeded, 1 rolled-back, 2 later]');
  });

  it('counts rollbacks over rollouts', () => {
    expect(rollbackCount([rollout()])).toEqual({ total: 0, line: 'rollbacks: none yet' });
    const two = [rollout({ hosts: { 'rolled-back': 2, 'rollback-failed': 1 } }), rollout({ name: 'demo: USN-1-1', hosts: { 'rolling-back': 1 } })];
    expect(rollbackCount(two)).toEqual({ total: 4, line: 'rollbacks: 4 hosts rolled back (demo: KB5072033 3, demo: USN-1-1 1)' });
  });

  it('tells each block and halt once, with its reason', () => {
    const told = newTold();
    const block = { id: 'bk_1', patchId: 'KB5072033', scope: 'windows 26100, model HP', state: 'active', reason: '3 application crashes ...', createdAt: new Date(START + 44 * HOUR).toISOString() };
    const halted = rollout({ id: 'ro_2', name: 'demo: KB5071547', state: 'halted', stateReason: 'ring First: 1 of 1 hosts failed (100% > 5%)' });
    const s = snapshot({ blocks: [block], rollouts: [rollout(), halted] });
    expect(newEvents(s, told)).toEqual([
      'GATE TRIPPED at day 1 +20h (2026-01-15 13:00 UTC, virtual): KB5072033 blocked for windows 26100, model HP (bk_1)',
      '  why: 3 application crashes ...',
      'ROLLOUT HALTED: demo: KB5071547 (ro_2): ring First: 1 of 1 hosts failed (100% > 5%)',
    ]);
    expect(newEvents(s, told)).toEqual([]);
  });

  it('sums a day up: hosts online, missing by priority, rollouts, blocks, rollbacks', () => {
    const block = { id: 'bk_1', patchId: 'KB5072033', scope: 'HP laptops', state: 'active', reason: 'r', createdAt: new Date(START).toISOString() };
    const lifted = { ...block, id: 'bk_0', state: 'lifted', scope: 'old' };
    expect(dayLines(snapshot({ blocks: [block, lifted], rollouts: [rollout({ hosts: { 'rolled-back': 1 } })] }))).toEqual([
      'day 2 +00h (2026-01-15 17:00 UTC, virtual): 297 of 300 hosts online',
      '  missing patches by priority (hosts): critical 218 (KB5072033 118, USN-7604-1 100), high 33 (USN-7604-1 33), medium 0, low 0',
      '  rollout demo: KB5072033 (ro_1): active; Test passed, First soaking [2 succeeded], Fast waiting [5 pending]',
      '  blocks: KB5072033 for HP laptops',
      '  rollbacks: 1 host rolled back (demo: KB5072033 1)',
    ]);
    expect(dayLines(snapshot({ rollouts: [] }))).toContain('  rollouts: none yet');
  });

  it('knows day boundaries and says the pace', () => {
    expect([0, 1, 23, 24, 48].map(dayOf)).toEqual([0, undefined, undefined, 1, 2]);
    expect(pace(0)).toBe('as fast as this machine goes');
    expect(pace(2500)).toBe('one virtual hour every 2500 ms at most (a day in 1.0 min or more)');
    expect(pace(1000)).toBe('one virtual hour every 1000 ms at most (a day in 24 s or more)');
  });
});
