/**
 * Splits a report into inventory frames that stay under the frame limit:
 * packages and removals are packed by encoded size, host facts ride in part 0.
 */
import { Limits, type Body, type Package, type PackageKey } from '@patchfleet/shared';
import type { OutboxReport } from '../link/outbox';

type Item = { kind: 'pkg'; value: Package } | { kind: 'rm'; value: PackageKey };

/** `epoch` (protocol 3) is set only when the controller announced `inventory.epoch/1`. */
export function chunkReport(report: OutboxReport, maxFrameBytes: number, epoch?: string): Body<'inventory'>[] {
  const hostBytes = Buffer.byteLength(JSON.stringify(report.host));
  // Leave room for the envelope and the host facts; stay well under the limit
  // (no floor: a floor above the limit would overflow the small limits a controller may set).
  const budget = Math.floor(maxFrameBytes * 0.8);
  const items: Item[] = [
    ...report.packages.map((value) => ({ kind: 'pkg' as const, value })),
    ...report.removed.map((value) => ({ kind: 'rm' as const, value })),
  ];
  const groups: Item[][] = [[]];
  let used = hostBytes;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item.value)) + 1;
    const group = groups[groups.length - 1] as Item[];
    if (group.length > 0 && (used + size > budget || group.length >= Limits.packagesPerChunk)) {
      groups.push([item]);
      used = size;
    } else {
      group.push(item);
      used += size;
    }
  }
  const parts = groups.length;
  return groups.map((group, part) => ({
    seq: report.seq,
    kind: report.kind,
    ...(report.baseSeq !== undefined ? { baseSeq: report.baseSeq } : {}),
    ...(epoch !== undefined ? { epoch } : {}),
    part,
    parts,
    packageCount: report.packages.length,
    collectedAt: report.collectedAt,
    ...(part === 0 ? { host: report.host } : {}),
    packages: group.filter((i) => i.kind === 'pkg').map((i) => i.value as Package),
    ...(report.kind === 'delta' ? { removed: group.filter((i) => i.kind === 'rm').map((i) => i.value as PackageKey) } : {}),
  }));
}
