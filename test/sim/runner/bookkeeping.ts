/**
 * The runner's side of the metrics: what the hosts went through (their
 * records, kept by the simulated hosts, never asked of the controller) and
 * what the controller decided at the end (its blocks and halted rollouts,
 * read through the API), joined per (patch, class) pair into the outcomes
 * metrics.buildReport takes. Pure.
 *
 * - exposed / harmed / rolledBack: hosts of the class whose record names the patch.
 * - patchedAtEnd: hosts holding it at the end (a host that never came back
 *   from a reboot holds nothing any more).
 * - daysTo95: from the patched count of the class over time, built from the
 *   hosts' changes (install +1; rollback or no boot -1) in time order.
 * - blocked: an active block of the patch for the class's controller class,
 *   or a fleet-wide one; or the patch's rollout halted (the controller gives
 *   the patch to nobody any more: a fleet-wide halt blocks every class it
 *   applies to); or its rollout is held by the reliability decision
 *   (heldPatches: it goes no further than its first ring, as a halt).
 *   blockedAtDay: the earliest such decision in force at the end.
 */
import type { CatalogSetup } from '../catalog-setup';
import type { SimHost as ModelHost } from '../fleet-model';
import { daysTo95, type PairOutcome, type PatchedPoint } from '../metrics';
import type { Scenario } from '../scenario';
import type { PairTruth } from '../truth';
import type { HostRecord } from './sim-host';

const DAY_MS = 86_400_000;

/** An active block as GET /api/v1/blocks lists it (the fields read here). */
export interface BlockView {
  patchId: string;
  /** The controller's host class (JSON [osId, build, model, role]); null: every class. */
  hostClass: string | null;
  state: string;
  createdAt: string;
}

/** A decision that stops a patch for every class: a rollout that halted (or was rolled back) with the patch in it. */
export interface PatchHalt {
  patchId: string;
  /** When it halted (ms since the epoch, virtual). */
  at: number;
  reason: string;
  /** 'held': kept by the reliability decision (heldPatches); a halted rollout otherwise. */
  by?: 'halt' | 'held';
}

/** Why a pair counts as blocked, for the run's log. */
export interface BlockReason {
  patch: string;
  class: string;
  by: 'class-block' | 'fleet-block' | 'halt' | 'held';
  atDay: number;
}

/** A patch's reliability as GET /api/v1/patches/:id/reliability gives it (the fields read here). */
export interface PatchDecisionView {
  patchId: string;
  decision: string;
  /** Score history; hostClass '' is the patch-wide score. */
  history: { hostClass: string; score: number; at: string }[];
}

/**
 * Patches the controller's reliability decision keeps from every class at the end: a rollout still
 * active carries the patch, and its decision is `block`, or `hold` with no class block of the patch (a
 * hold that comes with class blocks is applied class by class and the other classes go on: those
 * classes count through their blocks). Like a halt, such a rollout gives the patch to no further host
 * until the evidence changes. `at`: the start of the last run of patch-wide scores below `holdScore`
 * (the last score's time when there is none).
 */
export function heldPatches(rollouts: readonly { state: string; content: { patches: readonly string[] } }[], decisions: readonly PatchDecisionView[], blocks: readonly BlockView[], holdScore: number): PatchHalt[] {
  const active = new Set(rollouts.filter((r) => r.state === 'active').flatMap((r) => r.content.patches));
  const out: PatchHalt[] = [];
  for (const d of decisions) {
    if (!active.has(d.patchId)) continue;
    const classBlocked = blocks.some((b) => b.state === 'active' && b.patchId === d.patchId && b.hostClass !== null);
    if (!(d.decision === 'block' || (d.decision === 'hold' && !classBlocked))) continue;
    const wide = d.history.filter((h) => h.hostClass === '').sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    let start = wide.length;
    while (start > 0 && wide[start - 1]!.score < holdScore) start -= 1;
    const point = wide[start] ?? wide.at(-1);
    if (point === undefined) continue;
    out.push({ patchId: d.patchId, at: Date.parse(point.at), reason: `reliability decision ${d.decision}`, by: 'held' });
  }
  return out;
}

/** The run day of the earliest decision keeping `patch` from `className` at the end, and what it was. */
export function pairBlock(setup: CatalogSetup, blocks: readonly BlockView[], halts: readonly PatchHalt[], patch: string, className: string): BlockReason | null {
  const controllerClass = setup.classes.find((c) => c.name === className)?.controllerClass;
  const found: BlockReason[] = [];
  for (const b of blocks) {
    if (b.state !== 'active' || b.patchId !== patch) continue;
    if (b.hostClass !== null && b.hostClass !== controllerClass) continue;
    found.push({ patch, class: className, by: b.hostClass === null ? 'fleet-block' : 'class-block', atDay: (Date.parse(b.createdAt) - setup.start) / DAY_MS });
  }
  for (const h of halts) if (h.patchId === patch) found.push({ patch, class: className, by: h.by ?? 'halt', atDay: (h.at - setup.start) / DAY_MS });
  if (found.length === 0) return null;
  return found.sort((a, b) => a.atDay - b.atDay)[0]!;
}

/** The patched count of a pair whenever it changed: the hosts' changes in time order (ties by host index). */
export function patchedSeries(records: readonly HostRecord[], hostIndexes: ReadonlySet<number>, patch: string): PatchedPoint[] {
  const changes = records
    .filter((r) => hostIndexes.has(r.index))
    .flatMap((r) => r.changes.filter((c) => c.patch === patch).map((c) => ({ ...c, index: r.index })))
    .sort((a, b) => a.t - b.t || a.index - b.index);
  const out: PatchedPoint[] = [];
  let patched = 0;
  for (const c of changes) {
    patched += c.delta;
    const day = c.t / 24;
    const last = out[out.length - 1];
    if (last && last.day === day) last.patched = patched;
    else out.push({ day, patched });
  }
  return out;
}

/** One outcome per pair of the ground truth, in its order. */
export function pairOutcomes(
  scenario: Scenario,
  setup: CatalogSetup,
  truth: readonly PairTruth[],
  hosts: readonly ModelHost[],
  records: readonly HostRecord[],
  decisions: { blocks: readonly BlockView[]; halts: readonly PatchHalt[] },
): { outcomes: PairOutcome[]; reasons: BlockReason[] } {
  const byIndex = new Map(records.map((r) => [r.index, r]));
  const reasons: BlockReason[] = [];
  const outcomes = truth.map((t): PairOutcome => {
    const members = hosts.filter((h) => h.className === t.class);
    const indexes = new Set(members.map((h) => h.index));
    const recs = members.map((h) => byIndex.get(h.index)).filter((r): r is HostRecord => r !== undefined);
    if (recs.length !== members.length) throw new Error(`${members.length - recs.length} hosts of class ${t.class} sent no record`);
    const count = (pick: (r: HostRecord) => readonly string[]) => recs.filter((r) => pick(r).includes(t.patch)).length;
    const patch = scenario.patches.find((p) => p.id === t.patch)!;
    const block = pairBlock(setup, decisions.blocks, decisions.halts, t.patch, t.class);
    if (block) reasons.push(block);
    return {
      patch: t.patch,
      class: t.class,
      blocked: block !== null,
      blockedAtDay: block === null ? null : Math.round(block.atDay * 1000) / 1000,
      exposed: count((r) => r.exposed),
      harmed: count((r) => r.harmed),
      rolledBack: count((r) => r.rolledBack),
      hosts: members.length,
      patchedAtEnd: count((r) => r.held),
      daysTo95: roundDays(daysTo95(patchedSeries(records, indexes, t.patch), members.length, patch.releasedDay)),
    };
  });
  return { outcomes, reasons };
}

function roundDays(d: number | null): number | null {
  return d === null ? null : Math.round(d * 1000) / 1000;
}
