/**
 * What `pnpm start --demo` says while it runs (test/sim/demo.ts): pure
 * formatting of what the demo read from the controller's API, so the lines
 * can be tested without a controller. Plain and short: one line per fact a
 * newcomer should notice (hosts online, missing patches by priority, each
 * rollout's rings, every new block or halt with its reason, rollbacks).
 */

/** Priority tiers as the controller names them, most urgent first. */
export const TIERS = ['critical', 'high', 'medium', 'low'] as const;
export type Tier = (typeof TIERS)[number];

/** One patch some host is missing, with how many missing hosts fall in each tier. */
export interface MissingPatch {
  id: string;
  /** Hosts missing it, by tier (a host's criticality weighs its tier). */
  tiers: Partial<Record<Tier, number>>;
  /** Hosts that have it. */
  installed: number;
}

export interface RingView {
  ring: string;
  state: string;
  /** Hosts of the ring by rollout host state (pending, succeeded, failed, rolled-back, ...). */
  hosts: Record<string, number>;
}

export interface RolloutView {
  id: string;
  name: string;
  state: string;
  stateReason: string | null;
  /** Hosts of the rollout by state. */
  hosts: Record<string, number>;
  rings: RingView[];
}

export interface BlockView {
  id: string;
  patchId: string;
  scope: string;
  state: string;
  reason: string;
  createdAt: string;
}

/** What the demo read from the API at one moment of the virtual clock. */
export interface DemoSnapshot {
  /** Virtual time, ms since the epoch. */
  now: number;
  /** Virtual start of the run (day 0). */
  start: number;
  hosts: { total: number; online: number };
  missing: MissingPatch[];
  rollouts: RolloutView[];
  blocks: BlockView[];
}

const HOUR_MS = 3_600_000;

/** `day 2, 05:00` of the run, and the virtual UTC date. */
export function when(now: number, start: number): string {
  const hours = Math.round((now - start) / HOUR_MS);
  const stamp = new Date(now).toISOString().slice(0, 16).replace('T', ' ');
  return `day ${Math.floor(hours / 24)} +${String(hours % 24).padStart(2, '0')}h (${stamp} UTC, virtual)`;
}

/** Hosts of a patch that are missing it, over every tier. */
function missingHosts(p: MissingPatch): number {
  return TIERS.reduce((a, t) => a + (p.tiers[t] ?? 0), 0);
}

/** `critical 120 (KB5072033 120), high 180 (USN-7604-1 135, KB5071547 45), medium 0, low 0`: host-patch pairs per tier. */
export function missingByPriority(missing: readonly MissingPatch[]): string {
  if (missing.every((p) => missingHosts(p) === 0)) return 'nothing missing';
  return TIERS.map((tier) => {
    const parts = missing.filter((p) => (p.tiers[tier] ?? 0) > 0).map((p) => `${p.id} ${p.tiers[tier]}`);
    const sum = missing.reduce((a, p) => a + (p.tiers[tier] ?? 0), 0);
    return parts.length === 0 ? `${tier} 0` : `${tier} ${sum} (${parts.join(', ')})`;
  }).join(', ');
}

/** Rollout host states in the order a host goes through them. */
const SHOWN_STATES = ['pending', 'installing', 'succeeded', 'failed', 'skipped', 'blocked', 'rolling-back', 'rolled-back', 'rollback-failed'];

/** The non-zero host counts of a ring, known states first. */
function counts(hosts: Record<string, number>): string {
  const order = [...SHOWN_STATES, ...Object.keys(hosts).filter((k) => !SHOWN_STATES.includes(k)).sort()];
  return order
    .filter((s) => (hosts[s] ?? 0) > 0)
    .map((s) => `${hosts[s]} ${s}`)
    .join(', ');
}

/** `demo: KB5072033 (ro_1): active; Test passed, First soaking [1 succeeded, 1 rolled-back], Fast waiting [9 pending, 3 blocked]`. */
export function rolloutLine(r: RolloutView): string {
  const rings = r.rings.map((g) => {
    const c = counts(g.hosts);
    return `${g.ring} ${g.state}${c ? ` [${c}]` : ''}`;
  });
  return `${r.name} (${r.id}): ${r.state}; ${rings.join(', ')}`;
}

/** Hosts rolled back (or being rolled back, or whose rollback failed), per patch rollout. */
export function rollbackCount(rollouts: readonly RolloutView[]): { total: number; line: string } {
  const per = rollouts
    .map((r) => ({ name: r.name, n: (r.hosts['rolled-back'] ?? 0) + (r.hosts['rolling-back'] ?? 0) + (r.hosts['rollback-failed'] ?? 0) }))
    .filter((x) => x.n > 0);
  const total = per.reduce((a, x) => a + x.n, 0);
  return { total, line: total === 0 ? 'rollbacks: none yet' : `rollbacks: ${total} host${total === 1 ? '' : 's'} rolled back (${per.map((x) => `${x.name} ${x.n}`).join(', ')})` };
}

/** Ids already reported, so each block and halt is told once. */
export interface Told {
  blocks: Set<string>;
  halts: Set<string>;
}

export function newTold(): Told {
  return { blocks: new Set(), halts: new Set() };
}

/** Lines for blocks and halts not told before (and marks them told): the gate trips, with their reasons. */
export function newEvents(s: DemoSnapshot, told: Told): string[] {
  const lines: string[] = [];
  for (const b of [...s.blocks].sort((a, b2) => a.createdAt.localeCompare(b2.createdAt))) {
    if (told.blocks.has(b.id)) continue;
    told.blocks.add(b.id);
    lines.push(`GATE TRIPPED at ${when(Date.parse(b.createdAt), s.start)}: ${b.patchId} blocked for ${b.scope} (${b.id})`);
    lines.push(`  why: ${b.reason}`);
  }
  for (const r of s.rollouts) {
    if (r.state !== 'halted' || told.halts.has(r.id)) continue;
    told.halts.add(r.id);
    lines.push(`ROLLOUT HALTED: ${r.name} (${r.id}): ${r.stateReason ?? 'no reason given'}`);
  }
  return lines;
}

/** The summary of one simulated day. */
export function dayLines(s: DemoSnapshot): string[] {
  const lines = [`${when(s.now, s.start)}: ${s.hosts.online} of ${s.hosts.total} hosts online`];
  lines.push(`  missing patches by priority (hosts): ${missingByPriority(s.missing)}`);
  if (s.rollouts.length === 0) lines.push('  rollouts: none yet');
  for (const r of s.rollouts) lines.push(`  rollout ${rolloutLine(r)}`);
  const active = s.blocks.filter((b) => b.state === 'active');
  lines.push(`  blocks: ${active.length === 0 ? 'none' : active.map((b) => `${b.patchId} for ${b.scope}`).join('; ')}`);
  lines.push(`  ${rollbackCount(s.rollouts).line}`);
  return lines;
}

/** Whole days of a run of `hours` hours: the day number of hour `hour` when it starts a day, else undefined. */
export function dayOf(hour: number): number | undefined {
  return hour % 24 === 0 ? hour / 24 : undefined;
}

/** Days and hours of `ms` real milliseconds, for "one virtual hour every N ms". */
export function pace(hourMs: number): string {
  if (hourMs === 0) return 'as fast as this machine goes';
  const dayS = (hourMs * 24) / 1000;
  return `one virtual hour every ${hourMs} ms at most (a day in ${dayS >= 60 ? `${(dayS / 60).toFixed(1)} min` : `${dayS.toFixed(0)} s`} or more)`;
}

