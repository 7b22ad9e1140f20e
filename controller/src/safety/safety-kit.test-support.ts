/**
 * Health fixtures for gate tests on top of the rollout kit: host classes
 * through the role label, health samples (raw, and the hourly roll-up the
 * health area would write from them, so a test proves nothing is counted
 * twice), and a plain deterministic judge to inject while the statistics
 * are tested on their own.
 */
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/index';
import { rebuildDailyRollup } from '../health/rollup';
import { healthHourly, healthSamples, hosts } from '../db/schema/index';
import type { CohortEvidence, GateVerdict, SignalVerdict } from './gate-types';

export async function setRole(db: Db, ids: readonly string[], role: string): Promise<void> {
  await db.update(hosts).set({ labels: { role } }).where(inArray(hosts.id, [...ids]));
}

export async function setBootId(db: Db, id: string, bootId: string | null): Promise<void> {
  await db.update(hosts).set({ bootId }).where(eq(hosts.id, id));
}

type Counters = Partial<Record<'appCrashes' | 'kernelCrashes' | 'serviceFailures' | 'unexpectedShutdowns' | 'probeFailures' | 'probeRuns', number | null>>;

/**
 * Samples of `stepMs` from `from` to `to` for each host; `counters(host, t)`
 * gives a sample's counters (missing: 0, null: source unavailable). With
 * `hourly`, whole hours before `hourlyBefore` are also rolled up into
 * health_hourly as health/rollup.ts would.
 */
export async function seedSamples(
  db: Db,
  hostIds: readonly string[],
  from: number,
  to: number,
  stepMs: number,
  counters: (hostId: string, t: number) => Counters = () => ({}),
  opts: { hourlyBefore?: number } = {},
): Promise<void> {
  const rows: (typeof healthSamples.$inferInsert)[] = [];
  for (const hostId of hostIds) {
    let seq = 0;
    for (let t = from; t + stepMs <= to; t += stepMs) {
      const c = counters(hostId, t);
      const v = (k: keyof Counters) => (c[k] === undefined ? 0 : c[k]);
      rows.push({
        hostId,
        epoch: `e-${from}`,
        seq: ++seq,
        periodStart: new Date(t),
        periodEnd: new Date(t + stepMs),
        bootId: 'boot-1',
        uptimeSec: 1000,
        appCrashes: v('appCrashes'),
        kernelCrashes: v('kernelCrashes'),
        serviceFailures: v('serviceFailures'),
        unexpectedShutdowns: v('unexpectedShutdowns'),
        probeFailures: v('probeFailures'),
        probeRuns: v('probeRuns'),
        receivedAt: new Date(t + stepMs),
      });
    }
  }
  for (let i = 0; i < rows.length; i += 1000) await db.insert(healthSamples).values(rows.slice(i, i + 1000));
  if (opts.hourlyBefore === undefined) return;
  const hourly = new Map<string, typeof healthHourly.$inferInsert>();
  for (const r of rows) {
    const start = (r.periodStart as Date).getTime();
    const hour = Math.floor(start / 3_600_000) * 3_600_000;
    if (hour + 3_600_000 > opts.hourlyBefore) continue;
    const key = `${r.hostId}|${hour}`;
    const h = hourly.get(key) ?? { hostId: r.hostId, hour: new Date(hour), samples: 0, coveredSec: 0, appCrashes: 0, kernelCrashes: 0, serviceFailures: 0, unexpectedShutdowns: 0, probeFailures: 0, probeRuns: 0, bootIds: ['boot-1'] };
    h.samples += 1;
    h.coveredSec += Math.round(((r.periodEnd as Date).getTime() - start) / 1000);
    h.appCrashes = (h.appCrashes ?? 0) + (r.appCrashes ?? 0);
    h.kernelCrashes = (h.kernelCrashes ?? 0) + (r.kernelCrashes ?? 0);
    h.serviceFailures = (h.serviceFailures ?? 0) + (r.serviceFailures ?? 0);
    h.unexpectedShutdowns = (h.unexpectedShutdowns ?? 0) + (r.unexpectedShutdowns ?? 0);
    h.probeFailures = (h.probeFailures ?? 0) + (r.probeFailures ?? 0);
    h.probeRuns = (h.probeRuns ?? 0) + (r.probeRuns ?? 0);
    hourly.set(key, h);
  }
  const values = [...hourly.values()];
  for (let i = 0; i < values.length; i += 1000) await db.insert(healthHourly).values(values.slice(i, i + 1000));
  await rebuildDailyRollup(db);
}

/**
 * A plain judge for planner tests (not the product's statistics): a count
 * signal trips at 5+ patched events and a patched rate over 5x the
 * control's; install or boot failures trip at 2+ failures above the
 * baseline rate x 5.
 */
export function plainJudge(evidence: CohortEvidence): GateVerdict {
  const verdicts: SignalVerdict[] = [];
  for (const [gate, c] of Object.entries(evidence.counts)) {
    const pr = c.patchedEvents / Math.max(c.patchedHostHours, 1e-9);
    const cr = (c.controlEvents + 0.5) / Math.max(c.controlHostHours, 1e-9);
    const ratio = pr / cr;
    verdicts.push({ gate, tripped: c.patchedEvents >= 5 && ratio > 5, statistic: ratio, threshold: 5, estimate: ratio, summary: `${c.patchedEvents} ${gate} events in ${c.patchedHostHours.toFixed(1)} host-hours on patched hosts against ${c.controlEvents} in ${c.controlHostHours.toFixed(1)} on the others` });
  }
  for (const [gate, o] of [['install-failure', evidence.installs], ['boot-failure', evidence.boots]] as const) {
    const base = (o.baselineFailures + 0.5) / Math.max(o.baselineTrials, 1);
    const rate = o.failures / Math.max(o.trials, 1);
    verdicts.push({ gate, tripped: o.failures >= 2 && rate > 5 * base, statistic: rate, threshold: 5 * base, estimate: rate, summary: `${o.failures} of ${o.trials} hosts (${gate}) against a baseline of ${(base * 100).toFixed(1)}%` });
  }
  return { tripped: verdicts.some((v) => v.tripped), verdicts };
}
