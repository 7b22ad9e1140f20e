/**
 * What a host's labels say about how much a compromise of it would cost:
 * its business criticality and whether it is reachable from the internet.
 */

/** Business criticality of a host, from its `criticality` label. */
export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

/** The host facts priority scoring reads. */
export interface HostRisk {
  criticality: Criticality;
  internetFacing: boolean;
}

/** HostRisk plus the label values that could not be read (and were replaced by the default). */
export interface HostRiskContext extends HostRisk {
  warnings: string[];
}

/** When nothing says otherwise a host is ordinary: medium, like most CMDB defaults. */
export const DEFAULT_CRITICALITY: Criticality = 'medium';

// 1-4 for inventories that rank hosts by number (1 = least critical).
const NUMERIC: Record<string, Criticality> = { '1': 'low', '2': 'medium', '3': 'high', '4': 'critical' };
const TRUE_WORDS = new Set(['true', 'yes', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'off']);
// A DMZ exists to be reached from outside, so it counts as internet-facing.
const EXPOSURE_INTERNET = new Set(['internet', 'public', 'internet-facing', 'dmz']);
const EXPOSURE_INTERNAL = new Set(['internal', 'private', 'none', 'intranet', 'isolated']);

/**
 * Reads a host's risk context from its labels:
 * - `criticality`: `low`/`medium`/`high`/`critical` or `1`-`4`, any case;
 *   absent or unreadable means medium;
 * - `exposure=internet` or `internet-facing=true` (also yes/1/on) marks it
 *   internet-facing. Either label saying so is enough: treating an exposed
 *   host as internal is the costlier mistake.
 *
 * A label value it cannot read is reported in `warnings`, never thrown: one
 * mistyped label must not stop a host from being assessed.
 */
export function hostRiskContext(labels: Readonly<Record<string, string>>): HostRiskContext {
  const warnings: string[] = [];
  let criticality = DEFAULT_CRITICALITY;
  const rawCriticality = labels['criticality'];
  if (rawCriticality !== undefined) {
    const value = rawCriticality.trim().toLowerCase();
    const parsed = NUMERIC[value] ?? (CRITICALITIES as readonly string[]).find((c) => c === value);
    if (parsed !== undefined) criticality = parsed as Criticality;
    else warnings.push(`label criticality=${JSON.stringify(rawCriticality)} is not low, medium, high, critical or 1-4; using ${DEFAULT_CRITICALITY}`);
  }

  let internetFacing = false;
  const exposure = labels['exposure'];
  if (exposure !== undefined) {
    const value = exposure.trim().toLowerCase();
    if (EXPOSURE_INTERNET.has(value)) internetFacing = true;
    else if (!EXPOSURE_INTERNAL.has(value)) warnings.push(`label exposure=${JSON.stringify(exposure)} is not "internet" or "internal"; not counted as internet-facing`);
  }
  const flag = labels['internet-facing'];
  if (flag !== undefined) {
    const value = flag.trim().toLowerCase();
    if (TRUE_WORDS.has(value)) internetFacing = true;
    else if (!FALSE_WORDS.has(value)) warnings.push(`label internet-facing=${JSON.stringify(flag)} is not true or false; not counted as internet-facing`);
  }
  return { criticality, internetFacing, warnings };
}
