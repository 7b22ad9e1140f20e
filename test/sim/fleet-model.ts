/**
 * What the simulated hosts do, as pure functions of the scenario and of the
 * state the simulator gives (which patches a host holds since when). No
 * clock, no I/O, no controller: the simulator asks, the model answers, and
 * the same scenario always answers the same (streams.ts).
 *
 * Time is in hours since the start of the run (day d starts at 24 d).
 *
 * The model, where the scenario format leaves room:
 * - Hosts: host 42 is `sim-000042`; classes get exact counts by largest
 *   remainder (scenario.ts, classCounts) and are dealt to host indexes by a
 *   seeded shuffle, so a class is spread over the whole index range.
 * - Rates: crashes and service failures are Poisson per host-day. An incident
 *   or a patch effect with multiplier m adds its own stream of extra events at
 *   (m - 1) x the baseline rate while it applies, so every event has a known
 *   cause: `baseline`, `incident` or `effect` (that patch's harm). Incidents
 *   and effects add up (1 + sum(m - 1)); a multiplier below 1 thins baseline
 *   events instead (kept with probability 1 + sum(m - 1) over those below 1).
 * - An effect's rate multipliers apply from installedAt + onsetHours until
 *   the patch is removed (a rollback restores the baseline rates for that
 *   host); its installFailure and bootFailure act at the install and the
 *   reboot after it, whatever onsetHours says.
 * - Offline: each day, with probability offlinePerHostDay, the host is off
 *   from a uniform time of that day for a uniform 2 to 6 hours (periods may
 *   run into the next day and overlap; they are merged). An off host sends
 *   nothing, runs no command, and has no crashes or service failures (it is
 *   asleep or shut down, not merely disconnected).
 * - Install: fails with 1 - (1 - baseline) (1 - effect); one draw u decides
 *   and tells the cause (u < baseline: unrelated; else the patch).
 * - Boot failure: after a successful install's reboot the host does not come
 *   back with the effect's bootFailure. Such a host never comes back in the
 *   run (it needs hands on the console; it cannot run a rollback), is never
 *   online again and has no events: set `HostState.downSince`.
 * - Harm: a host is harmed by a patch when its install failed because of the
 *   patch, it did not boot after installing it, or it had at least one event
 *   caused by one of the patch's effects.
 */
import { createRng } from '../bench/rng';
import { classCounts, type Scenario } from './scenario';
import { draws, poissonPoints, streamKey, type StreamPoint } from './streams';
import { combineEffects, effectsFor } from './truth';

/** Shortest and longest offline period, in hours. */
export const OFFLINE_MIN_HOURS = 2;
export const OFFLINE_MAX_HOURS = 6;

/** One simulated host: a stable identity and its class's attributes. */
export interface SimHost {
  /** 0 .. hosts-1; all random streams of the host derive from it. */
  index: number;
  /** `sim-000042`: stable for (scenario, index); use it as hostname and to derive the agent's key. */
  hostname: string;
  /** Hardware serial, stable for (seed, index): `SIM` and 8 hex digits. */
  serial: string;
  className: string;
  classIndex: number;
  os: string;
  build: string;
  model: string;
  role: string;
  criticality: number;
}

/** A stretch during which a host held a patch. Times in hours. */
export interface Exposure {
  patchId: string;
  installedAt: number;
  /** When it was rolled back; null or missing while installed. */
  removedAt?: number | null;
}

/** What the simulator tells the model about a host. */
export interface HostState {
  /** Every successful install, current or rolled back (a reinstall is a new entry; entries of one patch must not overlap). */
  exposures: readonly Exposure[];
  /** Set when the host did not boot after an install: it is gone from then on. */
  downSince?: number | null;
}

export type EventKind = 'crash' | 'serviceFailure';
export type EventCause =
  | { type: 'baseline' }
  /** `incident`: index into scenario.incidents. */
  | { type: 'incident'; incident: number }
  /** `effect`: the patch and the index of the effect in its `effects`. */
  | { type: 'effect'; patchId: string; effect: number };

/** One crash or service failure on a host. */
export interface SimEvent {
  /** Hours since the start of the run. */
  at: number;
  kind: EventKind;
  cause: EventCause;
}

/** Result of one install attempt. `cause`: why it failed (null when it did not). */
export interface InstallOutcome {
  ok: boolean;
  cause: 'baseline' | 'effect' | null;
}

/** The behaviour of one scenario's fleet. */
export interface FleetModel {
  readonly scenario: Scenario;
  readonly hosts: readonly SimHost[];
  /**
   * Crashes and service failures of a host in [t0, t1), in time order,
   * leaving out the times it is offline and everything from state.downSince.
   */
  events(hostIndex: number, state: HostState, t0: number, t1: number): SimEvent[];
  /** Merged offline periods overlapping [t0, t1), clipped to it, in order. Boot failures are not included. */
  offlineIntervals(hostIndex: number, t0: number, t1: number): [number, number][];
  /** Whether the host is on at time t (ignores boot failures: check downSince yourself). */
  isOnline(hostIndex: number, t: number): boolean;
  /** Outcome of attempt `attempt` (0 for the first) to install a patch on a host. */
  installOutcome(hostIndex: number, patchId: string, attempt: number): InstallOutcome;
  /** Whether the host fails to come back from the reboot after successful install attempt `attempt`. */
  bootFails(hostIndex: number, patchId: string, attempt: number): boolean;
}

const pad = (n: number): string => String(n).padStart(6, '0');

/** The hosts of a scenario: exact class counts, dealt out by a seeded shuffle. */
export function buildFleet(scenario: Scenario): SimHost[] {
  const { hosts, classes } = scenario.fleet;
  const counts = classCounts(hosts, classes.map((c) => c.share));
  const labels: number[] = counts.flatMap((n, ci) => Array<number>(n).fill(ci));
  const rng = createRng(streamKey(scenario.seed, 'fleet/assign-classes'));
  for (let i = labels.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [labels[i], labels[j]] = [labels[j]!, labels[i]!];
  }
  const serialKey = streamKey(scenario.seed, 'host/serial');
  return labels.map((ci, index) => {
    const c = classes[ci]!;
    const serial = Math.floor(draws(serialKey, index, 0).next() * 0x1_0000_0000).toString(16).toUpperCase().padStart(8, '0');
    return { index, hostname: `sim-${pad(index)}`, serial: `SIM${serial}`, className: c.name, classIndex: ci, os: c.os, build: c.build, model: c.model, role: c.role, criticality: c.criticality };
  });
}

const KINDS: readonly EventKind[] = ['crash', 'serviceFailure'];

/** A stream of extra events (an incident's, an effect's) for one kind of event. */
interface ExtraStream {
  kind: EventKind;
  key: number;
  /** Multiplier of the baseline rate: above 1 adds (m - 1) x baseline, below 1 thins. */
  factor: number;
  cause: EventCause;
}

interface ClassIncident {
  start: number;
  end: number;
  streams: ExtraStream[];
}

interface ClassEffect {
  onsetHours: number;
  streams: ExtraStream[];
}

/** Per-class facts, computed once. */
interface ClassModel {
  incidents: ClassIncident[];
  /** Effects by patch id (only patches that apply to the class, only effects that name it). */
  effects: Map<string, ClassEffect[]>;
  installFailure: Map<string, number>;
  bootFailure: Map<string, number>;
}

/** An extra stream that applies during [from, to). */
interface Window {
  from: number;
  to: number;
  stream: ExtraStream;
}

export function createFleetModel(scenario: Scenario): FleetModel {
  const seed = scenario.seed;
  const hosts = buildFleet(scenario);
  const baseRate: Record<EventKind, number> = {
    crash: scenario.baseline.crashesPerHostDay / 24,
    serviceFailure: scenario.baseline.serviceFailuresPerHostDay / 24,
  };
  const baseKey: Record<EventKind, number> = { crash: streamKey(seed, 'crash/baseline'), serviceFailure: streamKey(seed, 'serviceFailure/baseline') };
  const offlineKey = streamKey(seed, 'offline');

  const extraStreams = (purpose: string, m: { crash: number; service: number }, cause: EventCause): ExtraStream[] =>
    KINDS.flatMap((kind) => {
      const factor = kind === 'crash' ? m.crash : m.service;
      return factor === 1 ? [] : [{ kind, key: streamKey(seed, `${kind}/${purpose}`), factor, cause }];
    });

  const classModels = scenario.fleet.classes.map((c): ClassModel => {
    const incidents = scenario.incidents.flatMap((inc, index) =>
      inc.classes.includes(c.name)
        ? [{ start: inc.day * 24, end: inc.day * 24 + inc.hours, streams: extraStreams(`incident/${index}`, { crash: inc.crashMultiplier ?? 1, service: inc.serviceFailureMultiplier ?? 1 }, { type: 'incident', incident: index }) }]
        : [],
    );
    const effects = new Map<string, ClassEffect[]>();
    const installFailure = new Map<string, number>();
    const bootFailure = new Map<string, number>();
    for (const p of scenario.patches) {
      if (!p.appliesTo.includes(c.name)) continue;
      const mine = p.effects.flatMap((e, index) =>
        e.classes.includes(c.name)
          ? [{ onsetHours: e.onsetHours ?? 0, streams: extraStreams(`effect/${p.id}/${index}`, { crash: e.crashMultiplier ?? 1, service: e.serviceFailureMultiplier ?? 1 }, { type: 'effect', patchId: p.id, effect: index }) }]
          : [],
      );
      if (mine.some((e) => e.streams.length > 0)) effects.set(p.id, mine);
      const combined = combineEffects(effectsFor(p, c.name));
      installFailure.set(p.id, combined.installFailure);
      bootFailure.set(p.id, combined.bootFailure);
    }
    return { incidents, effects, installFailure, bootFailure };
  });

  const hostOf = (hostIndex: number): SimHost => {
    const host = hosts[hostIndex];
    if (!host) throw new RangeError(`no host ${hostIndex} in a fleet of ${hosts.length}`);
    return host;
  };

  // Offline period starting on each day, per host, drawn on first use (null: none that day).
  const offlineDays = new Map<number, ([number, number] | null)[]>();
  function dayPeriod(hostIndex: number, day: number): [number, number] | null {
    const p = scenario.baseline.offlinePerHostDay;
    if (p <= 0 || day < 0) return null;
    let byDay = offlineDays.get(hostIndex);
    if (!byDay) offlineDays.set(hostIndex, (byDay = []));
    let period = byDay[day];
    if (period === undefined) {
      const rng = draws(offlineKey, hostIndex, day);
      const off = rng.next() < p;
      const start = day * 24 + rng.next() * 24;
      const hours = OFFLINE_MIN_HOURS + rng.next() * (OFFLINE_MAX_HOURS - OFFLINE_MIN_HOURS);
      byDay[day] = period = off ? [start, start + hours] : null;
    }
    return period;
  }

  /** Periods are shorter than a day: one covering t started on t's day or the day before. */
  function offlineAt(hostIndex: number, t: number): boolean {
    const day = Math.floor(t / 24);
    for (const p of [dayPeriod(hostIndex, day - 1), dayPeriod(hostIndex, day)]) if (p && t >= p[0] && t < p[1]) return true;
    return false;
  }

  function offlineIntervals(hostIndex: number, t0: number, t1: number): [number, number][] {
    hostOf(hostIndex);
    const merged: [number, number][] = [];
    if (t1 <= t0) return merged;
    for (let day = Math.floor(t0 / 24) - 1; day <= Math.floor(t1 / 24); day++) {
      const p = dayPeriod(hostIndex, day);
      if (!p) continue;
      const last = merged[merged.length - 1];
      if (last && p[0] <= last[1]) last[1] = Math.max(last[1], p[1]);
      else merged.push([p[0], p[1]]);
    }
    return merged.filter(([s, e]) => e > t0 && s < t1).map(([s, e]): [number, number] => [Math.max(s, t0), Math.min(e, t1)]);
  }

  function events(hostIndex: number, state: HostState, t0: number, t1: number): SimEvent[] {
    const host = hostOf(hostIndex);
    const end = state.downSince == null ? t1 : Math.min(t1, state.downSince);
    if (end <= t0) return [];
    const cls = classModels[host.classIndex]!;

    // Extra streams that apply somewhere in [t0, end), clipped to it.
    const windows: Window[] = [];
    for (const inc of cls.incidents) {
      const from = Math.max(inc.start, t0);
      const to = Math.min(inc.end, end);
      if (to > from) for (const stream of inc.streams) windows.push({ from, to, stream });
    }
    for (const x of state.exposures) {
      const effects = cls.effects.get(x.patchId);
      if (!effects) continue;
      for (const e of effects) {
        const from = Math.max(x.installedAt + e.onsetHours, t0);
        const to = Math.min(x.removedAt ?? Infinity, end);
        if (to > from) for (const stream of e.streams) windows.push({ from, to, stream });
      }
    }

    const out: SimEvent[] = [];
    const points: StreamPoint[] = [];
    for (const kind of KINDS) {
      points.length = 0;
      poissonPoints(baseKey[kind], hostIndex, baseRate[kind], t0, end, points);
      for (const pt of points) {
        let keep = 1;
        for (const w of windows) if (w.stream.factor < 1 && w.stream.kind === kind && pt.at >= w.from && pt.at < w.to) keep += w.stream.factor - 1;
        if (pt.mark < keep) out.push({ at: pt.at, kind, cause: { type: 'baseline' } });
      }
    }
    for (const { from, to, stream } of windows) {
      if (stream.factor <= 1) continue;
      points.length = 0;
      poissonPoints(stream.key, hostIndex, baseRate[stream.kind] * (stream.factor - 1), from, to, points);
      for (const pt of points) out.push({ at: pt.at, kind: stream.kind, cause: stream.cause });
    }
    if (out.length === 0) return out;

    return out.filter((ev) => !offlineAt(hostIndex, ev.at)).sort((a, b) => a.at - b.at);
  }

  const installKeys = new Map<string, number>();
  const bootKeys = new Map<string, number>();
  const keyOf = (cache: Map<string, number>, purpose: string): number => {
    let key = cache.get(purpose);
    if (key === undefined) cache.set(purpose, (key = streamKey(seed, purpose)));
    return key;
  };

  return {
    scenario,
    hosts,
    events,
    offlineIntervals,
    isOnline: (hostIndex, t) => {
      hostOf(hostIndex);
      return !offlineAt(hostIndex, t);
    },
    installOutcome(hostIndex, patchId, attempt) {
      const host = hostOf(hostIndex);
      const a = scenario.baseline.installFailure;
      const b = classModels[host.classIndex]!.installFailure.get(patchId) ?? 0;
      const u = draws(keyOf(installKeys, `install/${patchId}`), hostIndex, attempt).next();
      if (u < a) return { ok: false, cause: 'baseline' };
      if (u < 1 - (1 - a) * (1 - b)) return { ok: false, cause: 'effect' };
      return { ok: true, cause: null };
    },
    bootFails(hostIndex, patchId, attempt) {
      const host = hostOf(hostIndex);
      const p = classModels[host.classIndex]!.bootFailure.get(patchId) ?? 0;
      return p > 0 && draws(keyOf(bootKeys, `boot/${patchId}`), hostIndex, attempt).next() < p;
    },
  };
}
