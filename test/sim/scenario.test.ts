import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isPfError, type PfError } from '@patchfleet/shared/errors';
import { classCounts, loadScenario, parseScenario, parseScenarioText, type ScenarioInput, type ScenarioProblem } from './scenario';

const examples = ['mixed-fleet', 'small-fleet', 'unrelated-incident'];
const examplePath = (name: string): string => fileURLToPath(new URL(`./scenarios/${name}.json`, import.meta.url));

/** A small valid scenario to break one field at a time. */
function base(): ScenarioInput {
  return {
    name: 'unit',
    seed: 5,
    days: 21,
    fleet: {
      hosts: 100,
      classes: [
        { name: 'win11', os: 'windows', build: '10.0.26100', model: 'Dell Latitude 7440', role: 'workstation', criticality: 2, share: 0.6 },
        { name: 'ubuntu-web', os: 'ubuntu-24.04', build: '24.04', model: 'KVM', role: 'server', criticality: 4, share: 0.4 },
      ],
    },
    baseline: { crashesPerHostDay: 0.02, serviceFailuresPerHostDay: 0.01, offlinePerHostDay: 0.03, installFailure: 0.01 },
    incidents: [{ day: 2, hours: 12, classes: ['win11'], crashMultiplier: 3 }],
    patches: [
      { id: 'KB5066835', releasedDay: 0, appliesTo: ['win11'], priority: { cvss: 8.8, epss: 0.1, kev: true },
        effects: [{ classes: ['win11'], crashMultiplier: 4, onsetHours: 2 }] },
      { id: 'USN-7545-1', releasedDay: 1, appliesTo: ['ubuntu-web'], priority: { cvss: 5, epss: 0.01, kev: false }, effects: [] },
    ],
  };
}

/** The problems parseScenario reports for `s` (fails the test when it accepts it). */
function problemsOf(s: unknown): ScenarioProblem[] {
  try {
    parseScenario(s, 'unit.json');
  } catch (err) {
    expect(isPfError(err)).toBe(true);
    const e = err as PfError;
    expect(e.code).toBe('PF_ERR_SCENARIO_INVALID');
    expect(e.message.startsWith('unit.json: ')).toBe(true);
    return (e.details as { problems: ScenarioProblem[] }).problems;
  }
  throw new Error('scenario was accepted');
}

function broken(change: (s: ScenarioInput) => void): ScenarioProblem[] {
  const s = base();
  change(s);
  return problemsOf(s);
}

describe('parseScenario', () => {
  it.each(examples)('accepts the example %s', async (name) => {
    const s = await loadScenario(examplePath(name));
    expect(s.name).toBe(name);
    expect(s.patches.length).toBeGreaterThan(0);
  });

  it('accepts the base scenario and defaults incidents to []', () => {
    expect(parseScenario(base()).patches).toHaveLength(2);
    const s = base();
    delete s.incidents;
    expect(parseScenario(s).incidents).toEqual([]);
  });

  it('returns a copy: changing the input afterwards changes nothing', () => {
    const input = base();
    const s = parseScenario(input);
    input.fleet.classes[0]!.share = 0.9;
    expect(s.fleet.classes[0]!.share).toBe(0.6);
  });

  it('refuses shares that do not add up to 1 and accepts those within 1e-6', () => {
    expect(broken((s) => { s.fleet.classes[1]!.share = 0.3; })).toEqual([
      { field: 'fleet.classes', message: expect.stringContaining('shares add up to 0.9') },
    ]);
    const near = base();
    near.fleet.classes[1]!.share = 0.4 + 5e-7;
    expect(() => parseScenario(near)).not.toThrow();
    const off = base();
    off.fleet.classes[1]!.share = 0.4 + 2e-6;
    expect(problemsOf(off)[0]!.field).toBe('fleet.classes');
  });

  it('refuses a class name used twice', () => {
    expect(broken((s) => { s.fleet.classes[1]!.name = 'win11'; })).toContainEqual({ field: 'fleet.classes[1].name', message: 'class "win11" is defined more than once' });
  });

  it('refuses a share that gives its class no host', () => {
    const p = broken((s) => {
      s.fleet.hosts = 10;
      s.fleet.classes[0]!.share = 0.99;
      s.fleet.classes[1]!.share = 0.01;
    });
    expect(p).toEqual([{ field: 'fleet.classes[1].share', message: expect.stringContaining('no host') }]);
  });

  it('refuses appliesTo, effect and incident classes that are not defined', () => {
    expect(broken((s) => { s.patches[0]!.appliesTo = ['win11', 'win12']; })).toContainEqual({ field: 'patches[0].appliesTo[1]', message: '"win12" is not a class of fleet.classes' });
    expect(broken((s) => { s.patches[0]!.effects[0]!.classes = ['nope']; })).toContainEqual({ field: 'patches[0].effects[0].classes[0]', message: '"nope" is not a class of fleet.classes' });
    expect(broken((s) => { s.incidents![0]!.classes = ['win11', 'ghost']; })).toContainEqual({ field: 'incidents[0].classes[1]', message: '"ghost" is not a class of fleet.classes' });
  });

  it('refuses an effect on a class the patch does not apply to', () => {
    expect(broken((s) => { s.patches[0]!.effects[0]!.classes = ['ubuntu-web']; })).toEqual([
      { field: 'patches[0].effects[0].classes[0]', message: expect.stringContaining('not in patches[0].appliesTo') },
    ]);
  });

  it('refuses a class listed twice in one list', () => {
    expect(broken((s) => { s.patches[0]!.appliesTo = ['win11', 'win11']; })).toContainEqual({ field: 'patches[0].appliesTo', message: '"win11" is listed more than once' });
  });

  it('refuses a patch id used twice', () => {
    expect(broken((s) => { s.patches[1]!.id = 'KB5066835'; s.patches[1]!.appliesTo = ['win11']; })).toEqual([
      { field: 'patches[1].id', message: 'patch id "KB5066835" is used more than once' },
    ]);
  });

  it.each(['KB12345', 'KB123456789', 'kb5066835', 'USN-7545', 'USN-7545-1a', 'CVE-2025-1234', ''])('refuses the patch id %j', (id) => {
    expect(broken((s) => { s.patches[1]!.id = id; })[0]!.field).toBe('patches[1].id');
  });

  it.each(['KB123456', 'KB12345678', 'USN-1-1', 'USN-7545-12'])('accepts the patch id %j', (id) => {
    const s = base();
    s.patches[1]!.id = id;
    expect(parseScenario(s).patches[1]!.id).toBe(id);
  });

  it.each<[string, (s: ScenarioInput) => void]>([
    ['seed', (s) => { s.seed = -1; }],
    ['seed', (s) => { s.seed = 1.5; }],
    ['days', (s) => { s.days = 0; }],
    ['days', (s) => { s.days = 400; }],
    ['fleet.hosts', (s) => { s.fleet.hosts = 0; }],
    ['fleet.hosts', (s) => { s.fleet.hosts = 100_001; }],
    ['fleet.hosts', (s) => { s.fleet.hosts = 10.5; }],
    ['fleet.classes[0].share', (s) => { s.fleet.classes[0]!.share = 0; }],
    ['fleet.classes[0].criticality', (s) => { s.fleet.classes[0]!.criticality = 6; }],
    ['fleet.classes[1].os', (s) => { s.fleet.classes[1]!.os = 'debian'; }],
    ['baseline.crashesPerHostDay', (s) => { s.baseline.crashesPerHostDay = -0.1; }],
    ['baseline.offlinePerHostDay', (s) => { s.baseline.offlinePerHostDay = 1.5; }],
    ['baseline.installFailure', (s) => { s.baseline.installFailure = -0.01; }],
    ['incidents[0].hours', (s) => { s.incidents![0]!.hours = 0; }],
    ['incidents[0].crashMultiplier', (s) => { s.incidents![0]!.crashMultiplier = -1; }],
    ['patches[0].priority.epss', (s) => { s.patches[0]!.priority.epss = 2; }],
    ['patches[0].priority.cvss', (s) => { s.patches[0]!.priority.cvss = 11; }],
    ['patches[0].effects[0].installFailure', (s) => { s.patches[0]!.effects[0]!.installFailure = 1.2; }],
    ['patches[0].effects[0].bootFailure', (s) => { s.patches[0]!.effects[0]!.bootFailure = -0.5; }],
    ['patches[0].effects[0].crashMultiplier', (s) => { s.patches[0]!.effects[0]!.crashMultiplier = -2; }],
    ['patches[0].effects[0].serviceFailureMultiplier', (s) => { s.patches[0]!.effects[0]!.serviceFailureMultiplier = -0.1; }],
    ['patches[0].effects[0].onsetHours', (s) => { s.patches[0]!.effects[0]!.onsetHours = -1; }],
    ['patches[0].releasedDay', (s) => { s.patches[0]!.releasedDay = -1; }],
  ])('refuses %s out of range', (field, change) => {
    expect(broken(change).map((p) => p.field)).toContain(field);
  });

  it('accepts the range ends: probability 0 and 1, multiplier 0, one host', () => {
    const s = base();
    s.fleet.hosts = 1;
    s.fleet.classes = [{ ...s.fleet.classes[0]!, share: 1 }];
    s.patches = [{ ...s.patches[0]!, effects: [{ classes: ['win11'], installFailure: 1, bootFailure: 0, crashMultiplier: 0 }] }];
    s.baseline.offlinePerHostDay = 1;
    expect(parseScenario(s).fleet.hosts).toBe(1);
  });

  it('refuses days of the run that are not inside it', () => {
    expect(broken((s) => { s.patches[1]!.releasedDay = 21; })).toContainEqual({ field: 'patches[1].releasedDay', message: expect.stringContaining('not before the end') });
    expect(broken((s) => { s.incidents![0]!.day = 30; })).toContainEqual({ field: 'incidents[0].day', message: expect.stringContaining('not before the end') });
  });

  it('refuses unknown fields, so a misspelt effect cannot pass as harmless', () => {
    expect(broken((s) => { (s.patches[0]!.effects[0] as Record<string, unknown>)['crashMultipler'] = 6; })).toContainEqual({ field: 'patches[0].effects[0].crashMultipler', message: 'Unexpected property' });
  });

  it('refuses missing required fields and wrong types, naming them', () => {
    expect(broken((s) => { delete (s as Partial<ScenarioInput>).baseline; }).map((p) => p.field)).toEqual(['baseline']);
    expect(broken((s) => { (s.fleet as Record<string, unknown>)['hosts'] = '2000'; }).map((p) => p.field)).toEqual(['fleet.hosts']);
    expect(problemsOf(null).map((p) => p.field)).toEqual(['(root)']);
  });

  it('names the field in the message', () => {
    const s = base();
    s.fleet.classes[1]!.share = 0.3;
    expect(() => parseScenario(s, 'x.json')).toThrow(/^x\.json: fleet\.classes: shares add up to 0\.9/);
  });

  it('reports text that is not JSON', () => {
    expect(() => parseScenarioText('{"name":', 'a.json')).toThrow(expect.objectContaining({ code: 'PF_ERR_SCENARIO_INVALID', message: expect.stringMatching(/^a\.json: not JSON/) }));
  });

  it('reports a file it cannot read as PF_ERR_BAD_INPUT_FILE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pf-sim-'));
    await expect(loadScenario(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'PF_ERR_BAD_INPUT_FILE', message: expect.stringContaining('no such file') });
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...base(), days: -3 }));
    await expect(loadScenario(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'PF_ERR_SCENARIO_INVALID', details: { problems: [{ field: 'days' }] } });
  });
});

describe('classCounts', () => {
  it('gives floor(share * hosts) and the rest to the largest remainders', () => {
    expect(classCounts(10, [1 / 3, 1 / 3, 1 / 3])).toEqual([4, 3, 3]);
    expect(classCounts(2000, [0.45, 0.25, 0.05, 0.25])).toEqual([900, 500, 100, 500]);
    expect(classCounts(60, [0.75, 0.25])).toEqual([45, 15]);
    expect(classCounts(7, [0.5, 0.3, 0.2])).toEqual([4, 2, 1]); // 3.5, 2.1, 1.4: one left, to the 0.5 remainder
    expect(classCounts(1, [1])).toEqual([1]);
  });

  it('always adds up to the fleet size', () => {
    for (const hosts of [1, 3, 17, 101, 999, 2500]) {
      const shares = [0.11, 0.27, 0.0625, 0.3, 0.2575];
      expect(classCounts(hosts, shares).reduce((a, b) => a + b, 0)).toBe(hosts);
    }
  });
});
