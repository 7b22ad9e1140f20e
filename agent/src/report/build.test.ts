import { describe, it, expect } from 'vitest';
import { sampleInventory, samplePackage, samplePackages } from '@patchfleet/test/support/inventory';
import { buildReport, diffPackages } from './build';

describe('diffPackages', () => {
  it('finds nothing between equal sets, whatever their order', () => {
    const pkgs = samplePackages(5);
    expect(diffPackages(pkgs, [...pkgs].reverse())).toEqual({ upserts: [], removed: [] });
  });

  it('lists new packages, changed versions and changed sources as upserts', () => {
    const before = samplePackages(4);
    const after = [
      before[0]!,
      { ...before[1]!, version: '9.9-1' },
      { ...before[2]!, sourceVersion: '9.9-1' },
      { ...before[3]!, sourceName: 'renamed-src' },
      samplePackage(10),
    ];
    const diff = diffPackages(before, after);
    expect(diff.upserts.map((p) => p.name)).toEqual(['pkg-00001', 'pkg-00002', 'pkg-00003', 'pkg-00010']);
    expect(diff.removed).toEqual([]);
  });

  it('lists removed packages by key only', () => {
    const before = samplePackages(3);
    const diff = diffPackages(before, [before[1]!]);
    expect(diff.upserts).toEqual([]);
    expect(diff.removed).toEqual([
      { name: 'pkg-00000', arch: 'amd64', manager: 'dpkg' },
      { name: 'pkg-00002', arch: 'amd64', manager: 'dpkg' },
    ]);
  });

  it('keys packages by manager, name and arch', () => {
    const amd64 = samplePackage(1);
    const i386 = { ...amd64, arch: 'i386' };
    const rpm = { ...amd64, manager: 'rpm' as const };
    const diff = diffPackages([amd64], [i386, rpm]);
    expect(diff.upserts).toEqual([i386, rpm]);
    expect(diff.removed).toEqual([{ name: amd64.name, arch: 'amd64', manager: 'dpkg' }]);
  });
});

describe('buildReport', () => {
  const collectedAt = 1_764_000_000_000;

  it('is full when nothing is projected', () => {
    const inv = sampleInventory(3);
    expect(buildReport(inv, undefined, { forceFull: false, collectedAt, hostChanged: false })).toEqual({
      kind: 'full',
      collectedAt,
      host: inv.host,
      packages: inv.packages,
      removed: [],
    });
  });

  it('is full when forced, even with a projection and no change', () => {
    const inv = sampleInventory(3);
    const report = buildReport(inv, { seq: 7, packages: inv.packages }, { forceFull: true, collectedAt, hostChanged: false });
    expect(report).toMatchObject({ kind: 'full', packages: inv.packages, removed: [] });
    expect(report).not.toHaveProperty('baseSeq');
  });

  it('is undefined when nothing changed', () => {
    const inv = sampleInventory(3);
    expect(buildReport(inv, { seq: 7, packages: samplePackages(3) }, { forceFull: false, collectedAt, hostChanged: false })).toBeUndefined();
  });

  it('is a delta on the projected report holding only the changes', () => {
    const inv = sampleInventory(3);
    inv.packages[1] = { ...inv.packages[1]!, version: '2.0-1' };
    inv.packages.push(samplePackage(50));
    const projected = { seq: 7, packages: [...samplePackages(3), samplePackage(60)] };
    expect(buildReport(inv, projected, { forceFull: false, collectedAt, hostChanged: false })).toEqual({
      kind: 'delta',
      baseSeq: 7,
      collectedAt,
      host: inv.host,
      packages: [inv.packages[1], samplePackage(50)],
      removed: [{ name: 'pkg-00060', arch: 'amd64', manager: 'dpkg' }],
    });
  });

  it('is an empty delta when only the host facts changed', () => {
    const inv = sampleInventory(2, { hostname: 'renamed' });
    const report = buildReport(inv, { seq: 3, packages: samplePackages(2) }, { forceFull: false, collectedAt, hostChanged: true });
    expect(report).toMatchObject({ kind: 'delta', baseSeq: 3, packages: [], removed: [], host: { hostname: 'renamed' } });
  });
});
