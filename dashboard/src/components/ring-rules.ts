/**
 * Assignment rules as the ring page edits them. The API keeps one ordered
 * list for all rings and replaces it whole (PUT /ring-rules), so the page
 * shows the rules sending hosts to its ring and writes the whole list back
 * with one rule added or removed, leaving the others and their order alone.
 */
import type { RingRule, RuleMatch } from '../api/types';

/** A rule with its place in the whole list (what removing it needs). */
export interface PlacedRule {
  index: number;
  rule: RingRule;
}

/** The rules that send hosts to `ringId`, with their positions in the whole list. */
export function rulesForRing(all: readonly RingRule[], ringId: string): PlacedRule[] {
  return all.flatMap((rule, index) => (rule.ringId === ringId ? [{ index, rule }] : []));
}

/** The whole list with a rule for `ringId` appended (rules are tried in order: new ones last). */
export function withRule(all: readonly RingRule[], ringId: string, match: RuleMatch): RingRule[] {
  return [...all, { match, ringId }];
}

/** The whole list without the rule at `index`. */
export function withoutRule(all: readonly RingRule[], index: number): RingRule[] {
  return all.filter((_, i) => i !== index);
}

/** `role=db, site=par1` -> { role: 'db', site: 'par1' }; a string naming what is wrong when a part is not key=value. */
export function parseLabels(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!/^[A-Za-z0-9_.-]{1,63}$/.test(key)) return `"${part}" is not key=value (key: letters, digits, _ . -)`;
    out[key] = part.slice(eq + 1).trim();
  }
  return out;
}

/** The form's fields as a match: blank fields left out; a string naming what is wrong, or that nothing was given. */
export function ruleMatchOf(form: { labels: string; osId: string; osVersion: string; role: string; criticality: string }): RuleMatch | string {
  const labels = parseLabels(form.labels);
  if (typeof labels === 'string') return labels;
  const match: RuleMatch = {};
  if (Object.keys(labels).length) match.labels = labels;
  for (const key of ['osId', 'osVersion', 'role', 'criticality'] as const) {
    const v = form[key].trim();
    if (v) match[key] = v;
  }
  return Object.keys(match).length ? match : 'give at least one of labels, OS, OS version, role or criticality';
}

/** A match in words: `labels canary=yes, OS ubuntu 24.04, role db`. */
export function matchText(m: RuleMatch): string {
  const parts: string[] = [];
  if (m.labels && Object.keys(m.labels).length) parts.push(`labels ${Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (m.osId || m.osVersion) parts.push(`OS ${[m.osId, m.osVersion].filter(Boolean).join(' ')}`);
  if (m.role) parts.push(`role ${m.role}`);
  if (m.criticality) parts.push(`criticality ${m.criticality}`);
  return parts.join('; ');
}
