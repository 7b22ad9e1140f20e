/** `patchfleet simulate`: the flags it passes to the fleet simulator, and the ones it refuses before starting anything. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SIMULATOR_ENTRY, simulatorArgs } from './simulate';

const dir = mkdtempSync(join(tmpdir(), 'pf-simulate-'));
for (const f of ['s.json', 'a.json', 'b.json']) writeFileSync(join(dir, f), '{}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('patchfleet simulate', () => {
  it('passes the scenario and every policy, as absolute paths, with --baseline, --json and --database-url', () => {
    expect(simulatorArgs({ scenario: 's.json', policy: ['a.json', 'b.json'] }, dir)).toEqual(['--scenario', join(dir, 's.json'), '--policy', join(dir, 'a.json'), '--policy', join(dir, 'b.json')]);
    expect(simulatorArgs({ scenario: 's.json', policy: ['a.json'], baseline: true, json: true, databaseUrl: 'postgres://u@127.0.0.1/x' }, dir)).toEqual([
      '--scenario', join(dir, 's.json'), '--policy', join(dir, 'a.json'), '--baseline', '--json', '--database-url', 'postgres://u@127.0.0.1/x',
    ]);
  });

  it('refuses what cannot make a comparison, and missing files, naming them', () => {
    expect(() => simulatorArgs({ policy: ['a.json', 'b.json'] }, dir)).toThrow(/--scenario FILE is required/);
    expect(() => simulatorArgs({ scenario: 's.json', policy: ['a.json'] }, dir)).toThrow(/two runs or more: .* got 1 policy$/);
    expect(() => simulatorArgs({ scenario: 's.json', baseline: true }, dir)).toThrow(/got 0 policies and --baseline/);
    expect(() => simulatorArgs({ scenario: 'nope.json', policy: ['a.json', 'b.json'] }, dir)).toThrow(/nope\.json: no such file/);
    expect(() => simulatorArgs({ scenario: 's.json', policy: ['a.json', 'gone.json'] }, dir)).toThrow(/gone\.json: no such file/);
  });

  it('finds the simulator in this source tree', () => {
    expect(existsSync(SIMULATOR_ENTRY)).toBe(true);
  });
});
