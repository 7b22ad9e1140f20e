/**
 * Random rollout scenarios, so decision quality is measured on fleets and
 * patches nobody tuned the controller to. `generateScenario(seed)` is a pure
 * function of the seed and always returns a scenario scenario.ts accepts.
 *
 * What it draws:
 * - a fleet of 200 to 3000 hosts in 2 to 6 classes (Windows, Ubuntu or both;
 *   real builds, models and roles; no two classes the controller could not
 *   tell apart: OS, build, model and role differ), sometimes one tiny class of
 *   2 to 8 hosts;
 * - baselines from quiet to noisy (crashes 0.005 to 0.2 per host-day,
 *   log-uniform), unrelated incidents (0 to 3);
 * - 3 to 8 patches: a KB applies to the Windows classes of one build, a USN
 *   to some Ubuntu releases; released on days 0 to 10 of 21; priorities
 *   drawn independently of what the patch does;
 * - effects of one kind per patch (PATCH_KINDS): clean, near-threshold good,
 *   one class crashing, one class failing services, late onset (24 to 72 h),
 *   fleet-wide subtle harm (crashes x2 to x3 on every class), install
 *   failures only, boot failures, harm to the tiny class.
 *
 * `scenarioFeatures` reads those kinds back from a scenario's contents (not
 * from the generator's choices), for tests and sweep reports.
 */
import { createRng, type Rng } from '../bench/rng';
import { classCounts, parseScenario, type Effect, type HostClass, type Incident, type Patch, type Scenario } from './scenario';
import { streamKey } from './streams';
import { groundTruth, harmReasons } from './truth';

/** Hosts in the tiny class, when there is one. */
export const TINY_CLASS_MAX = 8;
/** Days of a generated run. */
export const GENERATED_DAYS = 21;
/** Latest release day: leaves 10 days to reach 95 %. */
export const LAST_RELEASE_DAY = 10;

interface Template {
  prefix: string;
  os: string;
  build: string;
  roles: readonly (readonly [string, number, number])[]; // role, criticality min, max
  models: readonly (readonly [string, string])[]; // model, slug
}

const WORKSTATION_MODELS = [
  ['Dell Latitude 7440', 'latitude7440'],
  ['Dell Latitude 5540', 'latitude5540'],
  ['Dell OptiPlex 7010', 'optiplex7010'],
  ['Lenovo ThinkPad T14 Gen 4', 't14g4'],
  ['Lenovo ThinkPad X1 Carbon Gen 11', 'x1g11'],
  ['HP EliteBook 840 G10', 'elitebook840'],
  ['HP ProDesk 400 G9', 'prodesk400'],
  ['Microsoft Surface Laptop 5', 'surface5'],
] as const;
const SERVER_MODELS = [
  ['VMware7,1', 'vmware'],
  ['Virtual Machine', 'hyperv'],
  ['HPE ProLiant DL380 Gen10', 'dl380'],
  ['Dell PowerEdge R650', 'r650'],
] as const;
const LINUX_MODELS = [
  ['KVM', 'kvm'],
  ['VMware7,1', 'vmware'],
  ['Standard PC (Q35 + ICH9, 2009)', 'q35'],
  ['Dell PowerEdge R650', 'r650'],
  ['HVM domU', 'ec2'],
  ['Intel NUC 13 Pro', 'nuc13'],
] as const;
const DESK = [['workstation', 1, 3]] as const;
const WIN_SERVER = [['server', 3, 5], ['sql', 4, 5], ['file', 3, 4], ['rds', 2, 4]] as const;
const LINUX_ROLES = [['web', 3, 5], ['db', 4, 5], ['app', 3, 4], ['edge', 2, 4], ['ci', 1, 3], ['kiosk', 1, 2]] as const;

const WINDOWS: readonly Template[] = [
  { prefix: 'win11-24h2', os: 'windows', build: '10.0.26100', roles: DESK, models: WORKSTATION_MODELS },
  { prefix: 'win11-23h2', os: 'windows', build: '10.0.22631', roles: DESK, models: WORKSTATION_MODELS },
  { prefix: 'win10-22h2', os: 'windows', build: '10.0.19045', roles: DESK, models: WORKSTATION_MODELS },
  { prefix: 'ws2025', os: 'windows', build: '10.0.26100', roles: WIN_SERVER, models: SERVER_MODELS },
  { prefix: 'ws2022', os: 'windows', build: '10.0.20348', roles: WIN_SERVER, models: SERVER_MODELS },
  { prefix: 'ws2019', os: 'windows', build: '10.0.17763', roles: WIN_SERVER, models: SERVER_MODELS },
];
const UBUNTU: readonly Template[] = [
  { prefix: 'ubuntu2404', os: 'ubuntu-24.04', build: '24.04', roles: LINUX_ROLES, models: LINUX_MODELS },
  { prefix: 'ubuntu2204', os: 'ubuntu-22.04', build: '22.04', roles: LINUX_ROLES, models: LINUX_MODELS },
  { prefix: 'ubuntu2004', os: 'ubuntu-20.04', build: '20.04', roles: LINUX_ROLES, models: LINUX_MODELS },
];

/** The kinds of patch the generator draws, with their weights. */
export const PATCH_KINDS = Object.freeze({
  clean: 0.28,
  nearThresholdGood: 0.2,
  classCrash: 0.1,
  classService: 0.06,
  lateOnset: 0.08,
  fleetWideSubtle: 0.08,
  installFailureOnly: 0.07,
  bootFailure: 0.06,
  tinyClassHarm: 0.07,
});
export type PatchKind = keyof typeof PATCH_KINDS;

const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const uniform = (rng: Rng, lo: number, hi: number): number => lo + rng.next() * (hi - lo);
const logUniform = (rng: Rng, lo: number, hi: number): number => Math.exp(uniform(rng, Math.log(lo), Math.log(hi)));
const intBetween = (rng: Rng, lo: number, hi: number): number => lo + rng.int(hi - lo + 1);

/** Some of `items` (at least one, at most `max`), in their order. */
function someOf<T>(rng: Rng, items: readonly T[], max = items.length): T[] {
  const n = intBetween(rng, 1, Math.min(max, items.length));
  const picked = new Set<number>();
  while (picked.size < n) picked.add(rng.int(items.length));
  return items.filter((_, i) => picked.has(i));
}

function drawClasses(rng: Rng, hosts: number): HostClass[] {
  const n = intBetween(rng, 2, 6);
  const mix = rng.weighted([['mixed', 0.6], ['windows', 0.2], ['ubuntu', 0.2]] as const);
  const classes: Omit<HostClass, 'share'>[] = [];
  const tuples = new Set<string>();
  while (classes.length < n) {
    const family = mix === 'mixed' ? (classes.length === 0 ? WINDOWS : classes.length === 1 ? UBUNTU : rng.chance(0.5) ? WINDOWS : UBUNTU) : mix === 'windows' ? WINDOWS : UBUNTU;
    const t = rng.pick(family);
    const [role, cmin, cmax] = rng.pick(t.roles);
    const [model, slug] = rng.pick(t.models);
    const tuple = JSON.stringify([t.os, t.build, model, role]);
    const name = `${t.prefix}-${slug}-${role}`;
    if (tuples.has(tuple) || classes.some((c) => c.name === name)) continue;
    tuples.add(tuple);
    classes.push({ name, os: t.os, build: t.build, model, role, criticality: intBetween(rng, cmin, cmax) });
  }
  // Exact counts first (a tiny class must stay tiny), shares from them.
  const tiny = rng.chance(0.35) ? intBetween(rng, 2, TINY_CLASS_MAX) : 0;
  const weights = classes.map(() => uniform(rng, 0.2, 1));
  const counts = tiny > 0 ? [tiny, ...classCounts(hosts - tiny, weights.slice(1))] : classCounts(hosts, weights);
  return classes.map((c, i) => ({ ...c, share: counts[i]! / hosts }));
}

function drawIncidents(rng: Rng, classes: readonly HostClass[]): Incident[] {
  const n = rng.weighted([[0, 0.35], [1, 0.35], [2, 0.2], [3, 0.1]] as const);
  return Array.from({ length: n }, (): Incident => {
    const inc: Incident = {
      day: round(uniform(rng, 0, GENERATED_DAYS - 1), 2),
      hours: round(uniform(rng, 4, 48), 1),
      classes: someOf(rng, classes.map((c) => c.name), 2),
    };
    const both = rng.chance(0.3);
    if (both || rng.chance(0.7)) inc.crashMultiplier = round(uniform(rng, 2, 6), 2);
    if (both || inc.crashMultiplier === undefined) inc.serviceFailureMultiplier = round(uniform(rng, 2, 5), 2);
    return inc;
  });
}

/** A harmless effect close to the thresholds (README "Ground truth"): must stay good. */
function nearThreshold(rng: Rng, classes: string[]): Effect {
  const e: Effect = { classes };
  for (const field of someOf(rng, ['crashMultiplier', 'serviceFailureMultiplier', 'installFailure', 'bootFailure'] as const, 2)) {
    if (field === 'crashMultiplier' || field === 'serviceFailureMultiplier') e[field] = round(uniform(rng, 1.1, 1.6), 2);
    else if (field === 'installFailure') e[field] = round(uniform(rng, 0.01, 0.035), 4);
    else e[field] = round(uniform(rng, 0.002, 0.006), 4);
  }
  if (rng.chance(0.3)) e.onsetHours = round(uniform(rng, 0, 48), 1);
  return e;
}

function drawEffects(rng: Rng, kind: PatchKind, appliesTo: readonly string[], tinyClass: string | null): Effect[] {
  const one = [rng.pick(appliesTo)];
  const others = (hit: readonly string[]): string[] => appliesTo.filter((c) => !hit.includes(c));
  // A bad patch is sometimes slightly off on the classes it does not harm, too.
  const withNoise = (bad: Effect): Effect[] => {
    const rest = others(bad.classes);
    return rest.length > 0 && rng.chance(0.3) ? [bad, nearThreshold(rng, someOf(rng, rest))] : [bad];
  };
  switch (kind) {
    case 'clean':
      return [];
    case 'nearThresholdGood':
      return [nearThreshold(rng, someOf(rng, appliesTo))];
    case 'classCrash':
      return withNoise({ classes: one, crashMultiplier: round(uniform(rng, 3, 10), 2), onsetHours: round(uniform(rng, 0, 12), 1) });
    case 'classService':
      return withNoise({ classes: one, serviceFailureMultiplier: round(uniform(rng, 3, 8), 2), onsetHours: round(uniform(rng, 0, 12), 1) });
    case 'lateOnset': {
      const field = rng.pick(['crashMultiplier', 'serviceFailureMultiplier'] as const);
      const classes = rng.chance(0.3) ? [...appliesTo] : one;
      return withNoise({ classes, [field]: round(uniform(rng, 2.5, 6), 2), onsetHours: round(uniform(rng, 24, 72), 1) });
    }
    case 'fleetWideSubtle':
      return [{ classes: [...appliesTo], crashMultiplier: round(uniform(rng, 2, 3), 2), onsetHours: round(uniform(rng, 0, 24), 1) }];
    case 'installFailureOnly':
      return withNoise({ classes: rng.chance(0.4) ? [...appliesTo] : one, installFailure: round(uniform(rng, 0.08, 0.4), 3) });
    case 'bootFailure':
      return withNoise({ classes: one, bootFailure: round(uniform(rng, 0.02, 0.1), 3), onsetHours: 0 });
    case 'tinyClassHarm': {
      const target = tinyClass !== null && appliesTo.includes(tinyClass) ? [tinyClass] : one;
      const harm = rng.pick([
        { crashMultiplier: round(uniform(rng, 4, 10), 2) },
        { bootFailure: round(uniform(rng, 0.05, 0.2), 3) },
        { installFailure: round(uniform(rng, 0.2, 0.5), 3) },
      ]);
      return withNoise({ classes: target, ...harm, onsetHours: 0 });
    }
  }
}

function drawPatches(rng: Rng, classes: readonly HostClass[], tinyClass: string | null): Patch[] {
  const windowsBuilds = [...new Set(classes.filter((c) => c.os === 'windows').map((c) => c.build))];
  const ubuntuReleases = [...new Set(classes.filter((c) => c.os !== 'windows').map((c) => c.os))];
  const ids = new Set<string>();
  const n = intBetween(rng, 3, 8);
  const patches: Patch[] = [];
  while (patches.length < n) {
    const windows = windowsBuilds.length > 0 && (ubuntuReleases.length === 0 || rng.chance(0.5));
    let appliesTo: string[];
    let id: string;
    if (windows) {
      const build = rng.pick(windowsBuilds);
      appliesTo = classes.filter((c) => c.os === 'windows' && c.build === build).map((c) => c.name);
      id = `KB50${String(rng.int(100_000)).padStart(5, '0')}`;
    } else {
      const releases = rng.chance(0.7) ? ubuntuReleases : someOf(rng, ubuntuReleases);
      appliesTo = classes.filter((c) => releases.includes(c.os)).map((c) => c.name);
      id = `USN-${intBetween(rng, 7000, 7999)}-${intBetween(rng, 1, 3)}`;
    }
    if (ids.has(id)) continue;
    ids.add(id);
    const kinds = Object.entries(PATCH_KINDS) as [PatchKind, number][];
    // Harm to the tiny class only where it can happen; fleet-wide needs a fleet.
    const usable = kinds.filter(([k]) => (k !== 'tinyClassHarm' || (tinyClass !== null && appliesTo.includes(tinyClass))) && (k !== 'fleetWideSubtle' || appliesTo.length >= 2));
    const kind = rng.weighted(usable);
    const cvss = round(uniform(rng, 3, 9.8), 1);
    patches.push({
      id,
      releasedDay: rng.int(LAST_RELEASE_DAY + 1),
      appliesTo,
      priority: { cvss, epss: round(logUniform(rng, 0.0001, 0.9), 4), kev: rng.chance(cvss >= 7 ? 0.2 : 0.05) },
      effects: drawEffects(rng, kind, appliesTo, tinyClass),
    });
  }
  return patches;
}

/** Fleet sizes drawn: MIN_GENERATED_HOSTS .. MAX_GENERATED_HOSTS hosts (`maxHosts` lowers the top). */
export const MIN_GENERATED_HOSTS = 200;
export const MAX_GENERATED_HOSTS = 3000;

/**
 * A valid scenario drawn from `seed` (an integer 0 .. 2^32-1); the run's own seed is `seed`. `maxHosts`
 * (MIN_GENERATED_HOSTS .. MAX_GENERATED_HOSTS) caps the fleet: the fleet size is drawn from the smaller
 * range, everything else is drawn as without it, and the name says so (`generated-7-max400`).
 */
export function generateScenario(seed: number, opts: { maxHosts?: number } = {}): Scenario {
  const maxHosts = opts.maxHosts ?? MAX_GENERATED_HOSTS;
  if (!Number.isInteger(maxHosts) || maxHosts < MIN_GENERATED_HOSTS || maxHosts > MAX_GENERATED_HOSTS) throw new RangeError(`maxHosts must be a whole number from ${MIN_GENERATED_HOSTS} to ${MAX_GENERATED_HOSTS}, got ${maxHosts}`);
  const rng = createRng(streamKey(seed, 'generate'));
  const hosts = intBetween(rng, MIN_GENERATED_HOSTS, maxHosts);
  const classes = drawClasses(rng, hosts);
  const counts = classCounts(hosts, classes.map((c) => c.share));
  const tinyIndex = counts.findIndex((n) => n <= TINY_CLASS_MAX);
  const tinyClass = tinyIndex >= 0 ? classes[tinyIndex]!.name : null;
  const raw = {
    name: maxHosts === MAX_GENERATED_HOSTS ? `generated-${seed}` : `generated-${seed}-max${maxHosts}`,
    seed,
    days: GENERATED_DAYS,
    fleet: { hosts, classes },
    baseline: {
      crashesPerHostDay: round(logUniform(rng, 0.005, 0.2), 4),
      serviceFailuresPerHostDay: round(logUniform(rng, 0.002, 0.1), 4),
      offlinePerHostDay: round(uniform(rng, 0, 0.1), 3),
      installFailure: round(uniform(rng, 0.002, 0.03), 4),
    },
    incidents: drawIncidents(rng, classes),
    patches: drawPatches(rng, classes, tinyClass),
  };
  return parseScenario(raw, `generated scenario ${seed}`);
}

/** What a scenario holds, read from its contents: the kinds a sweep must cover. */
export interface ScenarioFeatures {
  windowsAndUbuntu: boolean;
  tinyClass: boolean;
  unrelatedIncident: boolean;
  /** A good pair under a baseline of at least 0.1 crashes per host-day. */
  goodPatchNoisyBaseline: boolean;
  /** An effect crossing no threshold that is not neutral either (e.g. crashes x1.2). */
  nearThresholdGood: boolean;
  /** A harmful effect whose rates change only after 24 h or more. */
  lateOnset: boolean;
  /** crashMultiplier 2 to 3 on every class (two or more) a patch applies to. */
  fleetWideSubtle: boolean;
  /** installFailure >= 0.05 and nothing else harmful in that effect. */
  installFailureOnly: boolean;
  bootFailure: boolean;
  /** A bad pair on a class of at most TINY_CLASS_MAX hosts. */
  tinyClassHarm: boolean;
  cleanPatch: boolean;
  badPairs: number;
  goodPairs: number;
}

export function scenarioFeatures(s: Scenario): ScenarioFeatures {
  const counts = classCounts(s.fleet.hosts, s.fleet.classes.map((c) => c.share));
  const tiny = new Set(s.fleet.classes.filter((_, i) => counts[i]! <= TINY_CLASS_MAX).map((c) => c.name));
  const truth = groundTruth(s);
  const effects = s.patches.flatMap((p) => p.effects.map((e) => ({ p, e })));
  const harmful = (e: Effect): boolean => harmReasons(e).length > 0;
  return {
    windowsAndUbuntu: s.fleet.classes.some((c) => c.os === 'windows') && s.fleet.classes.some((c) => c.os.startsWith('ubuntu-')),
    tinyClass: tiny.size > 0,
    unrelatedIncident: s.incidents.length > 0,
    goodPatchNoisyBaseline: s.baseline.crashesPerHostDay >= 0.1 && truth.some((t) => !t.bad),
    nearThresholdGood: effects.some(({ e }) =>
      !harmful(e) && ((e.crashMultiplier ?? 1) > 1 || (e.serviceFailureMultiplier ?? 1) > 1 || (e.installFailure ?? 0) > 0 || (e.bootFailure ?? 0) > 0)),
    lateOnset: effects.some(({ e }) => (e.onsetHours ?? 0) >= 24 && ((e.crashMultiplier ?? 1) >= 2 || (e.serviceFailureMultiplier ?? 1) >= 2)),
    fleetWideSubtle: effects.some(({ p, e }) =>
      p.appliesTo.length >= 2 && p.appliesTo.every((c) => e.classes.includes(c)) && (e.crashMultiplier ?? 1) >= 2 && (e.crashMultiplier ?? 1) <= 3),
    installFailureOnly: effects.some(({ e }) => (e.installFailure ?? 0) >= 0.05 && harmReasons({ ...e, installFailure: 0 }).length === 0),
    bootFailure: effects.some(({ e }) => (e.bootFailure ?? 0) >= 0.01),
    tinyClassHarm: truth.some((t) => t.bad && tiny.has(t.class)),
    cleanPatch: s.patches.some((p) => p.effects.length === 0),
    badPairs: truth.filter((t) => t.bad).length,
    goodPairs: truth.filter((t) => !t.bad).length,
  };
}
