/**
 * The fleet KPIs of the dashboard's overview, each with the same figure for
 * the previous period. Read-only: each figure is one SQL statement over the
 * tables its owners write (see the modules named below); nothing loops over
 * hosts in JavaScript. "Now" is the controller clock's.
 */
import type { Db } from '../db/index';
import { exposureDays, slaShare, type Exposure, type SlaShare } from './exposure';
import { installOutcomes, mttpByTier, type InstallOutcomes, type MttpByTier } from './installs';
import { kpiPeriods, type Interval, type Trend } from './period';
import { staleHosts, type StaleHosts } from './stale-hosts';
import { stops, type Stops } from './stops';

export interface FleetKpis {
  at: Date;
  days: number;
  period: Interval;
  previousPeriod: Interval;
  mttp: MttpByTier;
  withinSla: Trend<SlaShare>;
  exposure: Trend<Exposure>;
  installs: Trend<InstallOutcomes>;
  stops: Trend<Stops>;
  staleHosts: Trend<StaleHosts>;
}

/** Every KPI over the last `days` days up to `nowMs`, against the `days` before. */
export async function fleetKpis(db: Db, opts: { nowMs: number; days: number }): Promise<FleetKpis> {
  const p = kpiPeriods(opts.nowMs, opts.days);
  // Side by side: PostgreSQL answers them on several pooled connections at once; PGlite queues them.
  const [mttp, withinSla, exposure, installs, halts, stale] = await Promise.all([mttpByTier(db, p), slaShare(db, p), exposureDays(db, p), installOutcomes(db, p), stops(db, p), staleHosts(db, p)]);
  return { at: p.now, days: p.days, period: p.current, previousPeriod: p.previous, mttp, withinSla, exposure, installs, stops: halts, staleHosts: stale };
}
