/**
 * Pure, deterministic ring assignment: pins, then rules, then automatic
 * placement by host class and percentage.
 */
import { createHash } from 'node:crypto';
import type { RingRuleMatch } from '../db/schema/index';

/** What the assignment knows about a host. */
export interface AssignableHost {
  id: string;
  osId: string;
  osVersion: string;
  /** OS build (Windows build, kernel); falls back to osVersion for the class. */
  build?: string | undefined;
  model: string;
  role?: string | undefined;
  criticality?: string | undefined;
  labels: Record<string, string>;
}

/** The parts of a ring the assignment needs. `percent` null: pinned/rule hosts only (Test). */
export interface AssignableRing {
  id: string;
  position: number;
  percent: number | null;
}

/** One ordered assignment rule. */
export interface AssignableRule {
  match: RingRuleMatch;
  ringId: string;
}

/** Where a host went and why. */
export interface RingAssignment {
  ringId: string;
  reason: 'pin' | 'rule' | 'auto';
}

/** The class a host is compared within: OS build x hardware model x role. */
export function hostClassOf(host: AssignableHost): string {
  return JSON.stringify([host.osId, host.build || host.osVersion, host.model, host.role ?? '']);
}

/** Stable position of a host in [0, 2^48): the same id always sorts the same way, whatever else is in the fleet. */
export function stableRank(hostId: string): number {
  return parseInt(createHash('sha256').update(hostId).digest('hex').slice(0, 12), 16);
}

/** Whether every field given in the rule matches the host. */
export function ruleMatches(match: RingRuleMatch, host: AssignableHost): boolean {
  if (match.osId !== undefined && match.osId !== host.osId) return false;
  if (match.osVersion !== undefined && match.osVersion !== host.osVersion) return false;
  if (match.role !== undefined && match.role !== host.role) return false;
  if (match.criticality !== undefined && match.criticality !== host.criticality) return false;
  for (const [key, value] of Object.entries(match.labels ?? {})) if (host.labels[key] !== value) return false;
  return true;
}

/** Splits `total` by percentages with the largest-remainder method, so the parts sum to `total`. */
export function targetCounts(total: number, percents: number[]): number[] {
  const sum = percents.reduce((a, b) => a + b, 0);
  if (sum <= 0) return percents.map(() => 0);
  const exact = percents.map((p) => (total * p) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    counts[i] = (counts[i] ?? 0) + 1;
    left--;
  }
  return counts;
}

/**
 * Assigns every host to a ring.
 *
 * 1. A pin (to a ring that exists) wins.
 * 2. Otherwise the first matching rule (rules in the given order).
 * 3. Otherwise automatic, over the rings with a percentage, in position order:
 *    - Class seeds: within each host class, hosts are ordered by stableRank;
 *      the first goes to the first automatic ring, and when the class has
 *      two or more automatic hosts the second goes to the second automatic
 *      ring. So every class is seen early, even if that puts an early ring
 *      above its percentage (the class guarantee wins over the share).
 *    - The rest, ordered by stableRank, fill the rings in order up to their
 *      largest-remainder share of all automatic hosts; the last ring takes
 *      whatever is left.
 *    Ordering by a hash of the id (not by input order) makes re-runs give the
 *    same answer, and a new host only shifts the ring boundaries by one place.
 *
 * Hosts are left out of the result only when there is no automatic ring.
 */
export function assignRings(
  hosts: readonly AssignableHost[],
  rings: readonly AssignableRing[],
  pins: ReadonlyMap<string, string>,
  rules: readonly AssignableRule[],
): Map<string, RingAssignment> {
  const ringIds = new Set(rings.map((r) => r.id));
  // Hashed once per host: sorting would otherwise hash on every comparison.
  const ranks = new Map(hosts.map((h) => [h.id, stableRank(h.id)]));
  const byRank = (a: AssignableHost, b: AssignableHost): number => (ranks.get(a.id) ?? 0) - (ranks.get(b.id) ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const result = new Map<string, RingAssignment>();
  const automatic: AssignableHost[] = [];
  for (const host of hosts) {
    const pinned = pins.get(host.id);
    if (pinned !== undefined && ringIds.has(pinned)) {
      result.set(host.id, { ringId: pinned, reason: 'pin' });
      continue;
    }
    const rule = rules.find((r) => ringIds.has(r.ringId) && ruleMatches(r.match, host));
    if (rule) result.set(host.id, { ringId: rule.ringId, reason: 'rule' });
    else automatic.push(host);
  }

  const autoRings = rings.filter((r) => r.percent !== null && r.percent > 0).sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : 1));
  if (autoRings.length === 0 || automatic.length === 0) return result;
  const targets = targetCounts(automatic.length, autoRings.map((r) => r.percent ?? 0));
  const filled = autoRings.map(() => 0);
  const place = (host: AssignableHost, index: number): void => {
    const ring = autoRings[index];
    if (!ring) return;
    result.set(host.id, { ringId: ring.id, reason: 'auto' });
    filled[index] = (filled[index] ?? 0) + 1;
  };

  const classes = new Map<string, AssignableHost[]>();
  for (const host of automatic) {
    const key = hostClassOf(host);
    const members = classes.get(key);
    if (members) members.push(host);
    else classes.set(key, [host]);
  }
  const seeded = new Set<string>();
  for (const members of classes.values()) {
    members.sort(byRank);
    members.slice(0, Math.min(2, autoRings.length)).forEach((host, index) => {
      place(host, index);
      seeded.add(host.id);
    });
  }

  let index = 0;
  for (const host of automatic.filter((h) => !seeded.has(h.id)).sort(byRank)) {
    while (index < autoRings.length - 1 && (filled[index] ?? 0) >= (targets[index] ?? 0)) index++;
    place(host, index);
  }
  return result;
}
