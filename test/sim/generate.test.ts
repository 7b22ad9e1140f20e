import { describe, expect, it } from 'vitest';
import { GENERATED_DAYS, generateScenario, LAST_RELEASE_DAY, scenarioFeatures, TINY_CLASS_MAX, type ScenarioFeatures } from './generate';
import { classCounts, parseScenario, PATCH_ID_PATTERN } from './scenario';
import { groundTruth } from './truth';

const SEEDS = Array.from({ length: 200 }, (_, i) => i * 7919 + 1);
const scenarios = SEEDS.map((seed) => generateScenario(seed));

describe('generateScenario', () => {
  it('gives the same scenario for the same seed and another for another seed', () => {
    expect(generateScenario(SEEDS[3]!)).toEqual(scenarios[3]);
    expect(generateScenario(SEEDS[3]! + 1)).not.toEqual(scenarios[3]);
  });

  it('caps the fleet at maxHosts, says so in the name, and refuses a cap outside 200 .. 3000', () => {
    for (const seed of SEEDS.slice(0, 40)) {
      const s = generateScenario(seed, { maxHosts: 400 });
      expect(s.fleet.hosts).toBeGreaterThanOrEqual(200);
      expect(s.fleet.hosts).toBeLessThanOrEqual(400);
      expect(s.name).toBe(`generated-${seed}-max400`);
      expect(parseScenario(JSON.parse(JSON.stringify(s)), s.name)).toEqual(s);
    }
    expect(generateScenario(SEEDS[0]!, { maxHosts: 3000 })).toEqual(scenarios[0]);
    expect(() => generateScenario(1, { maxHosts: 199 })).toThrow(RangeError);
    expect(() => generateScenario(1, { maxHosts: 3001 })).toThrow(RangeError);
  });

  it('draws valid scenarios for 200 seeds (also after a JSON round trip)', () => {
    for (const s of scenarios) {
      const again = parseScenario(JSON.parse(JSON.stringify(s)), s.name);
      expect(again).toEqual(s);
    }
  });

  it('stays inside the ranges it promises', () => {
    for (const s of scenarios) {
      expect(s.fleet.hosts).toBeGreaterThanOrEqual(200);
      expect(s.fleet.hosts).toBeLessThanOrEqual(3000);
      expect(s.fleet.classes.length).toBeGreaterThanOrEqual(2);
      expect(s.fleet.classes.length).toBeLessThanOrEqual(6);
      expect(s.days).toBe(GENERATED_DAYS);
      expect(s.baseline.crashesPerHostDay).toBeGreaterThanOrEqual(0.005);
      expect(s.baseline.crashesPerHostDay).toBeLessThanOrEqual(0.2);
      expect(s.patches.length).toBeGreaterThanOrEqual(3);
      for (const p of s.patches) {
        expect(p.id).toMatch(new RegExp(PATCH_ID_PATTERN));
        expect(p.id).toMatch(/^(KB\d{7}|USN-\d{4}-\d)$/);
        expect(p.releasedDay).toBeLessThanOrEqual(LAST_RELEASE_DAY);
        // A KB goes to Windows classes, a USN to Ubuntu ones.
        const oses = p.appliesTo.map((c) => s.fleet.classes.find((x) => x.name === c)!.os);
        expect(oses.every((os) => (p.id.startsWith('KB') ? os === 'windows' : os.startsWith('ubuntu-')))).toBe(true);
      }
    }
  });

  it('never makes two classes the controller could not tell apart', () => {
    for (const s of scenarios) {
      const tuples = s.fleet.classes.map((c) => JSON.stringify([c.os, c.build, c.model, c.role]));
      expect(new Set(tuples).size).toBe(tuples.length);
    }
  });

  it('keeps a tiny class tiny after the shares go through classCounts', () => {
    let tiny = 0;
    for (const s of scenarios) {
      const counts = classCounts(s.fleet.hosts, s.fleet.classes.map((c) => c.share));
      if (counts[0]! <= TINY_CLASS_MAX) {
        tiny++;
        expect(counts[0]).toBeGreaterThanOrEqual(2);
      }
      expect(counts.every((n) => n >= 2)).toBe(true);
    }
    expect(tiny).toBeGreaterThan(40);
  });

  it('covers every kind in a sweep of 200 seeds, and both verdicts plenty', () => {
    const features = scenarios.map(scenarioFeatures);
    const flags = Object.keys(features[0]!).filter((k) => typeof features[0]![k as keyof ScenarioFeatures] === 'boolean') as (keyof ScenarioFeatures)[];
    expect(flags).toHaveLength(11);
    const seen = Object.fromEntries(flags.map((k) => [k, features.filter((f) => f[k]).length]));
    for (const k of flags) expect(seen[k], k).toBeGreaterThanOrEqual(10);
    const bad = features.reduce((a, f) => a + f.badPairs, 0);
    const good = features.reduce((a, f) => a + f.goodPairs, 0);
    expect(bad).toBeGreaterThan(300);
    expect(good).toBeGreaterThan(bad);
    // Some runs hold nothing bad, so a controller that blocks everything cannot score.
    expect(features.filter((f) => f.badPairs === 0).length).toBeGreaterThan(5);
  });

  it('gives near-threshold effects only to good pairs', () => {
    for (const s of scenarios) {
      const truth = groundTruth(s);
      for (const p of s.patches) {
        for (const e of p.effects) {
          const subtle = (e.crashMultiplier ?? 1) < 2 && (e.serviceFailureMultiplier ?? 1) < 2 && (e.installFailure ?? 0) < 0.05 && (e.bootFailure ?? 0) < 0.01;
          if (!subtle || p.effects.length > 1) continue;
          for (const c of e.classes) expect(truth.find((t) => t.patch === p.id && t.class === c)!.bad).toBe(false);
        }
      }
    }
  });
});

describe('scenarioFeatures', () => {
  it('reads the kinds from the contents', () => {
    const s = generateScenario(1);
    const plain = { ...s, incidents: [], patches: s.patches.map((p) => ({ ...p, effects: [] })) };
    const f = scenarioFeatures(plain);
    expect([f.unrelatedIncident, f.nearThresholdGood, f.lateOnset, f.fleetWideSubtle, f.installFailureOnly, f.bootFailure, f.tinyClassHarm, f.cleanPatch]).toEqual([false, false, false, false, false, false, false, true]);
    expect(f.badPairs).toBe(0);
    const two = plain.patches.find((p) => p.appliesTo.length >= 2) ?? { ...plain.patches[0]!, appliesTo: [plain.fleet.classes[0]!.name, plain.fleet.classes[1]!.name] };
    const harmful = { ...plain, patches: [{ ...two, effects: [{ classes: [...two.appliesTo], crashMultiplier: 2.4, onsetHours: 30 }, { classes: [two.appliesTo[0]!], installFailure: 0.1 }] }] };
    const g = scenarioFeatures(harmful);
    expect([g.lateOnset, g.fleetWideSubtle, g.installFailureOnly, g.bootFailure, g.cleanPatch]).toEqual([true, true, true, false, false]);
    expect(g.badPairs).toBe(two.appliesTo.length);
  });
});
