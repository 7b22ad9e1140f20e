import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario, type Patch } from './scenario';
import { combineEffects, groundTruth, harmReasons, pairTruth } from './truth';

const example = (name: string) => loadScenario(fileURLToPath(new URL(`./scenarios/${name}.json`, import.meta.url)));
const verdicts = (pairs: { patch: string; class: string; bad: boolean }[]) => pairs.map((p) => [p.patch, p.class, p.bad]);

describe('groundTruth on the example scenarios', () => {
  it('mixed-fleet: the crash effect is bad on the ThinkPads only; 20 % install failures are bad everywhere', async () => {
    const truth = groundTruth(await example('mixed-fleet'));
    expect(verdicts(truth)).toEqual([
      ['KB5066835', 'win11-dell', false],
      ['KB5066835', 'win11-lenovo', true],
      ['KB5066835', 'win2025-sql', false],
      ['USN-7545-1', 'ubuntu-web', false],
      ['KB5065426', 'win11-dell', true],
      ['KB5065426', 'win11-lenovo', true],
      ['KB5065426', 'win2025-sql', true],
    ]);
    expect(truth[1]!.reasons).toEqual(['crashMultiplier 6 >= 2']);
    expect(truth[4]!.reasons).toEqual(['installFailure 0.2 >= 0.05']);
    expect(truth[0]!.reasons).toEqual([]);
  });

  it('small-fleet: boot failures make the edge class bad, not the app class', async () => {
    expect(verdicts(groundTruth(await example('small-fleet')))).toEqual([
      ['USN-7001-1', 'ubuntu-app', false],
      ['USN-7001-1', 'ubuntu-edge', true],
      ['USN-7002-1', 'ubuntu-app', false],
      ['USN-7002-1', 'ubuntu-edge', false],
    ]);
  });

  it('unrelated-incident: the incident makes nothing bad; the late service failures do', async () => {
    expect(verdicts(groundTruth(await example('unrelated-incident')))).toEqual([
      ['KB5068861', 'win11-hp', false],
      ['KB5068781', 'win10-dell', true],
    ]);
  });
});

describe('thresholds', () => {
  const patch = (effects: Patch['effects']): Patch => ({ id: 'KB5000001', releasedDay: 0, appliesTo: ['a'], priority: { cvss: 5, epss: 0.1, kev: false }, effects });

  it.each([
    [{ installFailure: 0.05 }, true], [{ installFailure: 0.0499 }, false],
    [{ crashMultiplier: 2 }, true], [{ crashMultiplier: 1.999 }, false],
    [{ serviceFailureMultiplier: 2 }, true], [{ serviceFailureMultiplier: 1.99 }, false],
    [{ bootFailure: 0.01 }, true], [{ bootFailure: 0.0099 }, false],
    [{ crashMultiplier: 1.2, serviceFailureMultiplier: 1.5, installFailure: 0.03, bootFailure: 0.005, onsetHours: 48 }, false],
    [{ onsetHours: 2 }, false],
  ])('%j on the class: bad %s', (fields, bad) => {
    expect(pairTruth(patch([{ classes: ['a'], ...fields }]), 'a').bad).toBe(bad);
  });

  it('an effect on another class does not make this class bad', () => {
    const p = { ...patch([{ classes: ['b'], crashMultiplier: 9 }]), appliesTo: ['a', 'b'] };
    expect(pairTruth(p, 'a').bad).toBe(false);
    expect(pairTruth(p, 'b').bad).toBe(true);
  });

  it('two sub-threshold effects on one class add up to harm', () => {
    const t = pairTruth(patch([{ classes: ['a'], crashMultiplier: 1.5 }, { classes: ['a'], crashMultiplier: 1.5, installFailure: 0.03 }, { classes: ['a'], installFailure: 0.03 }]), 'a');
    expect(t.bad).toBe(true);
    expect(t.reasons).toEqual(['combined installFailure 0.0591 >= 0.05', 'combined crashMultiplier 2 >= 2']);
  });

  it('a helpful effect does not mask a harmful one', () => {
    const t = pairTruth(patch([{ classes: ['a'], crashMultiplier: 2.5 }, { classes: ['a'], crashMultiplier: 0 }]), 'a');
    expect(t.bad).toBe(true);
    expect(t.reasons).toEqual(['crashMultiplier 2.5 >= 2']); // combined: 1 + 1.5 - 1 = 1.5
  });
});

describe('combineEffects', () => {
  it('combines probabilities as independent chances and multipliers by adding their excess', () => {
    const c = combineEffects([{ classes: ['a'], installFailure: 0.1, bootFailure: 0.5, crashMultiplier: 3 }, { classes: ['a'], installFailure: 0.1, crashMultiplier: 2, serviceFailureMultiplier: 0.5 }]);
    expect(c.installFailure).toBeCloseTo(0.19, 12);
    expect(c.bootFailure).toBe(0.5);
    expect(c.crashMultiplier).toBe(4);
    expect(c.serviceFailureMultiplier).toBe(0.5);
  });

  it('is harmless for no effect and never goes below zero', () => {
    expect(combineEffects([])).toEqual({ installFailure: 0, crashMultiplier: 1, serviceFailureMultiplier: 1, bootFailure: 0 });
    expect(combineEffects([{ classes: ['a'], crashMultiplier: 0 }, { classes: ['a'], crashMultiplier: 0 }]).crashMultiplier).toBe(0);
    expect(harmReasons(combineEffects([]))).toEqual([]);
  });
});
