/**
 * Remediation deadlines per priority tier (the SLA), in days.
 *
 * The defaults follow common vulnerability-management practice: critical
 * within 2 days (actively exploited or near-certain to be), high within a
 * week, medium within a month (one patch cycle), low within a quarter.
 * A CISA KEV due date that falls sooner still wins; see deadline.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { PfError, Errors } from '@patchfleet/shared/errors';

/** The four priority tiers, most urgent first. */
export const TIERS = ['critical', 'high', 'medium', 'low'] as const;
export type Tier = (typeof TIERS)[number];

// Fractions are allowed (0.5 = 12 hours); ten years is a typo guard, not a policy.
const Days = Type.Number({ minimum: 0, maximum: 3650 });

/**
 * The `sla` block of the controller config. Every tier is optional so a
 * config file can change one (`{"sla": {"critical": 1}}`); resolveSla fills
 * the rest from DEFAULT_SLA.
 */
export const SlaSchema = Type.Object(
  {
    critical: Type.Optional(Days),
    high: Type.Optional(Days),
    medium: Type.Optional(Days),
    low: Type.Optional(Days),
  },
  { additionalProperties: false },
);
export type SlaSettings = Static<typeof SlaSchema>;

/** Days to remediate, per tier. */
export type SlaConfig = Readonly<Record<Tier, number>>;

export const DEFAULT_SLA: SlaConfig = Object.freeze({ critical: 2, high: 7, medium: 30, low: 90 });

/**
 * The SLA with every tier set: the configured days where given, else the
 * defaults. Throws PF_ERR_CONFIG when a more urgent tier would get more days
 * than a less urgent one: raising a score must never push its deadline out.
 */
export function resolveSla(settings: SlaSettings | undefined | null): SlaConfig {
  const sla: SlaConfig = Object.freeze({
    critical: settings?.critical ?? DEFAULT_SLA.critical,
    high: settings?.high ?? DEFAULT_SLA.high,
    medium: settings?.medium ?? DEFAULT_SLA.medium,
    low: settings?.low ?? DEFAULT_SLA.low,
  });
  for (let i = 1; i < TIERS.length; i++) {
    const urgent = TIERS[i - 1]!;
    const lesser = TIERS[i]!;
    if (sla[urgent] > sla[lesser]) {
      throw new PfError(
        Errors.CONFIG,
        `invalid configuration: sla.${urgent} (${sla[urgent]} days) is longer than sla.${lesser} (${sla[lesser]} days)`,
      );
    }
  }
  return sla;
}
