/**
 * What-if runs for admins: `pnpm bench:rollout --scenario FILE --policy A
 * --policy B [--baseline]` plays one scenario once per ring policy (and once
 * under the controller's default rings with --baseline) and prints the
 * metrics side by side. Here: reading and checking the policy files, the
 * column names, and the table (pure, side-by-side.test.ts).
 */
import { readFile } from 'node:fs/promises';
import type { RolloutReport, RolloutSummary } from './metrics';
import type { RingPolicy } from './runner/controller';

/** A policy file that cannot be read or is not a policy: the message names the file and says what is wrong. */
export class PolicyFileError extends Error {}

/** Column name of the run under the controller's default rings (--baseline). */
export const BASELINE = '(default rings)';

/** Ring names the rings API takes (controller/src/api/routes/rings.ts). */
const RING_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const POLICY_KEYS = new Set(['name', 'rings', 'rules']);
const SHAPE = '{"name"?: "...", "rings": [{"name": "First", ...}], "rules"?: [...]}';

/** Checks a parsed policy file; `source` (the file) starts every message. */
export function parsePolicy(value: unknown, source: string): RingPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PolicyFileError(`${source}: a policy is an object ${SHAPE}`);
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !POLICY_KEYS.has(k));
  if (unknown.length > 0) throw new PolicyFileError(`${source}: unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (a policy is ${SHAPE})`);
  if (v.name !== undefined && (typeof v.name !== 'string' || v.name.trim() === '')) throw new PolicyFileError(`${source}: "name" must be a non-empty string`);
  if (!Array.isArray(v.rings) || v.rings.length === 0) throw new PolicyFileError(`${source}: "rings" must be a non-empty list of rings (a policy is ${SHAPE})`);
  const names = new Set<string>();
  v.rings.forEach((r: unknown, i) => {
    const name = typeof r === 'object' && r !== null && !Array.isArray(r) ? (r as Record<string, unknown>).name : undefined;
    if (typeof name !== 'string') throw new PolicyFileError(`${source}: rings[${i}] has no "name" (each ring is {"name": "First", ...the rings API's settings})`);
    if (!RING_NAME.test(name)) throw new PolicyFileError(`${source}: rings[${i}].name "${name}" is not a ring name (1 to 64 of A-Z a-z 0-9 _ . -)`);
    if (names.has(name)) throw new PolicyFileError(`${source}: ring "${name}" is named twice`);
    names.add(name);
  });
  if (v.rules !== undefined && !Array.isArray(v.rules)) throw new PolicyFileError(`${source}: "rules" must be a list of ring rules`);
  return value as RingPolicy;
}

/** Reads and checks a policy file. */
export async function readPolicy(path: string): Promise<RingPolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new PolicyFileError(`policy ${path}: cannot read it: ${reason}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PolicyFileError(`policy ${path} is not JSON: ${(err as Error).message}`);
  }
  return parsePolicy(value, `policy ${path}`);
}

/**
 * Column names: a policy's "name" when it has one that no other column
 * uses, else its file (files are distinct: the flags refuse a file given twice).
 */
export function policyLabels(policies: readonly { file: string; policy: RingPolicy }[], baseline: boolean): string[] {
  const wanted = policies.map((p) => p.policy.name?.trim() || p.file);
  const all = [...(baseline ? [BASELINE] : []), ...wanted];
  const unique = (label: string, i: number) => all.filter((l) => l === label).length === 1 && !policies.some((q, j) => j !== i && q.file === label);
  return [...(baseline ? [BASELINE] : []), ...policies.map((p, i) => (unique(wanted[i]!, i) ? wanted[i]! : p.file))];
}

/** One run of a comparison: its report, or why there is none. */
export interface ComparedRun {
  policy: string;
  report?: RolloutReport | undefined;
  error?: string | undefined;
}

const SUMMARY_ROWS = ['precision', 'recall', 'badExposureMedian', 'badHarmedTotal', 'goodCoverage', 'goodDaysTo95Median', 'wallSeconds'] as const satisfies readonly (keyof RolloutSummary)[];
const PAIR_ROWS = ['exposed', 'harmed', 'patchedAtEnd', 'daysTo95'] as const;

const cell = (v: number | null | undefined): string => (v === undefined ? '' : v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(3));

/**
 * The metrics of one scenario under several policies, one column per run:
 * the summary rows, then per pair (`KB5071001 win11-hp (bad)`) whether and
 * when it was blocked, exposed, harmed, patchedAtEnd and daysTo95. A run
 * without a report shows `failed` in its column (the error is printed on
 * stderr). '-' is null (no such value, or never).
 */
export function sideBySideTable(scenario: string, runs: readonly ComparedRun[]): string {
  const pairs: { patch: string; class: string; bad: boolean }[] = [];
  for (const r of runs) {
    for (const p of r.report?.pairs ?? []) if (!pairs.some((q) => q.patch === p.patch && q.class === p.class)) pairs.push(p);
  }
  const rows: string[][] = [['', ...runs.map((r) => r.policy)]];
  if (runs.some((r) => !r.report)) rows.push(['run', ...runs.map((r) => (r.report ? 'ok' : 'failed'))]);
  for (const k of SUMMARY_ROWS) rows.push([k, ...runs.map((r) => (k === 'wallSeconds' && r.report ? r.report.summary.wallSeconds.toFixed(1) : cell(r.report?.summary[k])))]);
  for (const p of pairs) {
    const find = (r: ComparedRun) => r.report?.pairs.find((q) => q.patch === p.patch && q.class === p.class);
    rows.push([`${p.patch} ${p.class} (${p.bad ? 'bad' : 'good'})`, ...runs.map(() => '')]);
    rows.push(['  blocked', ...runs.map((r) => {
      const q = find(r);
      return q === undefined ? '' : q.blocked ? `day ${q.blockedAtDay === null ? '?' : q.blockedAtDay.toFixed(2)}` : 'no';
    })]);
    for (const k of PAIR_ROWS) rows.push([`  ${k}`, ...runs.map((r) => cell(find(r)?.[k]))]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) => row.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd());
  return [`scenario ${scenario}`, ...lines].join('\n');
}
