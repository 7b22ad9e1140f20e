import { describe, it, expect } from 'vitest';
import { decodeFrame, encodeFrame, Limits, makeFrame, type Body, type InventoryFrame, type Package, type PackageKey } from '@patchfleet/shared';
import { sampleHost, samplePackage, samplePackages } from '@patchfleet/test/support/inventory';
import type { OutboxReport } from '../link/outbox';
import { chunkReport } from './chunk';

const NOW = 1_764_000_000_000;

/** A package near the wire limits: 256-character names and versions, multi-byte characters included. */
function longPackage(i: number): Package {
  const tag = String(i).padStart(6, '0');
  return {
    name: `${tag}-${'lib-very-long-package-name-'.repeat(9)}`.slice(0, 256),
    version: `${tag}:${'1.2.3-ubuntu'.repeat(25)}`.slice(0, 256),
    sourceName: `${tag}-src-é-${'x'.repeat(240)}`.slice(0, 256),
    sourceVersion: `${tag}-${'9'.repeat(250)}`.slice(0, 256),
    arch: 'amd64',
    manager: 'dpkg',
  };
}

function fullReport(packages: Package[], seq = 5): OutboxReport {
  return { seq, kind: 'full', collectedAt: NOW, host: sampleHost(), packages, removed: [] };
}

/** Encodes every part as the link does, checks its size, and decodes it with the controller's validator. */
function sendAll(bodies: Body<'inventory'>[], maxFrameBytes: number): InventoryFrame[] {
  return bodies.map((body) => {
    const text = encodeFrame(makeFrame('inventory', body, NOW));
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxFrameBytes);
    const decoded = decodeFrame(text, maxFrameBytes);
    if (decoded.type !== 'inventory') throw new Error(`decoded a ${decoded.type} frame`);
    return decoded;
  });
}

function checkNumbering(frames: InventoryFrame[], report: OutboxReport): void {
  frames.forEach((f, i) => {
    expect(f).toMatchObject({ seq: report.seq, kind: report.kind, part: i, parts: frames.length, packageCount: report.packages.length, collectedAt: report.collectedAt });
    if (i === 0) expect(f.host).toEqual(report.host);
    else expect(f).not.toHaveProperty('host');
  });
}

describe('chunkReport', () => {
  it('sends a small report as one frame with everything in it', () => {
    const report = fullReport(samplePackages(10));
    const frames = sendAll(chunkReport(report, Limits.maxFrameBytes), Limits.maxFrameBytes);
    expect(frames).toHaveLength(1);
    checkNumbering(frames, report);
    expect(frames[0]!.packages).toEqual(report.packages);
    expect(frames[0]).not.toHaveProperty('removed');
    expect(frames[0]).not.toHaveProperty('baseSeq');
  });

  it('sends an empty full report as one frame with the host facts', () => {
    const report = fullReport([]);
    const frames = sendAll(chunkReport(report, Limits.maxFrameBytes), Limits.maxFrameBytes);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ part: 0, parts: 1, packageCount: 0, packages: [], host: report.host });
  });

  it('splits 20,000 long-named packages into valid frames under the limit, keeping every package in order', () => {
    const packages = Array.from({ length: 20_000 }, (_, i) => longPackage(i));
    const report = fullReport(packages);
    const frames = sendAll(chunkReport(report, Limits.maxFrameBytes), Limits.maxFrameBytes);
    expect(frames.length).toBeGreaterThan(Math.ceil(20_000 / Limits.packagesPerChunk)); // the byte budget, not the count, split them
    expect(frames.length).toBeLessThanOrEqual(Limits.maxParts);
    checkNumbering(frames, report);
    const carried = frames.flatMap((f) => f.packages);
    expect(carried).toHaveLength(20_000);
    expect(carried).toEqual(packages);
  });

  it('never puts more than packagesPerChunk items in a frame', () => {
    const report = fullReport(samplePackages(2_500));
    const frames = sendAll(chunkReport(report, Limits.maxFrameBytes), Limits.maxFrameBytes);
    expect(frames.map((f) => f.packages.length)).toEqual([1000, 1000, 500]);
    checkNumbering(frames, report);
  });

  it('carries removals in deltas, after the upserts, with baseSeq in every part', () => {
    const removed: PackageKey[] = Array.from({ length: 1_500 }, (_, i) => ({ name: `gone-${i}`, arch: 'amd64', manager: 'dpkg' }));
    const report: OutboxReport = { seq: 9, kind: 'delta', baseSeq: 8, collectedAt: NOW, host: sampleHost(), packages: samplePackages(700), removed };
    const frames = sendAll(chunkReport(report, Limits.maxFrameBytes), Limits.maxFrameBytes);
    expect(frames).toHaveLength(3);
    checkNumbering(frames, report);
    for (const f of frames) {
      expect(f.baseSeq).toBe(8);
      expect(f.removed).toBeDefined();
      expect(f.packages.length + (f.removed?.length ?? 0)).toBeLessThanOrEqual(Limits.packagesPerChunk);
    }
    expect(frames.flatMap((f) => f.packages)).toEqual(report.packages);
    expect(frames.flatMap((f) => f.removed ?? [])).toEqual(removed);
    expect(frames[0]!.packageCount).toBe(700); // upserts only, as the schema says
  });

  it('sends a delta with only removals', () => {
    const report: OutboxReport = { seq: 4, kind: 'delta', baseSeq: 3, collectedAt: NOW, host: sampleHost(), packages: [], removed: [{ name: 'a', arch: '', manager: 'windows' }] };
    const frames = sendAll(chunkReport(report, Limits.maxFrameBytes), Limits.maxFrameBytes);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ packageCount: 0, packages: [], removed: [{ name: 'a', arch: '', manager: 'windows' }], baseSeq: 3 });
  });

  it.each([4096, 16 * 1024, 64 * 1024])('stays under a controller limit of %i bytes', (maxFrameBytes) => {
    const packages = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? longPackage(i) : samplePackage(i)));
    const report = fullReport(packages);
    const frames = sendAll(chunkReport(report, maxFrameBytes), maxFrameBytes);
    checkNumbering(frames, report);
    expect(frames.flatMap((f) => f.packages)).toEqual(packages);
  });
});
