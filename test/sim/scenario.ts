/**
 * Rollout scenarios (../shared/scenarios/README.md): the TypeBox schema and a
 * loader that checks what a schema cannot (shares adding up to 1, names
 * defined once and referenced only when defined, days inside the run).
 *
 * Every problem is reported as PF_ERR_SCENARIO_INVALID with the field's path
 * (`fleet.classes[2].share`) in the message and in `details.problems`, so a
 * typo in a hand-written scenario fails loudly instead of silently turning a
 * bad patch into a harmless one (unknown fields are refused for that reason).
 */
import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Errors, PfError } from '@patchfleet/shared/errors';

/** Largest fleet a scenario may describe: the simulator plays every host in one process. */
export const MAX_HOSTS = 100_000;
/** Longest run, in days. */
export const MAX_DAYS = 366;
/** How far the sum of the class shares may be from 1. */
export const SHARE_TOLERANCE = 1e-6;
/** Upper bound for event rates per host-day: well above any real fleet, low enough to keep a run finite. */
export const MAX_RATE_PER_HOST_DAY = 100;
/** Upper bound for rate multipliers. */
export const MAX_MULTIPLIER = 1000;

/**
 * Patch ids the controller accepts in a rollout (controller/src/api/routes/rollouts.ts
 * and the `kb` parameter of install commands in shared/src/protocol/command.ts):
 * a Windows KB with 6 to 8 digits or an Ubuntu USN id. Repeated here so the
 * simulator core stays free of controller imports.
 */
export const PATCH_ID_PATTERN = '^(USN-[0-9]+-[0-9]+|KB[0-9]{6,8})$';

const Probability = Type.Number({ minimum: 0, maximum: 1 });
const Multiplier = Type.Number({ minimum: 0, maximum: MAX_MULTIPLIER });
const Rate = Type.Number({ minimum: 0, maximum: MAX_RATE_PER_HOST_DAY });
const Day = Type.Number({ minimum: 0, maximum: MAX_DAYS });
/** Class names also prefix nothing the controller sees; kept to a hostname-safe form for logs. */
const ClassName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const ClassList = Type.Array(ClassName, { minItems: 1, maxItems: 64 });

/** One kind of host: the attributes its agents report, and its share of the fleet. */
export const HostClassSchema = Type.Object(
  {
    name: ClassName,
    /** `windows` or `ubuntu-YY.MM`. */
    os: Type.String({ pattern: '^(windows|ubuntu-[0-9]{2}\\.[0-9]{2})$' }),
    /** Windows build (`10.0.26100`) or Ubuntu release (`24.04`). */
    build: Type.String({ minLength: 1, maxLength: 64 }),
    model: Type.String({ minLength: 1, maxLength: 255 }),
    role: Type.String({ minLength: 1, maxLength: 64 }),
    /** 1 (low) to 5 (highest). */
    criticality: Type.Integer({ minimum: 1, maximum: 5 }),
    share: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);
export type HostClass = Static<typeof HostClassSchema>;

/** Background behaviour of every host, patched or not. */
export const BaselineSchema = Type.Object(
  {
    crashesPerHostDay: Rate,
    serviceFailuresPerHostDay: Rate,
    /** Chance per day that a host drops off for a few hours. */
    offlinePerHostDay: Probability,
    /** Chance that any install fails for reasons unrelated to the patch. */
    installFailure: Probability,
  },
  { additionalProperties: false },
);
export type Baseline = Static<typeof BaselineSchema>;

/** Something not caused by any patch that raises the rates of some classes for a while. */
export const IncidentSchema = Type.Object(
  {
    day: Day,
    hours: Type.Number({ exclusiveMinimum: 0, maximum: MAX_DAYS * 24 }),
    classes: ClassList,
    crashMultiplier: Type.Optional(Multiplier),
    serviceFailureMultiplier: Type.Optional(Multiplier),
  },
  { additionalProperties: false },
);
export type Incident = Static<typeof IncidentSchema>;

/** What installing a patch does to the hosts of some classes. Missing fields: no effect. */
export const EffectSchema = Type.Object(
  {
    classes: ClassList,
    installFailure: Type.Optional(Probability),
    crashMultiplier: Type.Optional(Multiplier),
    serviceFailureMultiplier: Type.Optional(Multiplier),
    bootFailure: Type.Optional(Probability),
    onsetHours: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_DAYS * 24 })),
  },
  { additionalProperties: false },
);
export type Effect = Static<typeof EffectSchema>;

export const PatchSchema = Type.Object(
  {
    id: Type.String({ pattern: PATCH_ID_PATTERN }),
    releasedDay: Day,
    appliesTo: ClassList,
    priority: Type.Object(
      { cvss: Type.Number({ minimum: 0, maximum: 10 }), epss: Probability, kev: Type.Boolean() },
      { additionalProperties: false },
    ),
    effects: Type.Array(EffectSchema, { maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type Patch = Static<typeof PatchSchema>;

export const ScenarioSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    /** Every random draw of a run derives from it. */
    seed: Type.Integer({ minimum: 0, maximum: 0xffff_ffff }),
    days: Type.Number({ exclusiveMinimum: 0, maximum: MAX_DAYS }),
    fleet: Type.Object(
      {
        hosts: Type.Integer({ minimum: 1, maximum: MAX_HOSTS }),
        classes: Type.Array(HostClassSchema, { minItems: 1, maxItems: 64 }),
      },
      { additionalProperties: false },
    ),
    baseline: BaselineSchema,
    incidents: Type.Optional(Type.Array(IncidentSchema, { maxItems: 1000 })),
    patches: Type.Array(PatchSchema, { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false },
);
/** A scenario as written (incidents may be missing). */
export type ScenarioInput = Static<typeof ScenarioSchema>;
/** A checked scenario: `incidents` always present. */
export type Scenario = Omit<ScenarioInput, 'incidents'> & { incidents: Incident[] };

/** One thing wrong with a scenario: where (`fleet.classes[2].share`) and what. */
export interface ScenarioProblem {
  field: string;
  message: string;
}

/** `/fleet/classes/2/share` -> `fleet.classes[2].share` */
function fieldOf(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out === '' ? '(root)' : out;
}

function schemaProblems(value: unknown): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(ScenarioSchema, value)) {
    const field = fieldOf(e.path);
    // A wrong type often reports twice (required, then the type); one line per field is enough.
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, message: e.message });
  }
  return out;
}

function duplicates(items: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const i of items) (seen.has(i) ? dup : seen).add(i);
  return [...dup];
}

/**
 * Host counts per class, in class order: floor(share * hosts) each, the hosts
 * left over going one each to the largest remainders (ties: earlier class).
 * Exact: the counts add up to `hosts`.
 */
export function classCounts(hosts: number, shares: readonly number[]): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((s) => (s / total) * hosts);
  const counts = exact.map((x) => Math.floor(x));
  let left = hosts - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]! += 1;
  return counts;
}

/** What the schema cannot say. Runs only on a value the schema accepted. */
function semanticProblems(s: ScenarioInput): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  const classes = s.fleet.classes;
  const names = new Set(classes.map((c) => c.name));

  const shareSum = classes.reduce((a, c) => a + c.share, 0);
  if (Math.abs(shareSum - 1) > SHARE_TOLERANCE) {
    out.push({ field: 'fleet.classes', message: `shares add up to ${Number(shareSum.toPrecision(10))}, not 1 (tolerance ${SHARE_TOLERANCE})` });
  }
  for (const name of duplicates(classes.map((c) => c.name))) {
    const i = classes.findLastIndex((c) => c.name === name);
    out.push({ field: `fleet.classes[${i}].name`, message: `class "${name}" is defined more than once` });
  }
  if (out.length === 0) {
    const counts = classCounts(s.fleet.hosts, classes.map((c) => c.share));
    counts.forEach((n, i) => {
      if (n === 0) out.push({ field: `fleet.classes[${i}].share`, message: `share ${classes[i]!.share} of ${s.fleet.hosts} hosts gives class "${classes[i]!.name}" no host` });
    });
  }

  const checkClassList = (field: string, list: readonly string[], allowed: ReadonlySet<string>, what: string): void => {
    list.forEach((name, i) => {
      if (!allowed.has(name)) out.push({ field: `${field}[${i}]`, message: `"${name}" is not ${what}` });
    });
    for (const name of duplicates(list)) out.push({ field, message: `"${name}" is listed more than once` });
  };

  (s.incidents ?? []).forEach((inc, i) => {
    checkClassList(`incidents[${i}].classes`, inc.classes, names, 'a class of fleet.classes');
    if (inc.day >= s.days) out.push({ field: `incidents[${i}].day`, message: `day ${inc.day} is not before the end of the run (days ${s.days})` });
  });

  const ids = s.patches.map((p) => p.id);
  for (const id of duplicates(ids)) {
    out.push({ field: `patches[${ids.lastIndexOf(id)}].id`, message: `patch id "${id}" is used more than once` });
  }
  s.patches.forEach((p, i) => {
    checkClassList(`patches[${i}].appliesTo`, p.appliesTo, names, 'a class of fleet.classes');
    if (p.releasedDay >= s.days) out.push({ field: `patches[${i}].releasedDay`, message: `day ${p.releasedDay} is not before the end of the run (days ${s.days})` });
    const applies = new Set(p.appliesTo);
    p.effects.forEach((e, j) => {
      const field = `patches[${i}].effects[${j}].classes`;
      e.classes.forEach((name, k) => {
        if (!names.has(name)) out.push({ field: `${field}[${k}]`, message: `"${name}" is not a class of fleet.classes` });
        else if (!applies.has(name)) out.push({ field: `${field}[${k}]`, message: `"${name}" is not in patches[${i}].appliesTo: the patch never reaches it` });
      });
      for (const name of duplicates(e.classes)) out.push({ field, message: `"${name}" is listed more than once` });
    });
  });
  return out;
}

function invalid(source: string, problems: readonly ScenarioProblem[]): PfError {
  const shown = problems.slice(0, 10).map((p) => `${p.field}: ${p.message}`);
  if (problems.length > 10) shown.push(`and ${problems.length - 10} more`);
  return new PfError(Errors.SCENARIO_INVALID, `${source}: ${shown.join('; ')}`, { source, problems });
}

/**
 * Checks a parsed JSON value and returns it as a Scenario (a deep copy;
 * `incidents` defaults to []). Throws PF_ERR_SCENARIO_INVALID listing every
 * problem found (the schema's first, then the cross-field checks), each
 * naming its field. `source` (a file name) prefixes the message.
 */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  const shape = schemaProblems(value);
  if (shape.length > 0) throw invalid(source, shape);
  const input = structuredClone(value as ScenarioInput);
  const cross = semanticProblems(input);
  if (cross.length > 0) throw invalid(source, cross);
  return { ...input, incidents: input.incidents ?? [] };
}

/** parseScenario on JSON text; text that is not JSON is PF_ERR_SCENARIO_INVALID too. */
export function parseScenarioText(text: string, source = 'scenario'): Scenario {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PfError(Errors.SCENARIO_INVALID, `${source}: not JSON: ${(err as Error).message}`, { source, problems: [{ field: '(root)', message: 'not JSON' }] }, { cause: err });
  }
  return parseScenario(value, source);
}

/** Reads and checks a scenario file. A file that cannot be read is PF_ERR_BAD_INPUT_FILE. */
export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new PfError(Errors.BAD_INPUT_FILE, `${path}: cannot read it: ${reason}`, { path }, { cause: err });
  }
  return parseScenarioText(text, path);
}
