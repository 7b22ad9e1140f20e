/**
 * The runner's bookkeeping without a controller: which decisions block a
 * pair (a class block only its class, a fleet-wide block or a halted
 * rollout every class of the patch, lifted blocks none; the earliest
 * decision's day), the patched series from the hosts' changes, and the pair
 * outcomes built from host records.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planCatalog } from '../catalog-setup';
import { buildFleet } from '../fleet-model';
import { parseScenarioText } from '../scenario';
import { groundTruth } from '../truth';
import { heldPatches, pairBlock, pairOutcomes, patchedSeries, type BlockView, type PatchDecisionView } from './bookkeeping';
import type { HostRecord } from './sim-host';

const START = Date.parse('2026-01-13T17:00:00Z');
const DAY = 86_400_000;
const scenario = parseScenarioText(readFileSync(new URL('../scenarios/mixed-fleet.json', import.meta.url), 'utf8'), 'mixed-fleet');
const setup = planCatalog(scenario, { start: START });
const classOf = (name: string) => setup.classes.find((c) => c.name === name)!.controllerClass;
const block = (patchId: string, hostClass: string | null, day: number, state = 'active'): BlockView => ({ patchId, hostClass, state, createdAt: new Date(START + day * DAY).toISOString() });

const record = (index: number, r: Partial<HostRecord> = {}): HostRecord => ({ index, exposed: [], harmed: [], rolledBack: [], held: [], down: false, changes: [], ...r });

describe('bench:rollout bookkeeping', () => {
  it('a class block covers its class only; a fleet-wide block and a halt cover every class; lifted blocks nothing; the earliest decision counts', () => {
    const blocks = [block('KB5066835', classOf('win11-lenovo'), 1.5), block('KB5065426', null, 4.25), block('KB5065426', classOf('win11-dell'), 3), block('USN-7545-1', classOf('ubuntu-web'), 2, 'lifted')];
    expect(pairBlock(setup, blocks, [], 'KB5066835', 'win11-lenovo')).toEqual({ patch: 'KB5066835', class: 'win11-lenovo', by: 'class-block', atDay: 1.5 });
    expect(pairBlock(setup, blocks, [], 'KB5066835', 'win11-dell')).toBeNull();
    expect(pairBlock(setup, blocks, [], 'KB5065426', 'win2025-sql')).toMatchObject({ by: 'fleet-block', atDay: 4.25 });
    expect(pairBlock(setup, blocks, [], 'KB5065426', 'win11-dell')).toMatchObject({ by: 'class-block', atDay: 3 });
    expect(pairBlock(setup, blocks, [], 'USN-7545-1', 'ubuntu-web')).toBeNull();
    const halts = [{ patchId: 'KB5066835', at: START + 0.5 * DAY, reason: 'ring First: 1 of 2 hosts failed' }];
    expect(pairBlock(setup, blocks, halts, 'KB5066835', 'win11-dell')).toMatchObject({ by: 'halt', atDay: 0.5 });
    expect(pairBlock(setup, blocks, halts, 'KB5066835', 'win11-lenovo')).toMatchObject({ by: 'halt', atDay: 0.5 });
  });

  it('a rollout held by the reliability decision keeps its patch from every class, from the start of the last run of low scores', () => {
    const at = (day: number) => new Date(START + day * DAY).toISOString();
    const history = [
      { hostClass: '', score: 70, at: at(1) },
      { hostClass: '', score: 30, at: at(2) },
      { hostClass: '', score: 60, at: at(3) },
      { hostClass: '', score: 10, at: at(4) },
      { hostClass: classOf('win11-dell'), score: 0, at: at(3.5) },
      { hostClass: '', score: 0, at: at(5) },
    ];
    const active = (patch: string) => ({ state: 'active', content: { patches: [patch] } });
    const d = (patchId: string, decision: string): PatchDecisionView => ({ patchId, decision, history });
    const held = heldPatches([active('KB5066835'), active('KB5065426'), active('USN-7545-1'), { state: 'completed', content: { patches: ['KB9'] } }], [d('KB5066835', 'hold'), d('KB5065426', 'block'), d('USN-7545-1', 'stage'), d('KB9', 'hold')], [], 50);
    expect(held).toEqual([
      { patchId: 'KB5066835', at: START + 4 * DAY, reason: 'reliability decision hold', by: 'held' },
      { patchId: 'KB5065426', at: START + 4 * DAY, reason: 'reliability decision block', by: 'held' },
    ]);
    expect(pairBlock(setup, [], held, 'KB5066835', 'win2025-sql')).toMatchObject({ by: 'held', atDay: 4 });
    // A hold that comes with a class block is applied class by class: the other classes go on, so not held.
    expect(heldPatches([active('KB5066835')], [d('KB5066835', 'hold')], [block('KB5066835', classOf('win11-lenovo'), 1)], 50)).toEqual([]);
    // A block decision holds whatever the class blocks.
    expect(heldPatches([active('KB5066835')], [d('KB5066835', 'block')], [block('KB5066835', classOf('win11-lenovo'), 1)], 50)).toHaveLength(1);
  });

  it('the patched series follows the changes of the class hosts in time order, one point per instant', () => {
    const records = [
      record(1, { changes: [{ t: 30, patch: 'P', delta: 1 }, { t: 50, patch: 'P', delta: -1 }] }),
      record(2, { changes: [{ t: 30, patch: 'P', delta: 1 }, { t: 30, patch: 'Q', delta: 1 }] }),
      record(3, { changes: [{ t: 24, patch: 'P', delta: 1 }] }),
      record(4, { changes: [{ t: 10, patch: 'P', delta: 1 }] }),
    ];
    expect(patchedSeries(records, new Set([1, 2, 3]), 'P')).toEqual([
      { day: 1, patched: 1 },
      { day: 1.25, patched: 3 },
      { day: 50 / 24, patched: 2 },
    ]);
  });

  it('pair outcomes count the class hosts from their records, with daysTo95 from release', () => {
    const hosts = buildFleet(scenario);
    const lenovo = hosts.filter((h) => h.className === 'win11-lenovo');
    // Every Lenovo host installs KB5066835 at hour 12 + its rank / 100; the first ten are harmed and rolled back at hour 40; one never boots again
    // (hour 13). 475 of 500 hold it when rank 475 installs, at hour 16.75: 0.698 days after release (rounded to 3 places).
    const records = hosts.map((h) => {
      const rank = lenovo.indexOf(h);
      if (rank < 0) return record(h.index);
      const t = 12 + rank / 100;
      const rolled = rank < 10;
      const down = rank === 20;
      return record(h.index, {
        exposed: ['KB5066835'],
        harmed: rolled || down ? ['KB5066835'] : [],
        rolledBack: rolled ? ['KB5066835'] : [],
        held: rolled || down ? [] : ['KB5066835'],
        down,
        changes: [{ t, patch: 'KB5066835', delta: 1 as const }, ...(rolled ? [{ t: 40, patch: 'KB5066835', delta: -1 as const }] : []), ...(down ? [{ t: 13, patch: 'KB5066835', delta: -1 as const }] : [])],
      });
    });
    const { outcomes, reasons } = pairOutcomes(scenario, setup, groundTruth(scenario), hosts, records, { blocks: [block('KB5066835', classOf('win11-lenovo'), 1.75)], halts: [] });
    const out = outcomes.find((o) => o.patch === 'KB5066835' && o.class === 'win11-lenovo')!;
    expect(out).toEqual({ patch: 'KB5066835', class: 'win11-lenovo', blocked: true, blockedAtDay: 1.75, exposed: 500, harmed: 11, rolledBack: 10, hosts: 500, patchedAtEnd: 489, daysTo95: 0.698 });
    expect(reasons).toEqual([{ patch: 'KB5066835', class: 'win11-lenovo', by: 'class-block', atDay: 1.75 }]);
    const dell = outcomes.find((o) => o.patch === 'KB5066835' && o.class === 'win11-dell')!;
    expect(dell).toMatchObject({ blocked: false, blockedAtDay: null, exposed: 0, patchedAtEnd: 0, daysTo95: null, hosts: 900 });
    expect(outcomes.map((o) => `${o.patch}/${o.class}`)).toEqual(groundTruth(scenario).map((t) => `${t.patch}/${t.class}`));
  });
});
