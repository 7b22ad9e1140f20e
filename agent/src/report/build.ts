/**
 * Turns a fresh inventory into the next report: full when the controller's
 * state is unknown (or when asked), otherwise a delta against the projected
 * state. Returns undefined when nothing changed and no report is due.
 */
import { packageKey, type Inventory, type Package, type PackageKey } from '@patchfleet/shared';
import type { OutboxReport } from '../link/outbox';

export interface Diff {
  upserts: Package[];
  removed: PackageKey[];
}

export function diffPackages(before: Package[], after: Package[]): Diff {
  const old = new Map(before.map((p) => [packageKey(p), p]));
  const upserts: Package[] = [];
  for (const p of after) {
    const prev = old.get(packageKey(p));
    if (!prev || prev.version !== p.version || prev.sourceName !== p.sourceName || prev.sourceVersion !== p.sourceVersion) upserts.push(p);
    old.delete(packageKey(p));
  }
  const removed = [...old.values()].map((p) => ({ name: p.name, arch: p.arch, manager: p.manager }));
  return { upserts, removed };
}

export function buildReport(
  inventory: Inventory,
  projected: { seq: number; packages: Package[] } | undefined,
  opts: { forceFull: boolean; collectedAt: number; hostChanged: boolean },
): Omit<OutboxReport, 'seq'> | undefined {
  if (opts.forceFull || !projected) {
    return { kind: 'full', collectedAt: opts.collectedAt, host: inventory.host, packages: inventory.packages, removed: [] };
  }
  const diff = diffPackages(projected.packages, inventory.packages);
  if (diff.upserts.length === 0 && diff.removed.length === 0 && !opts.hostChanged) return undefined;
  return { kind: 'delta', baseSeq: projected.seq, collectedAt: opts.collectedAt, host: inventory.host, packages: diff.upserts, removed: diff.removed };
}
