/**
 * systemd units as a health source: which units are in the `failed` state
 * and how often each service was restarted (NRestarts), compared with the
 * previous look. Pure parsers plus a small tracker; the collector runs
 * `systemctl`.
 */
import type { HealthEvent } from '@patchfleet/shared/protocol';

/** Unit names from `systemctl list-units ... --no-legend --plain` (the first column; a leading status bullet skipped). */
export function parseUnitList(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const name = cols[0] === '●' || cols[0] === '*' ? cols[1] : cols[0];
    if (name && /^[^\s/]+\.[a-z]+$/.test(name)) out.push(name);
  }
  return out;
}

/** `systemctl show -p Id -p NRestarts UNIT...`: blocks of Key=Value lines separated by blank lines. */
export function parseRestartCounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const block of text.split(/\n\s*\n/)) {
    const id = /^Id=(.+)$/m.exec(block)?.[1]?.trim();
    const n = Number(/^NRestarts=(\d+)$/m.exec(block)?.[1]);
    if (id && Number.isSafeInteger(n)) out.set(id, n);
  }
  return out;
}

/** What the units said since the previous look. */
export interface UnitChanges {
  /** restarts per unit since the previous look */
  restarts: Map<string, number>;
  /** units failed now that were not failed at the previous look */
  newlyFailed: string[];
}

/**
 * Remembers the previous look (in memory: after an agent restart the first
 * look only sets the baseline; journald still counts that window's
 * failures). A counter that went down was reset (a manual restart, the unit
 * reloaded): its current value is what happened since.
 */
export class UnitTracker {
  private previous: { bootId: string; restarts: Map<string, number>; failed: Set<string> } | undefined;

  /** Compares with the previous look and remembers this one. Undefined on the first look (or after a reboot): no baseline. */
  observe(bootId: string, restarts: Map<string, number>, failed: readonly string[]): UnitChanges | undefined {
    const prev = this.previous;
    this.previous = { bootId, restarts, failed: new Set(failed) };
    if (!prev || prev.bootId !== bootId) return undefined;
    const deltas = new Map<string, number>();
    for (const [unit, n] of restarts) {
      const before = prev.restarts.get(unit);
      // A unit not seen before was loaded since: all its restarts are new.
      const delta = before === undefined || n < before ? n : n - before;
      if (delta > 0) deltas.set(unit, delta);
    }
    return { restarts: deltas, newlyFailed: failed.filter((u) => !prev.failed.has(u)) };
  }
}

/**
 * Service failures of a window from both sources, without counting one
 * failure twice. A service that fails and is restarted logs "Failed with
 * result" (journald) and increments NRestarts (units), so per unit the count
 * is the larger of the journal's failures and the units' restarts plus one
 * when it is now left failed; summed over units.
 */
export function mergeServiceFailures(journal: readonly HealthEvent[] | undefined, units: UnitChanges | undefined, at: number): HealthEvent[] {
  const byUnit = new Map<string, HealthEvent[]>();
  for (const e of journal ?? []) byUnit.set(e.subject, [...(byUnit.get(e.subject) ?? []), e]);
  if (!units) return [...(journal ?? [])];
  const unitNames = new Set([...units.restarts.keys(), ...units.newlyFailed]);
  const extra: HealthEvent[] = [];
  for (const unit of unitNames) {
    const restarts = units.restarts.get(unit) ?? 0;
    const failedNow = units.newlyFailed.includes(unit);
    const fromUnits = restarts + (failedNow ? 1 : 0);
    const fromJournal = byUnit.get(unit)?.length ?? 0;
    for (let i = fromJournal; i < fromUnits; i++) {
      const what = [restarts > 0 ? `restarted ${restarts} time${restarts === 1 ? '' : 's'}` : '', failedNow ? 'entered the failed state' : ''].filter(Boolean).join(', ');
      extra.push({ kind: 'service-failure', at, subject: unit, message: `${unit} ${what} (systemctl)` });
    }
  }
  return [...(journal ?? []), ...extra];
}
