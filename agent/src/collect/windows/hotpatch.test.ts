import { describe, expect, it } from 'vitest';
import { deriveHotpatchEnrolled } from './hotpatch';
import { parseOsJson, type WindowsOsFacts } from './os';
import { fixture } from './test-fixtures';
import type { UpdateHistoryEntry } from './update-history';

const win11 = parseOsJson(fixture('os.ps51.en-US.win11-24h2.json'));
const arm64 = parseOsJson(fixture('os.ps51.en-US.win11-24h2-arm64.json'));
const core2022 = parseOsJson(fixture('os.ps51.de-DE.server2022-core.json'));
const server2012 = parseOsJson(fixture('os.ps51.en-US.server2012r2.json'));

const entry = (title: string, over: Partial<UpdateHistoryEntry> = {}): UpdateHistoryEntry => ({
  operation: 'install',
  result: 'succeeded',
  hresult: '0x00000000',
  date: '2025-11-12T08:00:00.000Z',
  title,
  kb: null,
  updateId: null,
  revisionNumber: null,
  ...over,
});
const HOTPATCH = entry('2025-11 Security Hotpatch Update for Windows 11 Version 24H2 for x64-based Systems (KB5068966) (26100.7092)');
const CU = entry('2025-10 Cumulative Update for Windows 11 Version 24H2 for x64-based Systems (KB5066835) (26100.6899)');

describe('deriveHotpatchEnrolled', () => {
  it('true when an eligible host installed a hotpatch', () => {
    expect(deriveHotpatchEnrolled(win11, [HOTPATCH, CU])).toBe(true);
    expect(deriveHotpatchEnrolled(win11, [entry(HOTPATCH.title, { result: 'succeeded-with-errors' })])).toBe(true);
  });

  it('null when eligible but without evidence, or history unknown', () => {
    expect(deriveHotpatchEnrolled(win11, [CU])).toBeNull();
    expect(deriveHotpatchEnrolled(win11, null)).toBeNull();
    expect(deriveHotpatchEnrolled(win11, [entry(HOTPATCH.title, { result: 'failed' })])).toBeNull();
    expect(deriveHotpatchEnrolled(win11, [entry(HOTPATCH.title, { operation: 'uninstall' })])).toBeNull();
    expect(deriveHotpatchEnrolled(arm64, [CU])).toBeNull();
    expect(deriveHotpatchEnrolled({ ...win11, vbsStatus: null }, [CU])).toBeNull();
  });

  it('false when a documented prerequisite is missing, whatever the history says', () => {
    const cases: [string, WindowsOsFacts][] = [
      ['VBS off (Server 2022 Core fixture)', core2022],
      ['VBS enabled but not running', { ...win11, vbsStatus: 1 }],
      ['Arm64 without HotPatchRestrictions = 1', { ...arm64, hotPatchRestrictions: null }],
      ['Windows 11 23H2 client', { ...win11, build: '22631' }],
      ['Windows Server 2019', { ...core2022, build: '17763', vbsStatus: 2 }],
      ['Windows Server 2012 R2', server2012],
    ];
    for (const [why, os] of cases) expect(deriveHotpatchEnrolled(os, [HOTPATCH]), why).toBe(false);
  });

  it('Server 2022 (build 20348) with VBS running can be enrolled (Azure Edition)', () => {
    expect(deriveHotpatchEnrolled({ ...core2022, vbsStatus: 2, editionId: 'ServerTurbine' }, [HOTPATCH])).toBe(true);
  });
});
