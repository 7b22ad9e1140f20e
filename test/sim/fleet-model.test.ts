import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildFleet, createFleetModel, OFFLINE_MAX_HOURS, OFFLINE_MIN_HOURS, type HostState, type SimEvent } from './fleet-model';
import { classCounts, loadScenario, parseScenario, type ScenarioInput } from './scenario';

const DAY = 24;

/** Two classes, one patch with a crash effect on class a, one incident on class b. */
function scenario(change: (s: ScenarioInput) => void = () => {}) {
  const s: ScenarioInput = {
    name: 'model',
    seed: 42,
    days: 21,
    fleet: {
      hosts: 400,
      classes: [
        { name: 'a', os: 'windows', build: '10.0.26100', model: 'Dell Latitude 7440', role: 'workstation', criticality: 2, share: 0.5 },
        { name: 'b', os: 'ubuntu-24.04', build: '24.04', model: 'KVM', role: 'server', criticality: 4, share: 0.5 },
      ],
    },
    baseline: { crashesPerHostDay: 0.2, serviceFailuresPerHostDay: 0.1, offlinePerHostDay: 0, installFailure: 0.02 },
    incidents: [{ day: 3, hours: 48, classes: ['b'], crashMultiplier: 4 }],
    patches: [
      { id: 'KB5066835', releasedDay: 0, appliesTo: ['a', 'b'], priority: { cvss: 8, epss: 0.1, kev: false },
        effects: [{ classes: ['a'], crashMultiplier: 6, installFailure: 0.1, bootFailure: 0.05, onsetHours: 12 }] },
    ],
  };
  change(s);
  return parseScenario(s);
}

const NONE: HostState = { exposures: [] };
const count = (events: SimEvent[], pred: (e: SimEvent) => boolean): number => events.filter(pred).length;
const hostsOf = (model: ReturnType<typeof createFleetModel>, cls: string) => model.hosts.filter((h) => h.className === cls).map((h) => h.index);

describe('buildFleet', () => {
  it('gives each class its exact largest-remainder count', async () => {
    const s = await loadScenario(fileURLToPath(new URL('./scenarios/mixed-fleet.json', import.meta.url)));
    const hosts = buildFleet(s);
    expect(hosts).toHaveLength(2000);
    const counts = s.fleet.classes.map((c) => hosts.filter((h) => h.className === c.name).length);
    expect(counts).toEqual([900, 500, 100, 500]);
    expect(counts).toEqual(classCounts(2000, s.fleet.classes.map((c) => c.share)));
  });

  it('gives stable, unique names and serials and the class attributes', () => {
    const s = scenario();
    const hosts = buildFleet(s);
    expect(buildFleet(s)).toEqual(hosts);
    expect(hosts[7]!.hostname).toBe('sim-000007');
    expect(new Set(hosts.map((h) => h.hostname)).size).toBe(400);
    expect(new Set(hosts.map((h) => h.serial)).size).toBe(400);
    for (const h of hosts) {
      expect(h.serial).toMatch(/^SIM[0-9A-F]{8}$/);
      const c = s.fleet.classes[h.classIndex]!;
      expect([h.className, h.os, h.build, h.model, h.role, h.criticality]).toEqual([c.name, c.os, c.build, c.model, c.role, c.criticality]);
    }
  });

  it('spreads classes over the index range instead of handing out blocks', () => {
    const hosts = buildFleet(scenario());
    const firstHalf = hosts.slice(0, 200).filter((h) => h.className === 'a').length;
    expect(firstHalf).toBeGreaterThan(70);
    expect(firstHalf).toBeLessThan(130);
  });
});

describe('events', () => {
  it('gives the same draws for the same seed and other draws for another seed', () => {
    const m1 = createFleetModel(scenario());
    const m2 = createFleetModel(scenario());
    const m3 = createFleetModel(scenario((s) => { s.seed = 43; }));
    const all = (m: typeof m1) => [0, 1, 2, 3].flatMap((i) => m.events(i, NONE, 0, 21 * DAY));
    expect(all(m1).length).toBeGreaterThan(20);
    expect(all(m2)).toEqual(all(m1));
    expect(all(m3)).not.toEqual(all(m1));
  });

  it('does not depend on how the caller cuts time into intervals', () => {
    const model = createFleetModel(scenario((s) => { s.baseline.offlinePerHostDay = 0.3; }));
    const host = hostsOf(model, 'a')[0]!;
    const state: HostState = { exposures: [{ patchId: 'KB5066835', installedAt: 30.25, removedAt: 200 }, { patchId: 'KB5066835', installedAt: 300 }] };
    const whole = model.events(host, state, 0, 21 * DAY);
    expect(count(whole, (e) => e.cause.type === 'effect')).toBeGreaterThan(10);
    const step = 5 / 60;
    const stepped: SimEvent[] = [];
    for (let t = 0; t < 21 * DAY; t += step) stepped.push(...model.events(host, state, t, Math.min(t + step, 21 * DAY)));
    expect(stepped.map((e) => e.at)).toEqual(whole.map((e) => e.at));
    const cuts = [0, 0.3, 7.9, 50, 50.0001, 333, 21 * DAY];
    const uneven = cuts.slice(1).flatMap((t1, i) => model.events(host, state, cuts[i]!, t1));
    expect(uneven).toEqual(whole);
  });

  it('gives a host the same draws whatever the fleet size and the order of questions', () => {
    const one = (hosts: number) => scenario((s) => {
      s.fleet.hosts = hosts;
      s.fleet.classes = [{ ...s.fleet.classes[0]!, share: 1 }];
      s.patches[0]!.appliesTo = ['a'];
      s.incidents = [];
    });
    const small = createFleetModel(one(10));
    const large = createFleetModel(one(5000));
    const ask = (m: typeof small, i: number) => m.events(i, NONE, 0, 21 * DAY);
    const later = [ask(large, 9999 % 5000), ask(large, 3), ask(large, 7)];
    expect(later[1]).toEqual(ask(small, 3));
    expect(later[2]).toEqual(ask(small, 7));
    expect(ask(small, 3)).not.toEqual(ask(small, 7));
  });

  it('draws baseline crashes and service failures at their Poisson rates', () => {
    const model = createFleetModel(scenario((s) => { s.incidents = []; }));
    let crashes = 0;
    let services = 0;
    const perHostDay: number[] = [];
    for (const h of model.hosts) {
      for (let d = 0; d < 21; d++) {
        const ev = model.events(h.index, NONE, d * DAY, (d + 1) * DAY);
        const c = count(ev, (e) => e.kind === 'crash');
        crashes += c;
        services += ev.length - c;
        perHostDay.push(c);
      }
    }
    const hostDays = 400 * 21;
    // Expected 1680 crashes (sd 41) and 840 service failures (sd 29): 4 sd.
    expect(Math.abs(crashes - 0.2 * hostDays)).toBeLessThan(4 * Math.sqrt(0.2 * hostDays));
    expect(Math.abs(services - 0.1 * hostDays)).toBeLessThan(4 * Math.sqrt(0.1 * hostDays));
    // Poisson: variance equals the mean.
    const mean = crashes / hostDays;
    const variance = perHostDay.reduce((a, c) => a + (c - mean) ** 2, 0) / (hostDays - 1);
    expect(variance / mean).toBeGreaterThan(0.9);
    expect(variance / mean).toBeLessThan(1.1);
  });

  it('adds effect events at (m - 1) x baseline from onset until the rollback, and leaves baseline draws alone', () => {
    const model = createFleetModel(scenario((s) => { s.incidents = []; }));
    const hosts = hostsOf(model, 'a');
    const installedAt = 24;
    const removedAt = 24 + 12 + 10 * DAY; // ten days of harm after the 12 h onset
    let excess = 0;
    for (const h of hosts) {
      const plain = model.events(h, NONE, 0, 21 * DAY);
      const patched = model.events(h, { exposures: [{ patchId: 'KB5066835', installedAt, removedAt }] }, 0, 21 * DAY);
      const extra = patched.filter((e) => e.cause.type === 'effect');
      for (const e of extra) {
        expect(e.at).toBeGreaterThanOrEqual(installedAt + 12);
        expect(e.at).toBeLessThan(removedAt);
        expect(e.kind).toBe('crash');
        expect(e.cause).toEqual({ type: 'effect', patchId: 'KB5066835', effect: 0 });
      }
      expect(patched.filter((e) => e.cause.type === 'baseline')).toEqual(plain);
      excess += extra.length;
    }
    const expected = hosts.length * 10 * 0.2 * 5; // 2000, sd 45
    expect(Math.abs(excess - expected)).toBeLessThan(4 * Math.sqrt(expected));
  });

  it('gives no effect events to a class the effect does not name', () => {
    const model = createFleetModel(scenario((s) => { s.incidents = []; }));
    const events = hostsOf(model, 'b').flatMap((h) => model.events(h, { exposures: [{ patchId: 'KB5066835', installedAt: 0 }] }, 0, 21 * DAY));
    expect(events.length).toBeGreaterThan(1000);
    expect(count(events, (e) => e.cause.type !== 'baseline')).toBe(0);
  });

  it('adds incident events inside the incident window only, to its classes only', () => {
    const model = createFleetModel(scenario());
    const b = hostsOf(model, 'b').flatMap((h) => model.events(h, NONE, 0, 21 * DAY));
    const a = hostsOf(model, 'a').flatMap((h) => model.events(h, NONE, 0, 21 * DAY));
    const inc = b.filter((e) => e.cause.type === 'incident');
    expect(count(a, (e) => e.cause.type === 'incident')).toBe(0);
    for (const e of inc) {
      expect(e.at).toBeGreaterThanOrEqual(3 * DAY);
      expect(e.at).toBeLessThan(5 * DAY);
      expect(e.kind).toBe('crash');
    }
    const expected = 200 * 2 * 0.2 * 3; // 240, sd 15.5
    expect(Math.abs(inc.length - expected)).toBeLessThan(4 * Math.sqrt(expected));
  });

  it('thins baseline events by a multiplier below 1', () => {
    const model = createFleetModel(scenario((s) => {
      s.incidents = [];
      s.patches[0]!.effects = [{ classes: ['a'], crashMultiplier: 0.25 }];
    }));
    let plain = 0;
    let patched = 0;
    for (const h of hostsOf(model, 'a')) {
      plain += count(model.events(h, NONE, 0, 21 * DAY), (e) => e.kind === 'crash');
      patched += count(model.events(h, { exposures: [{ patchId: 'KB5066835', installedAt: 0 }] }, 0, 21 * DAY), (e) => e.kind === 'crash');
    }
    expect(plain).toBeGreaterThan(700);
    expect(patched / plain).toBeGreaterThan(0.2);
    expect(patched / plain).toBeLessThan(0.3);
  });

  it('has nothing while the host is offline or after it failed to boot', () => {
    const model = createFleetModel(scenario((s) => { s.baseline.offlinePerHostDay = 0.5; }));
    let checked = 0;
    for (const h of model.hosts.slice(0, 50)) {
      const ev = model.events(h.index, NONE, 0, 21 * DAY);
      const off = model.offlineIntervals(h.index, 0, 21 * DAY);
      for (const e of ev) expect(off.some(([s, t]) => e.at >= s && e.at < t)).toBe(false);
      for (const e of ev) expect(model.isOnline(h.index, e.at)).toBe(true);
      checked += ev.length;
      expect(model.events(h.index, { exposures: [], downSince: 100 }, 0, 21 * DAY).every((e) => e.at < 100)).toBe(true);
      expect(model.events(h.index, { exposures: [], downSince: 100 }, 100, 200)).toEqual([]);
    }
    expect(checked).toBeGreaterThan(200); // 50 hosts x 21 days x 0.3 = 315, less the hours off
  });
});

describe('offline periods', () => {
  it('take a host off on the given share of days for 2 to 6 hours', () => {
    const model = createFleetModel(scenario((s) => { s.baseline.offlinePerHostDay = 0.1; }));
    let hoursOff = 0;
    let periods = 0;
    for (const h of model.hosts) {
      for (const [s, e] of model.offlineIntervals(h.index, 0, 21 * DAY)) {
        hoursOff += e - s;
        periods++;
        if (e === 21 * DAY) continue; // cut by the end of the question
        expect(e - s).toBeGreaterThanOrEqual(OFFLINE_MIN_HOURS);
        expect(e - s).toBeLessThanOrEqual(2 * OFFLINE_MAX_HOURS); // two merged periods at most, at this rate
      }
    }
    // 400 hosts x 21 days x 0.1 = 840 periods (a few fewer: merges and the end of the run), 4 h each on average.
    expect(periods).toBeGreaterThan(740);
    expect(periods).toBeLessThan(900);
    expect(hoursOff / periods).toBeGreaterThan(3.7);
    expect(hoursOff / periods).toBeLessThan(4.3);
  });

  it('clips periods to the question and agrees with isOnline', () => {
    const model = createFleetModel(scenario((s) => { s.baseline.offlinePerHostDay = 0.5; }));
    const whole = model.offlineIntervals(3, 0, 21 * DAY);
    expect(whole.length).toBeGreaterThan(3);
    const [s, e] = whole[1]!;
    const mid = (s + e) / 2;
    expect(model.offlineIntervals(3, mid, e + 0.5)).toEqual([[mid, e]]);
    expect(model.isOnline(3, mid)).toBe(false);
    expect(model.isOnline(3, e)).toBe(true);
    expect(model.isOnline(3, s - 1e-6) || whole.some(([a, b]) => s - 1e-6 >= a && s - 1e-6 < b)).toBe(true);
  });

  it('never happen when offlinePerHostDay is 0', () => {
    const model = createFleetModel(scenario());
    expect(model.hosts.flatMap((h) => model.offlineIntervals(h.index, 0, 21 * DAY))).toEqual([]);
  });
});

describe('installs and boots', () => {
  it('fails installs at 1 - (1 - baseline)(1 - effect) and tells the cause', () => {
    const model = createFleetModel(scenario());
    const tally = (cls: string) => {
      const n = { baseline: 0, effect: 0, ok: 0 };
      for (const h of hostsOf(model, cls)) {
        for (let attempt = 0; attempt < 20; attempt++) {
          const o = model.installOutcome(h, 'KB5066835', attempt);
          expect(o.ok).toBe(o.cause === null);
          n[o.cause ?? 'ok']++;
        }
      }
      return n;
    };
    const a = tally('a'); // 4000 attempts: 2 % unrelated, 1 - 0.98 x 0.9 = 11.8 % in all
    expect((a.baseline + a.effect) / 4000).toBeGreaterThan(0.118 - 0.02);
    expect((a.baseline + a.effect) / 4000).toBeLessThan(0.118 + 0.02);
    expect(a.baseline / 4000).toBeGreaterThan(0.01);
    expect(a.baseline / 4000).toBeLessThan(0.03);
    const b = tally('b'); // unrelated failures only
    expect(b.effect).toBe(0);
    expect(b.baseline / 4000).toBeGreaterThan(0.01);
    expect(b.baseline / 4000).toBeLessThan(0.03);
  });

  it('decides each attempt once: the same attempt gives the same outcome', () => {
    const model = createFleetModel(scenario());
    const outcomes = (m: typeof model) => model.hosts.map((h) => [m.installOutcome(h.index, 'KB5066835', 0), m.bootFails(h.index, 'KB5066835', 0)]);
    expect(outcomes(createFleetModel(scenario()))).toEqual(outcomes(model));
    const first = model.hosts.map((h) => model.installOutcome(h.index, 'KB5066835', 0).ok);
    const second = model.hosts.map((h) => model.installOutcome(h.index, 'KB5066835', 1).ok);
    expect(second).not.toEqual(first);
  });

  it('fails boots at the effect bootFailure, and never for a class without one', () => {
    const model = createFleetModel(scenario());
    let failed = 0;
    for (const h of hostsOf(model, 'a')) for (let attempt = 0; attempt < 20; attempt++) if (model.bootFails(h, 'KB5066835', attempt)) failed++;
    expect(failed / 4000).toBeGreaterThan(0.04);
    expect(failed / 4000).toBeLessThan(0.06);
    expect(hostsOf(model, 'b').some((h) => model.bootFails(h, 'KB5066835', 0))).toBe(false);
  });

  it('refuses a host index outside the fleet', () => {
    const model = createFleetModel(scenario());
    expect(() => model.events(400, NONE, 0, 1)).toThrow(RangeError);
    expect(() => model.installOutcome(-1, 'KB5066835', 0)).toThrow(RangeError);
  });
});
