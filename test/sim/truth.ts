/**
 * Ground truth of a scenario (../shared/scenarios/README.md, "Ground truth"):
 * which (patch, class) pairs are bad. Only the simulator and the metrics read
 * it; the controller never sees effects.
 *
 * Several effects may name the same class. Their combination is the one the
 * fleet model plays (fleet-model.ts): probabilities combine as independent
 * chances (1 - prod(1 - p)), rate multipliers add their excess over the
 * baseline (1 + sum(m - 1)), because each effect is its own stream of extra
 * events. A pair is bad when one of its effects alone crosses a threshold
 * (the README's wording) or when the combination does (what its hosts live
 * through), so neither two sub-threshold effects adding up nor a helpful
 * effect masking a harmful one can hide harm.
 */
import type { Effect, Patch, Scenario } from './scenario';

/** The README's thresholds: at or above any of them, an effect is harm. */
export const BAD_THRESHOLDS = Object.freeze({
  installFailure: 0.05,
  crashMultiplier: 2,
  serviceFailureMultiplier: 2,
  bootFailure: 0.01,
});

/** All effects of a patch on one class, combined; no effect at all is {0, 1, 1, 0}. */
export interface CombinedEffect {
  installFailure: number;
  crashMultiplier: number;
  serviceFailureMultiplier: number;
  bootFailure: number;
}

/** The (patch, class) verdict, with the thresholds crossed in words. */
export interface PairTruth {
  patch: string;
  class: string;
  bad: boolean;
  /** e.g. ["crashMultiplier 6 >= 2"]; empty for a good pair. */
  reasons: string[];
}

/** The effects of `patch` that name `className`, in file order. */
export function effectsFor(patch: Patch, className: string): Effect[] {
  return patch.effects.filter((e) => e.classes.includes(className));
}

/** Combines effects on one class (see the module comment). */
export function combineEffects(effects: readonly Effect[]): CombinedEffect {
  let installOk = 1;
  let bootOk = 1;
  let crash = 1;
  let service = 1;
  for (const e of effects) {
    installOk *= 1 - (e.installFailure ?? 0);
    bootOk *= 1 - (e.bootFailure ?? 0);
    crash += (e.crashMultiplier ?? 1) - 1;
    service += (e.serviceFailureMultiplier ?? 1) - 1;
  }
  return {
    installFailure: 1 - installOk,
    crashMultiplier: Math.max(0, crash),
    serviceFailureMultiplier: Math.max(0, service),
    bootFailure: 1 - bootOk,
  };
}

/** The thresholds one effect (or a combination) crosses, in words; [] when it is harmless. */
export function harmReasons(e: Partial<CombinedEffect>): string[] {
  const out: string[] = [];
  for (const key of ['installFailure', 'crashMultiplier', 'serviceFailureMultiplier', 'bootFailure'] as const) {
    const v = e[key];
    if (v !== undefined && v >= BAD_THRESHOLDS[key]) out.push(`${key} ${Number(v.toPrecision(6))} >= ${BAD_THRESHOLDS[key]}`);
  }
  return out;
}

/** The verdict for one pair. */
export function pairTruth(patch: Patch, className: string): PairTruth {
  const effects = effectsFor(patch, className);
  const reasons = new Set<string>();
  for (const e of effects) for (const r of harmReasons(e)) reasons.add(r);
  if (effects.length > 1) for (const r of harmReasons(combineEffects(effects))) reasons.add(`combined ${r}`);
  return { patch: patch.id, class: className, bad: reasons.size > 0, reasons: [...reasons] };
}

/** Every applicable pair of the scenario: patches in file order, each patch's classes in appliesTo order. */
export function groundTruth(scenario: Scenario): PairTruth[] {
  return scenario.patches.flatMap((p) => p.appliesTo.map((c) => pairTruth(p, c)));
}
